"""connect_8x8 and resync_8x8_numbers against a fake 8x8 sub-account (fake_8x8.py)."""

import logging
from io import StringIO

import httpx
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from callflows.models import NumberEvent
from masking.models import MaskingSession, SpeechProfile, VirtualNumber
from tests.callflows.fake_8x8 import API_KEY, PREFIX, listed_number
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

BASE_URL = "https://masking.example.com"
AUTH = "Bearer hook-secret-4e1f0c9a"
PATHS = {
    "VCA": "/callflows/8x8/call-action/",
    "VCS": "/callflows/8x8/call-status/",
    "VSS": "/callflows/8x8/session-summary/",
    "VRU": "/callflows/8x8/recording-uploaded/",
    "VNU": "/callflows/8x8/virtual-number-updated/",
}


@pytest.fixture
def deployment(settings, fake_8x8):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    return fake_8x8


def run(command="connect_8x8", *args):
    out = StringIO()
    call_command(command, *args, stdout=out)
    return out.getvalue()


def local_state():
    numbers = VirtualNumber.objects.all()
    return (
        sorted((str(n.number), n.status, n.unlisted_since is not None) for n in numbers),
        NumberEvent.objects.count(),
        SpeechProfile.objects.count(),
    )


def test_first_connect_registers_webhooks_syncs_the_pool_and_reads_voices(deployment):
    output = run()
    assert {kind: hook["url"] for kind, hook in deployment.webhooks.items()} == {
        kind: BASE_URL + path for kind, path in PATHS.items()
    }
    assert set(deployment.auth_headers.values()) == {AUTH}
    assert all(h["enabled"] and h["httpAuthHeaderAvailable"] for h in deployment.webhooks.values())
    number = VirtualNumber.objects.get()
    assert (str(number.number), number.status, number.provider_reference) == (
        "+6531500123",
        "active",
        "sg-pool-a",
    )
    assert SpeechProfile.objects.codes() >= {"en-US-ZiraRUS", "da-DK-Naja"}
    assert "Recording push: not configured at 8x8" in output
    # 8x8's catalogue has none of the seed's generic voices: auto chooses the current dialect.
    assert "Callflow dialect: current (auto: " in output and "generic-en-female" in output
    assert "7 change(s)" in output  # 5 webhooks, 1 number, the catalogue


def test_a_second_run_changes_nothing(deployment):
    run()
    writes, state = list(deployment.writes), local_state()
    output = run()
    assert deployment.writes == writes
    assert local_state() == state
    assert "0 change(s)" in output and "VCA webhook: in place" in output


def test_a_run_after_8x8_dropped_a_number_and_changed_anothers_health(deployment):
    deployment.numbers.append(listed_number("+6531500124"))
    run()
    dropped = VirtualNumber.objects.get(number="+6531500124")
    session = open_session(virtual_number=dropped)
    deployment.numbers = [listed_number("+6531500123", healthy=False)]

    output = run()

    sick, dropped = VirtualNumber.objects.order_by("number")
    assert (sick.status, sick.unlisted_since) == ("unhealthy", None)
    assert (dropped.status, dropped.unlisted_since is not None) == ("unhealthy", True)
    assert MaskingSession.objects.get(pk=session.pk).status == "open"  # nothing deleted or closed
    assert "flag +6531500124" in output and "set +6531500123 active -> unhealthy" in output
    events = NumberEvent.objects.filter(update_type="RESYNC").order_by("msisdn")
    assert [e.operational_status for e in events.exclude(status_before="")] == [
        "UNHEALTHY",
        "NOT_LISTED",
    ]
    state = local_state()
    assert "0 change(s)" in run()
    assert local_state() == state

    deployment.numbers = [listed_number("+6531500123"), listed_number("+6531500124")]
    run()
    assert local_state()[0] == [("+6531500123", "active", False), ("+6531500124", "active", False)]


def test_dry_run_changes_nothing_anywhere(deployment):
    VirtualNumberFactory(number="+6531500999")
    before = local_state()
    output = run("connect_8x8", "--dry-run")
    assert deployment.writes == []
    assert local_state() == before
    assert (
        "would create the VCA webhook: https://masking.example.com/callflows/8x8/call-action/"
        in output
    )
    assert "would add +6531500123 to the pool" in output
    assert "would flag +6531500999" in output
    assert "Dry run: nothing changed." in output


def test_a_webhook_pointing_elsewhere_is_deleted_and_registered_again(deployment):
    run()
    deployment.webhooks["VSS"]["url"] = "https://old.example.com/vss"
    deployment.writes.clear()
    output = run()
    assert deployment.writes == ["DELETE webhooks VSS", "POST webhooks VSS"]
    assert "it points at https://old.example.com/vss" in output
    assert deployment.webhooks["VSS"]["url"] == BASE_URL + PATHS["VSS"]


def test_force_registers_every_webhook_again_after_a_credential_change(deployment, settings):
    run()
    settings.WEBHOOK_AUTH_HEADER = "Bearer rotated-9c2d"
    deployment.writes.clear()
    output = run("connect_8x8", "--force")
    assert len(deployment.writes) == 8  # delete and create each type but VNU
    assert {kind: deployment.auth_headers[kind] for kind in ("VCA", "VCS", "VSS", "VRU")} == {
        kind: "Bearer rotated-9c2d" for kind in ("VCA", "VCS", "VSS", "VRU")
    }
    # 8x8 will not delete a VNU webhook: a person sets its new header in the portal.
    assert "Action needed: 8x8 cannot delete a VNU webhook" in output


@pytest.mark.parametrize(
    ("endpoint", "answer", "message"),
    [
        ("webhooks", httpx.Response(401), "8x8 refused the API key: check EIGHTX8_API_KEY"),
        ("numbers", httpx.Response(503), "HTTP 503 to GET numbers"),
        (
            "speech-profiles",
            httpx.ReadTimeout("slow"),
            "did not answer GET speech-profiles in time",
        ),
    ],
)
def test_refusals_outages_and_timeouts_are_clear_and_change_nothing(
    deployment, endpoint, answer, message
):
    VirtualNumberFactory(number="+6531500999")
    before = local_state()
    deployment.router.get(f"{PREFIX}/{endpoint}").mock(side_effect=answer)
    with pytest.raises(CommandError, match=message) as caught:
        run()
    assert "Nothing was changed here." in str(caught.value)
    assert deployment.writes == []
    assert local_state() == before


def test_if_8x8_does_not_keep_the_webhooks_the_run_fails_and_the_pool_still_syncs(deployment):
    deployment.router.post(f"{PREFIX}/webhooks").mock(return_value=httpx.Response(200, json={}))
    with pytest.raises(CommandError, match="the VCS webhook could not be created") as caught:
        run()
    assert "Nothing was changed here" not in str(caught.value)
    # The pool and the voices are what 8x8 lists, whatever became of the webhooks.
    assert local_state()[0] == [("+6531500123", "active", False)]


def test_recording_push_is_shown_and_set_from_the_environment_without_its_secrets(
    deployment, settings, caplog
):
    settings.EIGHTX8_RECORDING_PROTOCOL = "s3"
    settings.EIGHTX8_RECORDING_HOST = "ap-southeast-2"
    settings.EIGHTX8_RECORDING_PORT = 13
    settings.EIGHTX8_RECORDING_USERNAME = "myusername"
    settings.EIGHTX8_RECORDING_PASSWORD = "mypassword-s3cr3t"
    settings.EIGHTX8_RECORDING_PATH = "/my-recordings-path/"
    caplog.set_level(logging.DEBUG)
    first = run()
    assert deployment.recording_config["protocol"] == "S3"
    assert deployment.recording_config["passwordSet"] is True
    assert "set the recording push to S3 ap-southeast-2:13" in first
    second = run()
    assert deployment.writes.count("POST recording-push-config") == 1
    assert (
        "Recording push: S3 ap-southeast-2:13 as myusername into /my-recordings-path/ "
        "(password set)" in second
    )
    for secret in (API_KEY, AUTH, "mypassword-s3cr3t"):
        assert secret not in first + second + caplog.text


def test_without_credentials_the_commands_say_8x8_is_off(settings):
    settings.EIGHTX8_API_KEY = ""
    for command in ("connect_8x8", "resync_8x8_numbers"):
        with pytest.raises(CommandError, match="8x8 is not connected"):
            run(command)


def test_connect_refuses_without_https_base_url_or_auth_header(deployment, settings):
    settings.MASKING_PUBLIC_BASE_URL = ""
    with pytest.raises(CommandError, match="must start with https://"):
        run()
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    settings.WEBHOOK_AUTH_HEADER = ""
    with pytest.raises(CommandError, match="WEBHOOK_AUTH_HEADER is empty"):
        run()
    assert deployment.writes == []


def test_resync_keeps_the_pool_in_step_and_touches_no_webhook(deployment):
    VirtualNumberFactory(number="+6531500999")
    dry = run("resync_8x8_numbers", "--dry-run")
    assert "would add +6531500123" in dry and VirtualNumber.objects.count() == 1
    output = run("resync_8x8_numbers")
    assert "add +6531500123" in output and "flag +6531500999" in output
    assert VirtualNumber.objects.get(number="+6531500999").unlisted_since is not None
    assert "0 change(s)" in run("resync_8x8_numbers")
    assert deployment.writes == []
    assert VirtualNumber.objects.count() == 2


def test_staff_see_and_filter_the_numbers_8x8_no_longer_lists(admin_client, deployment):
    flagged = VirtualNumberFactory(number="+6531500999")
    run()
    changelist = reverse("admin:masking_virtualnumber_changelist")
    listed = admin_client.get(changelist, {"unlisted_since__isempty": "0"}).context["cl"]
    assert [n.pk for n in listed.result_list] == [flagged.pk]
    page = admin_client.get(reverse("admin:masking_virtualnumber_change", args=[flagged.pk]))
    assert "not listed by 8x8 since" in page.content.decode().lower()


# --- Issue 27: connecting never leaves routing cut ---------------------------------------------

OLD_VCA = "https://old.example.com/vca"


def connected_elsewhere(deployment, *kinds):
    """Connected once, then `kinds` pointed at another host (as a previous deployment left them)."""
    run()
    for kind in kinds:
        deployment.webhooks[kind]["url"] = f"https://old.example.com/{kind.lower()}"
    deployment.writes.clear()


def test_a_create_answered_500_after_its_delete_is_retried_and_routing_holds(deployment):
    connected_elsewhere(deployment, "VCA")
    deployment.answers["POST webhooks VCA"] = [httpx.Response(500)]
    output = run()
    assert deployment.writes == ["DELETE webhooks VCA", "POST webhooks VCA", "POST webhooks VCA"]
    assert deployment.webhooks["VCA"]["url"] == BASE_URL + PATHS["VCA"]
    assert "replaced the VCA webhook (2 tries)" in output


def test_a_create_that_landed_despite_its_500_is_read_back_not_doubted(deployment):
    connected_elsewhere(deployment, "VCA")
    deployment.answers["POST webhooks VCA"] = ["landed, then 500"]
    run()
    assert deployment.webhooks["VCA"]["url"] == BASE_URL + PATHS["VCA"]


def test_when_8x8_keeps_refusing_the_create_the_previous_webhook_is_restored(deployment):
    connected_elsewhere(deployment, "VCA")
    # Two rounds of three tries for our URL, then 8x8 recovers: the restore lands.
    deployment.answers["POST webhooks VCA"] = [httpx.Response(500)] * 6
    deployment.numbers.append(listed_number("+6531500124"))
    with pytest.raises(CommandError) as caught:
        run()
    message = str(caught.value)
    assert deployment.webhooks["VCA"]["url"] == "https://old.example.com/vca"
    assert "restored the VCA webhook to https://old.example.com/vca" in message
    assert "6 tries" in message
    assert "Nothing was changed here" not in message
    # Our side still follows what was read: the pool and the voices.
    assert VirtualNumber.objects.filter(number="+6531500124").exists()


def test_the_restore_does_not_send_our_secret_to_another_host(deployment):
    # Review: 8x8 never shows the previous header, so the one a webhook at another host had was
    # not ours; restoring it "with our header" handed WEBHOOK_AUTH_HEADER to that host.
    run()
    deployment.webhooks["VCA"]["url"] = "https://someone-else.example.net/hook"
    deployment.auth_headers["VCA"] = "Bearer their-own-secret"
    deployment.writes.clear()
    deployment.answers["POST webhooks VCA"] = [httpx.Response(500)] * 6
    with pytest.raises(CommandError) as caught:
        run()
    assert deployment.webhooks["VCA"]["url"] == "https://someone-else.example.net/hook"
    assert deployment.auth_headers["VCA"] != AUTH
    assert "WITHOUT its auth header" in str(caught.value)


def test_a_previous_webhook_on_our_own_base_url_is_restored_with_our_header(deployment):
    run()
    deployment.webhooks["VCA"]["url"] = BASE_URL + "/old/call-action/"
    deployment.writes.clear()
    deployment.answers["POST webhooks VCA"] = [httpx.Response(500)] * 6
    with pytest.raises(CommandError) as caught:
        run()
    assert deployment.webhooks["VCA"]["url"] == BASE_URL + "/old/call-action/"
    assert deployment.auth_headers["VCA"] == AUTH
    assert "(with WEBHOOK_AUTH_HEADER as its auth header)" in str(caught.value)


def test_when_nothing_holds_the_run_says_the_call_action_webhook_is_missing(deployment):
    connected_elsewhere(deployment, "VCA")
    deployment.answers["POST webhooks VCA"] = [httpx.Response(500)] * 100
    with pytest.raises(CommandError) as caught:
        run()
    message = str(caught.value)
    assert "VCA" not in deployment.webhooks
    assert "the VCA webhook is MISSING at 8x8" in message
    assert "https://masking.example.com/callflows/8x8/call-action/" in message
    assert deployment.writes.count("POST webhooks VCA") == 9  # 2 rounds and the restore, 3 each


def test_the_call_action_webhook_is_replaced_last_and_only_once_the_others_hold(deployment):
    connected_elsewhere(deployment, "VCA", "VSS")
    deployment.answers["POST webhooks VSS"] = [httpx.Response(500)] * 100
    with pytest.raises(CommandError, match="VCA webhook left as it was"):
        run()
    assert deployment.webhooks["VCA"]["url"] == "https://old.example.com/vca"
    assert not any(write.endswith("VCA") for write in deployment.writes)


def test_with_force_the_call_action_webhook_goes_last(deployment):
    run()
    deployment.writes.clear()
    run("connect_8x8", "--force")
    assert deployment.writes[-2:] == ["DELETE webhooks VCA", "POST webhooks VCA"]


def test_vnu_pointing_elsewhere_is_left_for_the_portal_and_the_rest_applies(deployment):
    connected_elsewhere(deployment, "VNU", "VSS")
    deployment.numbers.append(listed_number("+6531500124"))
    output = run()
    assert "DELETE webhooks VNU" not in deployment.writes
    assert deployment.webhooks["VSS"]["url"] == BASE_URL + PATHS["VSS"]
    assert "Action needed: 8x8 cannot delete a VNU webhook" in output
    assert "https://masking.example.com/callflows/8x8/virtual-number-updated/" in output
    assert VirtualNumber.objects.filter(number="+6531500124").exists()
