"""Permission traps: participants shown to whoever may see the session, the full-numbers
permission where an administrator looks, and the two staff groups."""

import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse

from masking.models import MaskingSession, Participant
from tests.factories import open_session

pytestmark = pytest.mark.django_db
A, B = "+6598761201", "+6598761202"


def staff_with(client, *codenames, groups=()):
    user = User.objects.create_user("staff", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    user.groups.set(Group.objects.filter(name__in=groups))
    client.force_login(user)
    return user


def test_participants_show_masked_to_staff_who_may_see_the_session_only(client):
    session = open_session(a=A, b=B)
    staff_with(client, "view_maskingsession", "change_maskingsession")
    html = client.get(reverse("admin:masking_maskingsession_change", args=[session.pk]))
    html = html.content.decode()
    assert "+65 •••• •201" in html and "+65 •••• •202" in html
    assert A not in html and B not in html


def test_the_full_numbers_permission_is_filed_with_sessions_under_a_clear_name():
    permission = Permission.objects.get(codename="view_full_numbers")
    assert permission.content_type.model_class() is MaskingSession
    assert permission.name.startswith("Can see people's phone numbers in full")


def test_moving_the_permission_keeps_who_holds_it():
    """The migration moves the row, so grants made before it survive."""
    Permission.objects.filter(codename="view_full_numbers").delete()
    old = Permission.objects.create(
        codename="view_full_numbers",
        name="Can see people's phone numbers in full",
        content_type=ContentType.objects.get_for_model(Participant),
    )
    lead = User.objects.create_user("lead")
    lead.user_permissions.add(old)
    migration = importlib.import_module(
        "masking.migrations.0009_full_numbers_permission_with_sessions"
    )
    migration.forwards(apps, None)
    lead = User.objects.get(pk=lead.pk)
    assert lead.has_perm("masking.view_full_numbers")
    assert Permission.objects.get(codename="view_full_numbers").content_type.model == (
        "maskingsession"
    )


@pytest.fixture
def groups():
    call_command("setup_staff_groups", verbosity=0)


def test_support_reads_and_simulates_but_changes_nothing(client, groups):
    session = open_session(a=A, b=B)
    staff_with(client, groups=["Support"])
    for url in [
        "/admin/",
        "/admin/masking/maskingsession/",
        reverse("admin:masking_maskingsession_change", args=[session.pk]),
        "/admin/masking/virtualnumber/",
        "/admin/callflows/call/",
        "/admin/simulator/",
        "/admin/reports/",
        "/admin/settings/",
    ]:
        assert client.get(url).status_code == 200, url
    assert (
        client.get(reverse("admin:masking_maskingsession_end", args=[session.pk])).status_code
        == 403
    )
    assert client.get("/admin/masking/maskingsession/add/").status_code == 403
    assert client.get("/admin/masking/virtualnumber/add/").status_code == 403


def test_operations_manage_sessions_and_numbers(client, groups):
    session = open_session(a=A, b=B)
    staff_with(client, groups=["Operations"])
    assert client.get("/admin/masking/maskingsession/add/").status_code == 200
    assert client.get("/admin/masking/virtualnumber/add/").status_code == 200
    client.post(reverse("admin:masking_maskingsession_end", args=[session.pk]), {"note": "done"})
    session.refresh_from_db()
    assert session.status == "closed"


@pytest.mark.parametrize("name", ["Support", "Operations"])
def test_neither_group_deletes_sees_numbers_whole_or_connects_8x8(groups, name):
    codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
    assert not {c for c in codenames if c.startswith("delete_")}
    assert not codenames & {"view_full_numbers", "connect_8x8", "view_recording_status"}


def test_running_it_again_restores_the_groups(groups):
    support = Group.objects.get(name="Support")
    support.permissions.add(Permission.objects.get(codename="view_full_numbers"))
    call_command("setup_staff_groups", verbosity=0)
    assert not support.permissions.filter(codename="view_full_numbers").exists()


def test_operations_do_the_weeks_jobs_clear_lockouts_redeliver_write_prompts(
    client, groups, receiver
):
    """Issue 28, finding 4: the dashboard's "See and clear" link, a failed callback, a missing
    prompt: Operations act on each; Support still only reads."""
    from datetime import timedelta

    from django.utils import timezone

    from masking.models import Callback, PinLockout, Prompt
    from tests.callback_receiver import run_worker
    from tests.factories import VirtualNumberFactory

    number = VirtualNumberFactory()
    now = timezone.now()
    lockout = PinLockout.objects.create(
        virtual_number=number,
        caller="+6591239999",
        wrong_pins=5,
        locked_at=now,
        locked_until=now + timedelta(hours=1),
    )
    receiver.answer(503)
    open_session(virtual_number=number)
    run_worker()
    callback = Callback.objects.get()
    staff_with(client, groups=["Operations"])

    cleared = client.post(
        "/admin/masking/pinlockout/",
        {"action": "clear_lockouts", "_selected_action": [lockout.pk]},
        follow=True,
    )
    assert "Cleared 1 lockout." in cleared.content.decode()
    redelivered = client.post(
        "/admin/masking/callback/",
        {"action": "redeliver", "_selected_action": [callback.pk]},
        follow=True,
    )
    assert "Queued 1 callback" in redelivered.content.decode()
    assert client.get("/admin/masking/prompt/add/").status_code == 200
    client.post(
        "/admin/masking/prompt/add/",
        {
            "purpose": "no_session",
            "language": "en",
            "voice_profile": "generic-en-female",
            "text": "Nobody to connect you to.",
            "repetition": 1,
        },
    )
    assert Prompt.objects.filter(purpose="no_session").exists()


def test_support_is_offered_none_of_operations_jobs(client, groups):
    staff_with(client, groups=["Support"])
    lockouts = client.get("/admin/masking/pinlockout/").content.decode()
    callbacks = client.get("/admin/masking/callback/").content.decode()
    assert "clear_lockouts" not in lockouts and "redeliver" not in callbacks
    assert client.get("/admin/masking/prompt/add/").status_code == 403


@pytest.mark.parametrize("model", ["maskingsession", "virtualnumber"])
def test_support_is_not_offered_import_and_its_url_refuses_in_the_admins_page(
    client, groups, model
):
    """Issue 28, findings 9 and 11: no *Import CSV* for staff who may not add; typed by hand, the
    import answers 403 inside the admin's header, not a silent redirect or a bare page."""
    staff_with(client, groups=["Support"])
    listing = client.get(f"/admin/masking/{model}/").content.decode()
    assert "Import CSV" not in listing and "Export CSV of this list" in listing
    refused = client.get(f"/admin/masking/{model}/import/")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert 'id="site-name"' in page and 'id="user-tools"' in page
    assert "You may not do this" in page


def test_every_refused_staff_page_keeps_the_admins_header(client, groups):
    session = open_session(a=A, b=B)
    staff_with(client, groups=["Support"])
    for url in [
        reverse("admin:masking_maskingsession_end", args=[session.pk]),
        "/admin/masking/maskingsession/add/",
    ]:
        refused = client.get(url)
        assert refused.status_code == 403, url
        assert 'id="site-name"' in refused.content.decode(), url


def test_machine_paths_are_refused_in_json_still(rf):
    from masking.errors import permission_denied

    response = permission_denied(rf.get("/callflows/anything/"), Exception("no"))
    assert response.status_code == 403 and response["Content-Type"] == "application/json"
