"""Issue 27: what connect_8x8 learns from the sub-account changes our callflows: the dialect
(auto follows the voice catalogue) and recording (only where 8x8 has a push configuration)."""

import pytest
from django.core.management import CommandError

from masking.services.consent import consent_record
from tests.callflows.conftest import VN, A, B, call_action
from tests.callflows.fake_8x8 import SUBACCOUNT
from tests.callflows.test_connect import AUTH, BASE_URL, run
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/call-action/"
GENERIC = {"speechProfileCode": "generic-en-female", "localeCode": "en", "gender": "F"}


@pytest.fixture
def deployment(settings, fake_8x8):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    return fake_8x8


@pytest.fixture
def calls(deployment, client):
    """A, B paired on VN (recording asked, B consented), and a way to post 8x8's Call Action."""
    PromptFactory(purpose="connecting", text="Connecting you.")
    PromptFactory(purpose="recording_notice", text="This call is recorded.")
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, recording_requested=True)
    consent_record(number=A, method="admin")
    consent_record(number=B, method="admin")

    def post(event_id):
        body = call_action(A, VN, eventId=event_id, sessionId=event_id, subAccountId=SUBACCOUNT)
        response = client.post(URL, body, content_type="application/json", HTTP_AUTHORIZATION=AUTH)
        return response.json()["callflow"]

    return post


def test_auto_follows_a_catalogue_without_generic_voices(calls, deployment, admin_client):
    before = calls("before")  # no catalogue read yet: the seed's dialect, as specified
    assert before[0]["params"]["voiceProfile"] == "generic-en-female"
    assert "language" in before[0]["params"]
    output = run()
    assert "Callflow dialect: current (auto: the sub-account's voice catalogue does not list" in (
        output
    )
    after = calls("after")
    assert after[0]["params"] == {
        "text": "This call is recorded." if after[-1]["params"].get("callRecording") else
        "Connecting you.",
        "voiceProfile": "en-US-ZiraRUS",
        "repetition": 1,
        "speed": 1.0,
    }  # fmt: skip
    rows = {
        row.name: row.value for row in admin_client.get("/admin/settings/").context["settings_rows"]
    }
    assert rows["Callflow dialect in force"].startswith("current")
    assert "does not list the seed's generic-en-female" in rows["Callflow dialect in force"]


def test_auto_keeps_the_seed_where_the_catalogue_lists_its_voices(calls, deployment):
    deployment.speech_profiles.append(GENERIC)
    output = run()
    assert "Callflow dialect: seed (auto: the sub-account's voice catalogue lists the seed's" in (
        output
    )
    assert calls("after")[0]["params"]["voiceProfile"] == "generic-en-female"


def test_a_forced_dialect_8x8_lacks_the_voices_of_stops_the_run_unless_kept(deployment, settings):
    settings.MASKING_CALLFLOW_DIALECT = "seed"
    with pytest.raises(CommandError, match="MASKING_CALLFLOW_DIALECT=seed sends voices") as e:
        run()
    assert "generic-en-female" in str(e.value) and "--keep-dialect" in str(e.value)
    assert "Nothing was changed here" in str(e.value)
    assert deployment.writes == []
    output = run("connect_8x8", "--keep-dialect")
    assert "Callflow dialect: seed (forced by MASKING_CALLFLOW_DIALECT" in output
    assert "masking.W010" not in output and "The seed dialect's voices are not" in output


def test_a_forced_dialect_whose_voices_are_listed_goes_through(deployment, settings):
    settings.MASKING_CALLFLOW_DIALECT = "current"
    assert "Callflow dialect: current (forced" in run()


def test_8x8_reporting_no_recording_push_means_unrecorded_calls(calls, deployment, admin_client):
    output = run()
    assert "calls connect unrecorded" in output
    flow = calls("after")
    assert "callRecording" not in flow[-1]["params"]
    rows = {
        row.name: row.value for row in admin_client.get("/admin/settings/").context["settings_rows"]
    }
    assert rows["Recording at 8x8"].startswith("NOT POSSIBLE: 8x8 reported no recording push")


def test_with_8x8s_recording_push_calls_are_recorded(calls, deployment, admin_client):
    deployment.recording_config = {"protocol": "SFTP", "host": "172.30.2.61", "port": 22,
                                   "username": "myusername", "passwordSet": True,
                                   "path": "/my-recordings-path/"}  # fmt: skip
    run()
    assert calls("after")[-1]["params"]["callRecording"] is True
    rows = {
        row.name: row.value for row in admin_client.get("/admin/settings/").context["settings_rows"]
    }
    assert rows["Recording at 8x8"].startswith("possible: 8x8 pushes recordings to SFTP")
