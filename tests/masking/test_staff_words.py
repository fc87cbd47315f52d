"""Words staff read, in their language, not the code's (issue 28, finding 11)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.utils import timezone

from callflows.models import Call, CallAction
from masking.models import Callback, PinLockout
from tests.callback_receiver import run_worker
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db


def test_pin_words_on_the_add_form_say_the_length(admin_client, settings):
    settings.MASKING_PIN_LENGTH = 6
    html = admin_client.get("/admin/masking/maskingsession/add/").content.decode()
    assert "Generate PINs" in html and "Generate pins" not in html
    assert "a 6-digit PIN" in html and "MASKING_PIN_LENGTH" not in html


def test_counts_of_things_are_plural_or_singular_not_both(admin_client):
    number = VirtualNumberFactory()
    for caller in ("+6591230001", "+6591230002"):
        PinLockout.objects.create(
            virtual_number=number,
            caller=caller,
            wrong_pins=5,
            locked_until=timezone.now() + timedelta(hours=1),
        )
    html = admin_client.get("/admin/masking/virtualnumber/").content.decode()
    assert "2 callers locked" in html
    assert "(s)" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)


def test_a_call_actions_title_reads_the_decision_in_words():
    call = Call.objects.create(provider_session_id="s-1", outcome="no_session")
    action = CallAction.objects.create(
        call=call, event_id="e-1", outcome="no_session", answered_at=timezone.now()
    )
    assert str(action) == "e-1: no session"


def test_a_session_page_says_back_to_list_not_close(client):
    session = open_session(reference="booking-1")
    reader = User.objects.create_user("support", password="pw", is_staff=True)
    reader.user_permissions.set(Permission.objects.filter(codename="view_maskingsession"))
    client.force_login(reader)
    html = client.get(f"/admin/masking/maskingsession/{session.pk}/change/").content.decode()
    assert "Back to list" in html
    assert ">Close<" not in html


def test_a_failed_callbacks_page_and_the_list_agree_on_the_next_try(admin_client, receiver):
    receiver.answer(503)  # an empty body
    open_session(virtual_number=VirtualNumberFactory(), reference="booking-9")
    run_worker()
    callback = Callback.objects.get()
    Callback.objects.filter(pk=callback.pk).update(status=Callback.Status.FAILED)
    listed = admin_client.get("/admin/masking/callback/").content.decode()
    page = admin_client.get(f"/admin/masking/callback/{callback.pk}/change/").content.decode()
    next_try_cell = re.search(r'<td class="field-next_try">(.*?)</td>', listed).group(1)
    shown = re.search(r'field-next_try.*?<div class="readonly">(.*?)</div>', page, re.S).group(1)
    assert next_try_cell == shown == "-"
    assert "HTTP 503:" not in listed + page  # no dangling colon when the body is empty
    assert "HTTP 503" in listed


def test_lists_and_pages_show_times_one_way(admin_client, settings):
    settings.TIME_ZONE = "Asia/Singapore"
    session = open_session(
        reference="booking-1", expires_at=datetime(2099, 12, 4, 3, 10, tzinfo=UTC)
    )
    listed = admin_client.get("/admin/masking/maskingsession/").content.decode()
    history = admin_client.get(f"/admin/masking/maskingsession/{session.pk}/history/")
    assert "4 Dec 2099, 11:10 +08" in listed  # as the session's history shows it
    assert "4 Dec 2099, 11:10 +08" in history.content.decode()
    assert "2099-12-04 11:10" not in listed


def test_settings_page_describes_the_pin_lockouts_from_their_values(admin_client, settings):
    settings.MASKING_PIN_LOCK_AFTER = 5
    settings.MASKING_PIN_LOCK_MINUTES = 60
    settings.MASKING_PIN_NUMBER_CEILING = 20
    settings.MASKING_PIN_WINDOW_MINUTES = 24 * 60
    settings.MASKING_PIN_TRUSTED_DAYS = 30
    page = admin_client.get("/admin/settings/")
    rows = {row.name: (row.value, row.effect) for row in page.context["settings_rows"]}
    value, effect = rows["PIN lockout"]
    assert "5 wrong PINs from one phone" in value and "20 on one number" in value
    assert "within 24 hours" in value and "60 minutes" in value
    assert "session's PIN access pauses" not in effect
    assert "connected with a PIN" in effect and "30 days" in effect
