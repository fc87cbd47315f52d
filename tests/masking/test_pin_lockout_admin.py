"""Issue 14: staff see PIN lockouts (per caller and per number), clear them, and the audit trail
says who cleared them. The dashboard and the number's page show a pause of PIN entry."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from masking.models import AuditEntry, PinLockout
from tests.factories import VirtualNumberFactory

pytestmark = pytest.mark.django_db
LIST = reverse("admin:masking_pinlockout_changelist")
STRANGER = "+6591239999"


@pytest.fixture
def lockouts(db):
    number = VirtualNumberFactory(number="+6531500101")
    now = timezone.now()

    def lockout(caller, **times):
        return PinLockout.objects.create(
            virtual_number=number,
            caller=caller,
            wrong_pins=5 if caller else 20,
            locked_at=times.get("at", now),
            locked_until=times.get("until", now + timedelta(hours=1)),
        )

    return {
        "caller": lockout(STRANGER),
        "number": lockout(""),
        "over": lockout("+6591238888", at=now - timedelta(hours=3), until=now - timedelta(hours=2)),
    }


def test_lockouts_are_listed(admin_client, lockouts):
    page = admin_client.get(LIST).content.decode()
    assert "every phone not in a session on it" in page and STRANGER in page
    assert page.count("lockout-state-active") == 2 and "lockout-state-over" in page
    active = admin_client.get(LIST, {"state": "active", "scope": "caller"})
    assert list(active.context["cl"].result_list) == [lockouts["caller"]]


def test_callers_are_masked_for_staff_without_the_full_numbers_permission(
    client, django_user_model, lockouts
):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pinlockout"))
    client.force_login(viewer)
    page = client.get(LIST).content.decode()
    assert "+65 •••• •999" in page and STRANGER not in page


def test_staff_clear_a_lockout_and_the_audit_trail_says_who(admin_client, admin_user, lockouts):
    response = admin_client.post(
        LIST,
        {
            "action": "clear_lockouts",
            "_selected_action": [lockouts["caller"].pk, lockouts["number"].pk],
        },
        follow=True,
    )
    assert "Cleared 2 lockouts." in response.content.decode()
    assert not PinLockout.objects.active().exists()
    entries = AuditEntry.objects.filter(action="cleared", object_type="masking.PinLockout")
    assert {(e.actor, e.via) for e in entries} == {(admin_user, "admin")}
    assert sorted(e.changes["scope"] for e in entries) == ["caller", "number"]
    assert all(STRANGER not in e.object_repr + str(e.changes) for e in entries)
    cleared = PinLockout.objects.get(pk=lockouts["caller"].pk)
    assert cleared.cleared_by == admin_user and cleared.state() == "cleared"


def test_clearing_needs_the_change_permission(client, django_user_model, lockouts):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_pinlockout"))
    client.force_login(viewer)
    assert client.get(LIST).status_code == 200
    client.post(LIST, {"action": "clear_lockouts", "_selected_action": [lockouts["caller"].pk]})
    assert PinLockout.objects.active().count() == 2
    assert not AuditEntry.objects.exists()


def test_lockouts_cannot_be_added_or_deleted(admin_client, lockouts):
    assert admin_client.get(reverse("admin:masking_pinlockout_add")).status_code == 403
    delete = reverse("admin:masking_pinlockout_delete", args=[lockouts["caller"].pk])
    assert admin_client.get(delete).status_code == 403


def test_number_page_and_list_show_the_pause(admin_client, lockouts):
    number = lockouts["number"].virtual_number
    change = admin_client.get(reverse("admin:masking_virtualnumber_change", args=[number.pk]))
    assert "paused for unknown phones until" in change.content.decode()
    listing = admin_client.get(reverse("admin:masking_virtualnumber_changelist")).content.decode()
    assert "paused for unknown phones until" in listing and "1 caller locked" in listing


def test_dashboard_shows_the_pause(admin_client, lockouts):
    page = admin_client.get("/admin/").content.decode()
    assert "PIN entry paused for unknown phones until" in page
    assert '<p id="pin-locked-callers"><strong>1</strong>' in page
    PinLockout.objects.update(cleared_at=timezone.now())
    assert "pin-lockouts" not in admin_client.get("/admin/").content.decode()


def test_the_number_filter_is_a_picker_and_the_numbers_page_links_to_it(admin_client, lockouts):
    """Issue 28, finding 6: one autocomplete box, not a link per number in the pool."""
    other = VirtualNumberFactory(number="+6531500199")
    PinLockout.objects.create(
        virtual_number=other,
        caller="",
        wrong_pins=20,
        locked_until=timezone.now() + timedelta(hours=1),
    )
    page = admin_client.get(LIST).content.decode()
    assert 'class="number-filter"' in page and "?virtual_number__id__exact" not in page
    number = lockouts["caller"].virtual_number
    numbers_page = admin_client.get(
        reverse("admin:masking_virtualnumber_change", args=[number.pk])
    ).content.decode()
    link = f"{LIST}?number={number.pk}"
    assert link in numbers_page
    shown = admin_client.get(link).context["cl"].result_list
    assert {lockout.virtual_number for lockout in shown} == {number}
