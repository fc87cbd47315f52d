"""The load benchmark's two floors, served only when `MASKING_BENCH_FLOOR` is on (the benchmark
turns it on), so production never exposes an unauthenticated endpoint.

- `floor`: a constant callflow, with no authentication, validation or database. What Django and
  gunicorn themselves cost.
- `database_floor`: the same constant callflow after the Call Action's own two round trips, the
  facts read and the durable record of the answer, for the numbers and ids in the body, with
  nothing of ours around them (no authentication, validation, decision or callflow). What any
  answer that reads the facts and puts itself on record before answering costs in this server.

Served beside the Call Action, they split its cost: the gap from `floor` to `database_floor` is
the database's round trips, the gap from `database_floor` to the Call Action is our own work.
"""

import json

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from callflows.decision import Decision, Outcome
from callflows.records import call_record_answer
from callflows.views.base import json_text
from masking.db import skip_health_check
from masking.selectors import call_facts_row

FLOOR_ANSWER = json_text(
    {
        "clientActionId": "masking:floor",
        "callflow": [
            {"action": "makeCall", "params": {"source": "6531500101", "destination": "6591230002"}}
        ],
    }
)
FLOOR_BODY = FLOOR_ANSWER.encode()
# The benchmark counts the Call Action's stored events apart from the database floor's.
FLOOR_EVENT_PREFIX = "floor-"


@csrf_exempt
def floor(request):
    return HttpResponse(FLOOR_BODY, content_type="application/json")


@csrf_exempt
def database_floor(request):
    payload = json.loads(request.body)["payload"]
    caller, virtual_number = payload["source"], payload["destination"]
    skip_health_check()  # as the Call Action does: its two statements, no third round trip
    now = timezone.now()
    call_facts_row(virtual_number=virtual_number, caller=caller, now=now)
    call_record_answer(
        provider_session_id=FLOOR_EVENT_PREFIX + payload["sessionId"],
        event_id=FLOOR_EVENT_PREFIX + payload["eventId"],
        virtual_number=virtual_number,
        caller=caller,
        decision=Decision(Outcome.NO_SESSION),
        answer_json=FLOOR_ANSWER,
        now=now,
    )
    return HttpResponse(FLOOR_BODY, content_type="application/json")
