"""End, Reopen and Extend on the session's page and in bulk, confirmed first; every change to a
session shows in its history, whichever path made it (admin, API, sweep, retirement, 8x8)."""

from datetime import UTC, timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from callflows.pool import number_updates_ingest
from masking.models import MaskingSession
from masking.services.sessions import session_close
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/masking/maskingsession/"


def page_url(session, action=""):
    if action:
        return reverse(f"admin:masking_maskingsession_{action}", args=[session.pk])
    return reverse("admin:masking_maskingsession_change", args=[session.pk])


def history(client, session) -> list[dict]:
    """The session's history page as rows: what, who, how, details."""
    response = client.get(reverse("admin:masking_maskingsession_history", args=[session.pk]))
    assert response.status_code == 200
    return response.context["entries"]


def whats(client, session) -> list[tuple[str, str, str]]:
    return [(e["what"], e["who"], e["how"]) for e in history(client, session)]


@pytest.mark.parametrize(
    "closed, offered, not_offered",
    [
        (False, ["session-end", "session-extend"], ["session-reopen"]),
        (True, ["session-reopen"], ["session-end", "session-extend"]),
    ],
)
def test_the_session_page_offers_the_actions_its_state_allows(
    admin_client, closed, offered, not_offered
):
    session = open_session(reference="booking-1")
    if closed:
        session_close(session=session, reason="staff")
    html = admin_client.get(page_url(session)).content.decode()
    for button in offered:
        assert f'id="{button}"' in html
    for button in not_offered:
        assert f'id="{button}"' not in html


def test_end_asks_first_then_ends_and_the_history_says_who_how_and_why(admin_client, admin_user):
    session = open_session(reference="booking-1")
    confirm = admin_client.get(page_url(session, "end"))
    assert confirm.status_code == 200 and "Yes, end it" in confirm.content.decode()
    session.refresh_from_db()
    assert session.status == "open"  # asking changes nothing

    done = admin_client.post(page_url(session, "end"), {"note": "rider cancelled"}, follow=True)
    assert "Ended session booking-1." in done.content.decode()
    session.refresh_from_db()
    assert (session.status, session.close_reason) == ("closed", "staff")
    ended = history(admin_client, session)[-1]
    assert (ended["what"], ended["who"], ended["how"]) == ("ended", "admin", "in the admin")
    assert ("note", "rider cancelled") in ended["details"]
    assert ("reason", "ended by staff") in ended["details"]


def test_ending_a_closed_session_says_so_and_changes_nothing(admin_client):
    session = open_session()
    session_close(session=session, reason="api")
    response = admin_client.post(page_url(session, "end"), {"note": "again"})
    assert "already closed" in response.content.decode()
    assert [w for w, _, _ in whats(admin_client, session)] == ["opened", "ended"]


def test_reopen_asks_first_then_reopens(admin_client):
    session = open_session(reference="booking-2")
    session_close(session=session, reason="staff")
    assert admin_client.get(page_url(session, "reopen")).status_code == 200
    admin_client.post(page_url(session, "reopen"))
    session.refresh_from_db()
    assert session.status == "open"
    assert whats(admin_client, session)[-1] == ("reopened", "admin", "in the admin")


def test_reopening_an_expired_session_says_to_extend_it_first(admin_client):
    past = timezone.now() - timedelta(hours=3)
    session = open_session(started_at=past, expires_at=past + timedelta(hours=1))
    session_close(session=session, reason="expired")
    response = admin_client.post(page_url(session, "reopen"))
    assert "extend it first" in response.content.decode()
    session.refresh_from_db()
    assert session.status == "closed"


def test_extend_by_a_duration_adds_it_to_the_current_expiry(admin_client):
    expiry = timezone.now() + timedelta(hours=2)
    session = open_session(expires_at=expiry)
    admin_client.post(page_url(session, "extend"), {"hours": "24"})
    session.refresh_from_db()
    assert session.expires_at == expiry + timedelta(days=1)
    extended = history(admin_client, session)[-1]
    assert extended["what"] == "extended"
    assert extended["details"][0][0] == "expires at"


def test_extend_by_any_hours_and_minutes(admin_client):
    """Issue 28, finding 8: 2 hours (or 2 h 30) without computing a time."""
    expiry = timezone.now() + timedelta(hours=2)
    session = open_session(expires_at=expiry)
    admin_client.post(page_url(session, "extend"), {"hours": "2", "minutes": "30"})
    session.refresh_from_db()
    assert session.expires_at == expiry + timedelta(hours=2, minutes=30)


@pytest.mark.parametrize(
    "form, error",
    [
        ({"hours": "0", "minutes": "0"}, "Choose a duration or a time"),
        ({"minutes": "75"}, "Ensure this value is less than or equal to 59"),
        ({"hours": "-1"}, "Ensure this value is greater than or equal to 0"),
    ],
)
def test_extend_refuses_a_duration_that_is_not_one(admin_client, form, error):
    expiry = timezone.now() + timedelta(hours=2)
    session = open_session(expires_at=expiry)
    response = admin_client.post(page_url(session, "extend"), form)
    assert error in response.content.decode()
    session.refresh_from_db()
    assert session.expires_at == expiry


def test_extend_and_reopen_confirm_with_a_neutral_button_end_with_a_red_one(admin_client):
    session = open_session(expires_at=timezone.now() + timedelta(hours=2))
    extend = admin_client.get(page_url(session, "extend")).content.decode()
    assert "session-action-neutral" in extend
    end = admin_client.get(page_url(session, "end")).content.decode()
    assert "session-action-neutral" not in end


def test_extend_to_a_time_typed_in_the_operations_time_zone(admin_client, settings):
    settings.TIME_ZONE = "Asia/Singapore"
    session = open_session(expires_at=timezone.now() + timedelta(hours=1))
    year = timezone.now().year + 1
    admin_client.post(page_url(session, "extend"), {"until": f"{year}-12-01T18:30"})
    session.refresh_from_db()
    # 18:30 in Singapore is 10:30 UTC.
    assert session.expires_at.astimezone(UTC).strftime("%m-%d %H:%M") == "12-01 10:30"
    details = dict(history(admin_client, session)[-1]["details"])
    assert f"1 Dec {year}, 18:30 +08" in details["expires at"]


def test_extend_needs_a_duration_or_a_time(admin_client):
    session = open_session(expires_at=timezone.now() + timedelta(hours=1))
    response = admin_client.post(page_url(session, "extend"), {})
    assert "Choose a duration or a time" in response.content.decode()


def bulk(client, action, sessions, **form):
    data = {"action": action, "_selected_action": [s.pk for s in sessions], **form}
    return client.post(CHANGELIST, data, follow=True)


def test_bulk_end_confirms_first_then_says_what_it_did_and_did_not_do(admin_client):
    live = open_session(reference="live-1")
    closed = open_session(reference="closed-1")
    session_close(session=closed, reason="api")

    confirm = bulk(admin_client, "end_sessions", [live, closed])
    assert "Yes, end them" in confirm.content.decode()
    live.refresh_from_db()
    assert live.status == "open"

    done = bulk(admin_client, "end_sessions", [live, closed], post="yes", note="tidy up")
    messages = [(m.level_tag, str(m)) for m in done.context["messages"]]
    assert messages == [
        ("warning", "Ended 1 session: live-1. 1 not ended, already closed: closed-1.")
    ]
    live.refresh_from_db()
    assert live.status == "closed"


def test_bulk_end_of_only_closed_sessions_is_not_a_green_success(admin_client):
    closed = open_session(reference="closed-1")
    session_close(session=closed, reason="api")
    done = bulk(admin_client, "end_sessions", [closed], post="yes")
    messages = [(m.level_tag, str(m)) for m in done.context["messages"]]
    assert messages == [("warning", "No session was ended. 1 not ended, already closed: closed-1.")]


def test_bulk_extend_and_reopen(admin_client):
    expiry = timezone.now() + timedelta(hours=1)
    one, two = open_session(expires_at=expiry), open_session(expires_at=expiry)
    bulk(admin_client, "extend_sessions", [one, two], post="yes", hours="4")
    assert {s.expires_at for s in MaskingSession.objects.all()} == {expiry + timedelta(hours=4)}
    session_close(session=one, reason="staff")
    done = bulk(admin_client, "reopen_sessions", [one, two], post="yes")
    assert [str(m) for m in done.context["messages"]] == [
        f"Reopened 1 session: #{one.pk}. 1 not reopened, already open: #{two.pk}."
    ]


def test_staff_without_change_permission_cannot_end(client):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_maskingsession"))
    client.force_login(viewer)
    session = open_session()
    assert client.get(page_url(session, "end")).status_code == 403
    assert client.post(page_url(session, "end")).status_code == 403
    assert 'id="session-end"' not in client.get(page_url(session)).content.decode()


# --- the history, per path ---------------------------------------------------------------------


def test_history_of_admin_add_and_change(admin_client):
    number = VirtualNumberFactory()
    now = timezone.now()
    admin_client.post(
        "/admin/masking/maskingsession/add/",
        {
            "virtual_number": number.pk,
            "participant_a": "+6591230011",
            "participant_b": "+6591230012",
            "reference": "booking-9",
            "started_at_0": now.strftime("%Y-%m-%d"),
            "started_at_1": now.strftime("%H:%M:%S"),
        },
    )
    session = MaskingSession.objects.get()
    changed = admin_client.post(
        page_url(session),
        {
            "reference": "booking-9b",
            "participants-TOTAL_FORMS": "2",
            "participants-INITIAL_FORMS": "2",
            "participants-MIN_NUM_FORMS": "0",
            "participants-MAX_NUM_FORMS": "0",
            "calls-TOTAL_FORMS": "0",
            "calls-INITIAL_FORMS": "0",
            "calls-MIN_NUM_FORMS": "0",
            "calls-MAX_NUM_FORMS": "0",
            **{
                f"participants-{i}-id": p.pk
                for i, p in enumerate(session.participants.order_by("role"))
            },
        },
    )
    assert changed.status_code == 302, changed.context["errors"]
    rows = history(admin_client, session)
    assert [(r["what"], r["who"], r["how"]) for r in rows] == [
        ("opened", "admin", "in the admin"),
        ("changed", "admin", "in the admin"),
    ]
    assert ("reference", "booking-9 → booking-9b") in rows[1]["details"]


def test_history_of_api_open_change_close_and_reopen(admin_client):
    backend = User.objects.create_user("backend")
    backend.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    api = APIClient()
    api.force_authenticate(backend)
    VirtualNumberFactory()
    created = api.post(
        "/api/sessions/",
        {"participant_a": "+6591230011", "participant_b": "+6591230012"},
        format="json",
    ).json()
    session = MaskingSession.objects.get(pk=created["id"])
    api.patch(f"/api/sessions/{session.pk}/", {"ttl_seconds": 7200}, format="json")
    api.post(f"/api/sessions/{session.pk}/close/")
    api.post(f"/api/sessions/{session.pk}/reopen/")
    assert whats(admin_client, session) == [
        ("opened", "backend", "through the API"),
        ("changed", "backend", "through the API"),
        ("ended", "backend", "through the API"),
        ("reopened", "backend", "through the API"),
    ]


def test_history_of_the_expiry_sweep(admin_client):
    past = timezone.now() - timedelta(hours=2)
    session = open_session(started_at=past, expires_at=past + timedelta(hours=1))
    call_command("close_expired_sessions", verbosity=0)
    ended = history(admin_client, session)[-1]
    assert (ended["what"], ended["who"], ended["how"]) == ("ended", "—", "by the expiry sweep")
    assert ("reason", "expired") in ended["details"]


def test_history_of_retiring_the_number_in_the_admin(admin_client):
    number = VirtualNumberFactory(number="+6531500101")
    session = open_session(virtual_number=number)
    admin_client.post(
        f"/admin/masking/virtualnumber/{number.pk}/change/",
        {
            "number": "+6531500101",
            "label": "x",
            "status": "retired",
            "confirm_retire": "yes",
            "provider_events-TOTAL_FORMS": "0",
            "provider_events-INITIAL_FORMS": "0",
            "provider_events-MIN_NUM_FORMS": "0",
            "provider_events-MAX_NUM_FORMS": "0",
        },
    )
    ended = history(admin_client, session)[-1]
    assert (ended["what"], ended["who"], ended["how"]) == ("ended", "admin", "in the admin")
    assert ("reason", "virtual number retired") in ended["details"]


def test_history_of_8x8_retiring_the_number(admin_client):
    number = VirtualNumberFactory(number="+6531500101")
    session = open_session(virtual_number=number)
    update = {"msisdn": "+6531500101", "operationalStatus": "INACTIVE"}
    number_updates_ingest(update_type="UPDATES", numbers=[update], raw_numbers=[update])
    ended = history(admin_client, session)[-1]
    assert (ended["what"], ended["how"]) == ("ended", "by 8x8's number events")
    assert ("reason", "virtual number retired") in ended["details"]
