"""The benchmark's floor: a constant callflow with no authentication, validation or database.

Served only when `MASKING_BENCH_FLOOR` is on (the benchmark turns it on), so production never
exposes an unauthenticated endpoint. Comparing the Call Action with it in the same server shows
what our own work costs over Django and gunicorn themselves.
"""

import json

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

FLOOR_BODY = json.dumps(
    {
        "clientActionId": "masking:floor",
        "callflow": [
            {"action": "makeCall", "params": {"source": "6531500101", "destination": "6591230002"}}
        ],
    }
).encode()


@csrf_exempt
def floor(request):
    return HttpResponse(FLOOR_BODY, content_type="application/json")
