"""Issue 24, finding 5: 8x8's own examples are stored, never refused.

An odd number in a call status is kept as sent and flagged; a SNAPSHOT applies every readable
entry and records each one it skipped with the reason; no cap on the entries (the body's size,
MASKING_NUMBER_UPDATE_MAX_BODY_BYTES, bounds it).
"""

import json

import pytest

from callflows.models import CallEvent, NumberEvent
from masking.models import VirtualNumber
from tests.callflows import payloads
from tests.factories import VirtualNumberFactory

pytestmark = pytest.mark.django_db
STATUS_URL = "/callflows/8x8/call-status/"
NUMBERS_URL = "/callflows/8x8/virtual-number-updated/"


def post(provider, url, body):
    return provider.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("source", ["+656833033", "anonymous", "", "Restricted", None])
def test_a_call_status_with_an_odd_caller_id_is_stored_and_flagged(provider, source):
    """8x8's documented call-status example (`"source": "+656833033"`) and a withheld caller got
    400: that call's progress was lost."""
    body = payloads.status(event_id=f"odd-{source}", source=source)
    response = post(provider, STATUS_URL, body)
    assert response.status_code == 200, response.json()
    assert response.json()["result"] == "stored"
    event = CallEvent.objects.get()
    assert event.payload["payload"]["source"] == source  # kept as sent
    assert event.unreadable == "source"  # flagged


def test_a_snapshot_with_one_unreadable_number_applies_the_others(provider):
    """8x8's example msisdn `+65123456789` refused the whole SNAPSHOT: every other health change
    waited for the hourly resync."""
    sick = VirtualNumberFactory(number="+6531500101")
    body = payloads.numbers(
        "SNAPSHOT",
        payloads.number("+65123456789", "Active"),
        payloads.number("+6531500101", "Unhealthy"),
        {"msisdn": None, "operationalStatus": "Active"},
        payloads.number("+6531500102", "Dormant"),
        "not an object",
        payloads.number("+6531500103", "Active"),
    )
    response = post(provider, NUMBERS_URL, body)
    assert response.status_code == 200, response.json()
    assert response.json() == {"result": "applied", "changed": 2, "skipped": 4}
    sick.refresh_from_db()
    assert sick.status == "unhealthy"
    assert VirtualNumber.objects.filter(number="+6531500103").exists()
    skipped = {
        event.msisdn: event.reason
        for event in NumberEvent.objects.filter(reason__startswith="skipped")
    }
    assert skipped == {
        "+65123456789": "skipped: msisdn is not a phone number we can read",
        "(missing)": "skipped: msisdn is missing",
        "+6531500102": "skipped: operationalStatus 'DORMANT' is not one we know",
        "(entry 4)": "skipped: not an object",
    }


def test_a_snapshot_of_10001_entries_is_applied(provider):
    """A pool of 10,000 with one number listed twice got 400 "no more than 10000 elements"."""
    entries = [payloads.number(f"+65310{i:05d}", "Active") for i in range(10_000)]
    entries.append(payloads.number("+6531000007", "Unhealthy"))
    response = post(provider, NUMBERS_URL, payloads.numbers("SNAPSHOT", *entries))
    assert response.status_code == 200, response.json()
    assert VirtualNumber.objects.count() == 10_000
