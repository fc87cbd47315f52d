"""Issue 27, finding 7: events of another 8x8 sub-account are stored, flagged, not acted on."""

import pytest

from callflows.models import Call, CallEvent, NumberEvent
from masking.models import VirtualNumber
from tests.callflows import payloads
from tests.callflows.conftest import VN, A, call_action
from tests.factories import VirtualNumberFactory

pytestmark = pytest.mark.django_db
OURS, THEIRS = "acme_nm_01", "someone_elses_nm"


@pytest.fixture
def connected(settings):
    settings.EIGHTX8_SUBACCOUNT_ID = OURS


def post(provider, path, body):
    return provider.post(f"/callflows/8x8/{path}/", body, format="json")


def test_a_call_of_another_sub_account_is_not_bridged(provider, prompts, pairing, connected):
    body = call_action(A, VN, subAccountId=THEIRS)
    answer = post(provider, "call-action", body).json()
    assert answer == {"clientActionId": "masking-other_account", "callflow": [{"action": "hangup"}]}
    call = Call.objects.get()
    assert (call.outcome, call.masking_session_id) == ("other_account", None)
    # The same call of ours is bridged.
    ours = post(provider, "call-action", call_action(A, VN, subAccountId=OURS, sessionId="s2",
                                                     eventId="e2")).json()  # fmt: skip
    assert ours["callflow"][-1]["action"] == "makeCall"


def test_a_summary_of_another_sub_account_is_stored_flagged_and_changes_no_call(
    provider, prompts, pairing, connected
):
    post(provider, "call-action", call_action(A, VN, sessionId=payloads.SESSION))
    body = payloads.summary()
    body["payload"]["subAccountId"] = THEIRS
    response = post(provider, "session-summary", body).json()
    assert response["applied"] is False and THEIRS in response["reason"]
    event = CallEvent.objects.get(kind="summary")
    assert event.foreign_subaccount == THEIRS
    call = Call.objects.get(provider_session_id=payloads.SESSION)
    assert (call.status, call.summary_received_at) == ("", None)
    assert post(provider, "session-summary", body).json()["result"] == "duplicate"


def test_a_status_of_another_sub_account_is_stored_flagged(provider, connected):
    body = payloads.status()
    body["payload"]["subAccountId"] = THEIRS
    assert post(provider, "call-status", body).json()["applied"] is False
    assert CallEvent.objects.get().foreign_subaccount == THEIRS
    assert Call.objects.get().outcome == "other_account"


def test_a_number_update_of_another_sub_account_changes_no_number(provider, connected):
    VirtualNumberFactory(number="+6531500123")
    body = payloads.numbers("SNAPSHOT", payloads.number("+6531500123", status="Inactive"))
    body["payload"]["subAccountId"] = THEIRS
    response = post(provider, "virtual-number-updated", body).json()
    assert (response["applied"], response["stored"]) == (False, 1)
    assert VirtualNumber.objects.get().status == "active"
    event = NumberEvent.objects.get()
    assert (event.foreign_subaccount, event.operational_status) == (THEIRS, "INACTIVE")
    assert event.reason.startswith("not applied: sent for 8x8 sub-account someone_elses_nm")


def test_without_a_connected_sub_account_every_event_is_acted_on(provider, settings):
    settings.EIGHTX8_SUBACCOUNT_ID = ""
    VirtualNumberFactory(number="+6531500123")
    body = payloads.numbers("SNAPSHOT", payloads.number("+6531500123", status="Inactive"))
    body["payload"]["subAccountId"] = THEIRS
    post(provider, "virtual-number-updated", body)
    assert VirtualNumber.objects.get().status == "retired"
