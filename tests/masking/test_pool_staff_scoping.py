"""Issue 31: staff given pools see their pools' rows only, in every admin list, change page,
export and autocomplete; staff given no pool see all. Every admin is enumerated from the admin
site, so one added later is in this matrix by construction."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.utils import timezone

from callflows.models import Call, NumberEvent
from masking.admin.base import NOT_DECLARED, ProjectAdmin
from masking.models import AuditEntry, Callback, PinLockout, Pool
from masking.pool_access import within_pools
from tests.factories import PoolFactory, PromptFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
POOLED = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, ProjectAdmin) and model_admin.pool_path is not None
]


def rows_of(pool_admin, model, pool):
    """The rows the admin's declared path ties to `pool`."""
    return within_pools(
        model._default_manager.all(), user=_member_of(pool), path=pool_admin.pool_path
    )


def _member_of(pool):
    user, _ = User.objects.get_or_create(username=f"member-{pool.pk}")
    pool.users.add(user)
    return user


def _a_pool_with_rows(name: str, number: str):
    pool = PoolFactory(name=name)
    virtual_number = VirtualNumberFactory(number=number, pool=pool)
    session = open_session(virtual_number=virtual_number, a="+6598761201", b="+6598761202")
    now = timezone.now()
    PinLockout.objects.create(
        virtual_number=virtual_number, caller="+6598761299", wrong_pins=5,
        locked_at=now, locked_until=now + timedelta(hours=1),
    )  # fmt: skip
    Call.objects.create(
        provider_session_id=f"call-{name}", virtual_number=number, caller="+6598761201",
        masking_session=session, outcome="connect",
    )  # fmt: skip
    NumberEvent.objects.create(
        msisdn=number, virtual_number=virtual_number, update_type="UPDATES",
        operational_status="ACTIVE",
    )  # fmt: skip
    Callback.objects.create(event_type="session.closed", session=session, pool=pool, payload={})
    PromptFactory(pool=pool, purpose="no_session", text=f"{name}: no booking found.")
    return pool


@pytest.fixture
def malaysia_staff(client):
    malaysia = _a_pool_with_rows("Malaysia", "+60312345678")
    indonesia = _a_pool_with_rows("Indonesia", "+622150001234")
    PromptFactory(purpose="no_session", text="The deployment's: no booking found.")
    staff = User.objects.create_superuser("malaysia-lead", password="pw")
    malaysia.users.add(staff)
    client.force_login(staff)
    return client, malaysia, indonesia


def test_every_project_admin_declares_its_pool_path():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, ProjectAdmin):
            assert model_admin.pool_path is not NOT_DECLARED, model._meta.label


@pytest.mark.parametrize(("model", "model_admin"), POOLED, ids=[m._meta.label for m, _ in POOLED])
def test_staff_of_a_pool_see_only_its_rows_in_every_list_and_change_page(
    malaysia_staff, model, model_admin
):
    client, malaysia, indonesia = malaysia_staff
    theirs = list(rows_of(model_admin, model, indonesia).values_list("pk", flat=True))
    mine = list(rows_of(model_admin, model, malaysia).values_list("pk", flat=True))
    assert theirs and mine  # the matrix is not vacuous
    opts = model._meta
    listed = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    assert listed.status_code == 200
    shown = set(listed.context["cl"].queryset.values_list("pk", flat=True))
    assert shown == set(mine)
    for pk in theirs:
        page = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{pk}/change/")
        assert page.status_code == 302  # "does not exist", as for any id
    page = client.get(f"/admin/{opts.app_label}/{opts.model_name}/{mine[0]}/change/")
    assert page.status_code == 200


def test_exports_and_autocomplete_hold_only_the_staff_members_pools(malaysia_staff):
    client, malaysia, indonesia = malaysia_staff
    response = client.get("/admin/masking/virtualnumber/export/")
    export = b"".join(response.streaming_content).decode()  # exports stream (issue 28)
    assert "+60312345678" in export and "+622150001234" not in export
    found = client.get(
        "/admin/autocomplete/",
        {"app_label": "masking", "model_name": "maskingsession", "field_name": "virtual_number"},
    ).json()
    assert [item["id"] for item in found["results"]] == [str(malaysia.numbers.get().pk)]


def test_staff_given_no_pool_see_every_pool(malaysia_staff, client):
    _, malaysia, indonesia = malaysia_staff
    client.force_login(User.objects.create_superuser("regional-lead", password="pw"))
    listed = client.get("/admin/masking/maskingsession/")
    assert listed.context["cl"].result_count == 2


def test_a_pools_page_refuses_what_manage_py_check_refuses_and_keeps_its_history(client):
    client.force_login(User.objects.create_superuser("lead", password="pw"))
    base = {"name": "Malaysia", "subaccount_id": "acme-my", "api_key_variable": ""}
    refused = client.post("/admin/masking/pool/add/", {**base, "pin_length": "2"})
    assert refused.status_code == 200
    assert "leave no room for a PIN session" in refused.content.decode()
    assert not Pool.objects.filter(name="Malaysia").exists()
    added = client.post(
        "/admin/masking/pool/add/",
        {**base, "pin_length": "8", "new_api_key": "secret-8x8-key-of-malaysia"},
    )
    assert added.status_code == 302
    pool = Pool.objects.get(name="Malaysia")
    assert pool.rules.pin_length == 8 and pool.api_key() == "secret-8x8-key-of-malaysia"
    page = client.get(f"/admin/masking/pool/{pool.pk}/change/").content.decode()
    assert "secret-8x8-key-of-malaysia" not in page
    assert "API key: stored" in page
    entry = AuditEntry.objects.filter(object_id=str(pool.pk)).get()
    assert "secret-8x8" not in str(entry.changes) and entry.changes["API key"] == "replaced"
    history = client.get(f"/admin/masking/pool/{pool.pk}/history/")
    assert history.status_code == 200


def test_a_session_added_by_staff_of_a_pool_is_allocated_among_its_numbers(malaysia_staff):
    client, malaysia, indonesia = malaysia_staff
    VirtualNumberFactory(number="+622150001235", pool=indonesia)  # free, in another pool
    response = client.post(
        "/admin/masking/maskingsession/add/",
        {
            "participant_a": "+6598761205",
            "participant_b": "+6598761206",
            "recording_requested": "",
            "reference": "",
            "generate_pins": "",
            "started_at_0": timezone.localtime().strftime("%Y-%m-%d"),
            "started_at_1": timezone.localtime().strftime("%H:%M:%S"),
        },
    )
    errors = response.context["adminform"].form.errors if response.status_code == 200 else None
    assert response.status_code == 302, errors
    from masking.models import MaskingSession

    assert MaskingSession.objects.latest("id").virtual_number.pool == malaysia
