"""No admin list is an oracle: a query-string lookup tells nothing about digits staff cannot see.

Every changelist the admin registers for the project's apps is walked, with every concrete field
of its model, by restricted staff (view, change and add everywhere, not `view_full_numbers`):
`__icontains`, `__startswith` and `__regex` with digits of a seeded person's number, through the
list and, where it has one, its CSV export. Each answer is a refusal (400) or the same as for
digits that match nothing. The admins come from `admin.site._registry`, so a list added later is
walked without editing this test.
"""

import contextlib

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.urls import NoReverseMatch, reverse

from callflows.models import Call, NumberEvent
from masking.admin.base import ProjectAdmin
from masking.models import AuditEntry, Callback, CallbackEndpoint, PinLockout
from masking.services.consent import consent_record
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"masking", "callflows"}
VN, A, B = "+6531500101", "+6598761201", "+6598761202"
# (lookup, digits of A, digits of nobody): each pair asks the same question of a hidden number.
PROBES = [
    ("icontains", "987612", "123450"),
    ("startswith", "+659876", "+651234"),
    ("regex", r"659876\d", r"651234\d"),
]


@pytest.fixture
def restricted_staff(client):
    user = User.objects.create_user("ops", password="pw", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__regex=r"^(view|change|add)_").exclude(
            codename="view_full_numbers"
        )
    )
    client.force_login(user)
    return client


@pytest.fixture
def seeded(db):
    """A's number in every kind of record: columns, JSON, free text, the audit trail."""
    CallbackEndpoint.objects.create(url="https://backend.example.com/hooks")
    vn = VirtualNumberFactory(number=VN)
    session = open_session(virtual_number=vn, a=A, b=B, reference="lookup-probe")
    Call.objects.create(
        provider_session_id="probe-1",
        caller=A,
        virtual_number=VN,
        masking_session=session,
        answer={"callflow": [{"action": "makeCall", "params": {"destination": B[1:]}}]},
        error_message=f"callee {A}",
        recording_path=f"sftp://h/p/rec_{A[1:]}_{B[1:]}.wav",
    )
    consent_record(number=A, method="admin", evidence=f"form signed by {A}")
    AuditEntry.objects.create(
        via="admin", action="changed", object_type="x", object_id="1", changes={"number": A}
    )
    PinLockout.objects.create(
        virtual_number=vn, caller=A, wrong_pins=5, locked_until="2099-01-01T00:00Z"
    )
    NumberEvent.objects.create(msisdn=VN, virtual_number=vn, operational_status="OK", reason=A)
    assert Callback.objects.exists()
    return session


def project_admins():
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in PROJECT_APPS
    ]


def exits(model) -> list[str]:
    """The changelist and, if the admin has one, its export."""
    opts = model._meta
    urls = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
    with contextlib.suppress(NoReverseMatch):
        urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_export"))
    return urls


def answer(client, url, query):
    """What the viewer learns: refused, or the rows shown (the list's count, the export's body)."""
    response = client.get(url, query)
    if response.status_code != 200:
        return response.status_code
    if response.context is not None and "cl" in response.context:
        return response.context["cl"].result_count
    return len((b"".join(response) if response.streaming else response.content).splitlines())


def test_every_project_admin_uses_the_project_base():
    assert [m.__name__ for m, a in project_admins() if not isinstance(a, ProjectAdmin)] == []


def test_no_lookup_on_any_field_of_any_list_tells_hidden_digits(restricted_staff, seeded):
    admins = project_admins()
    assert len(admins) >= 8, "the walk found too few lists to mean anything"
    oracles, refused, walked = [], 0, 0
    for model, _model_admin in admins:
        for url in exits(model):
            for field in model._meta.concrete_fields:
                for lookup, hidden, nobody in PROBES:
                    key = f"{field.name}__{lookup}"
                    probe = answer(restricted_staff, url, {key: hidden})
                    walked += 1
                    if probe == 400:
                        refused += 1
                        continue
                    control = answer(restricted_staff, url, {key: nobody})
                    if probe != control:
                        oracles.append(f"{url}?{key}={hidden}: {probe} vs {control}")
    assert oracles == []
    assert walked > 200 and refused > 0


@pytest.mark.parametrize(
    "query",
    [
        {"q": "6598761"},
        {"q": "98761"},
        {"caller__startswith": "+659876"},
        {"caller__regex": "^.659"},
    ],
)
def test_pin_lockouts_are_not_searched_by_part_of_a_number(restricted_staff, seeded, query):
    response = restricted_staff.get("/admin/masking/pinlockout/", query)
    assert response.status_code == 400 or response.context["cl"].result_count == 0


def test_pin_lockouts_are_found_by_the_whole_number(restricted_staff, seeded):
    response = restricted_staff.get("/admin/masking/pinlockout/", {"q": A})
    assert response.context["cl"].result_count == 1


def test_declared_filters_still_filter(restricted_staff, seeded):
    response = restricted_staff.get("/admin/callflows/call/", {"outcome__exact": "connect"})
    assert response.status_code == 200
    response = restricted_staff.get(
        "/admin/callflows/call/", {"created_at__year": "2020", "recorded__exact": "1"}
    )
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_an_exact_match_on_a_declared_field_is_a_filter_and_on_a_number_is_refused(
    restricted_staff, seeded
):
    assert restricted_staff.get("/admin/callflows/call/", {"outcome": "connect"}).status_code == 200
    assert restricted_staff.get("/admin/callflows/call/", {"caller": A}).status_code == 400
    assert (
        restricted_staff.get("/admin/masking/callback/", {"status": "pending"}).status_code == 200
    )


def test_a_list_not_built_on_the_base_fails_the_system_checks():
    from masking.checks import check_project_admins

    registered = admin.site._registry[AuditEntry]
    admin.site.unregister(AuditEntry)
    admin.site.register(AuditEntry, admin.ModelAdmin)
    try:
        assert [e.id for e in check_project_admins(None)] == ["masking.E030"]
    finally:
        admin.site.unregister(AuditEntry)
        admin.site._registry[AuditEntry] = registered
    assert check_project_admins(None) == []
