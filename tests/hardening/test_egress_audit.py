"""Egress audit: no exit shows a person's number to someone who may not see it whole.

The routes come from the URL resolver, so a page or endpoint added later is requested here without
editing this test. Two viewers, neither holding `masking.view_full_numbers`: (a) staff with view
and change on every model, logged in to the admin and to the browsable API; (b) an API token of a
user with view, add and change on every model. Every response's body and headers are searched for
every seeded person's number in every form it could be written in.
"""

import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.urls import get_resolver
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from callflows.models import Call
from callflows.pool import number_updates_ingest
from callflows.records import recording_ingest, status_ingest, summary_ingest
from masking.models import AuditEntry, Callback, CallbackAttempt, CallbackEndpoint, Pool
from masking.services.consent import consent_record, consent_revoke
from masking.services.sessions import session_close
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

VN = "+6531500101"
# Seeded people. Not the examples of help texts (+6591230001, ...), which are nobody's numbers.
PEOPLE = ["+6598761201", "+6598761202", "+6598761203", "+6598761204", "+6598761205"]
A, B, C, D, E = PEOPLE


def forms_of(number: str) -> set[str]:
    """Every way a page, a file or a header could spell the number."""
    digits = number[1:]
    local = digits[2:]
    spaced = f"{local[:4]} {local[4:]}"
    return {
        number,
        digits,
        local,
        spaced,
        f"+65 {spaced}",
        f"+65{spaced}",
        quote(number),
        f"65 {spaced}",
        f"{local[:4]}-{local[4:]}",
        f"{local[:4]}.{local[4:]}",
        f"{local[:4]}+{local[4:]}",
    }


FORBIDDEN = sorted({form for person in PEOPLE for form in forms_of(person)}, key=len, reverse=True)


def leaks(response, typed: str = "") -> list[str]:
    """The seeded numbers the response shows. What the viewer typed may echo in a form field."""
    content = b"".join(response) if response.streaming else response.content
    text = content.decode("utf-8", "replace")
    if typed:
        text = text.replace(f'value="{typed}"', "")
    text += "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return [form for form in FORBIDDEN if form in text]


@pytest.fixture
def seeded(db):
    """Sessions (open, closed), calls with timelines and recordings, opt-ins, audit entries, number
    events, callbacks, admin history: every kind of record that holds or names a person's number."""
    # Callbacks on: each change below also writes a callback, whose pages are exits too.
    CallbackEndpoint.objects.create(url="https://backend.example.com/masking-events")
    vn = VirtualNumberFactory(number=VN, provider_reference="sg-pool-a")
    open_one = open_session(virtual_number=vn, a=A, b=B, reference="booking-audit")
    closed = open_session(virtual_number=vn, a=C, b=D, reference="booking-closed")
    session_close(session=closed, reason="staff")
    Call.objects.create(
        provider_session_id="audit-call-1",
        action_event_id="audit-event-1",
        caller=A,
        virtual_number=VN,
        masking_session=open_one,
        outcome="connect",
        answer={
            "callflow": [{"action": "makeCall", "params": {"source": VN[1:], "destination": B[1:]}}]
        },
    )
    status_ingest(
        payload={
            "eventId": "audit-vcs-1",
            "sessionId": "audit-call-1",
            "callDirection": "CALLB",
            "callStatus": "CALL_ANSWERED",
            "sipCode": 200,
            "source": A,
            "destination": B,
        },
        raw={"source": A, "destination": B},
    )
    summary_ingest(
        payload={"sessionId": "audit-call-1", "sessionStatus": "COMPLETED", "legs": {}},
        raw={"callerId": A, "destination": B},
    )
    recording_ingest(
        payload={
            "sessionId": "audit-call-1",
            "recordingId": "rec-audit-1",
            "filePath": f"s3://bucket/{A[1:]}-{B[1:]}.wav",
            "durationSeconds": 30,
        },
        raw={"sessionId": "audit-call-1"},
    )
    consent_record(number=A, method="admin", evidence="signed form")
    revoked = consent_record(number=C, method="api", evidence="app checkbox")
    consent_revoke(opt_in=revoked, actor=None, via="api")
    update = {"msisdn": VN, "operationalStatus": "UNHEALTHY", "reason": "carrier"}
    number_updates_ingest(update_type="DELTA", numbers=[update], raw_numbers=[update])
    # Text that spells numbers with separators: 8x8's error, a receiver's error body, the trail.
    Call.objects.filter(provider_session_id="audit-call-1").update(
        error_message=f"callee +65 {B[3:7]} {B[7:]} busy"
    )
    Callback.objects.update(last_error=f"HTTP 422: unknown customer (65) {A[3:7]}-{A[7:]}")
    CallbackAttempt.objects.create(
        callback=Callback.objects.first(),
        number=1,
        started_at=timezone.now(),
        status_code=422,
        error=f"HTTP 422: unknown customer +65 {A[3:7]} {A[7:]}",
        url=f"https://backend.example.com/masking-events?for=%2B65+{A[3:7]}+{A[7:]}",
    )
    AuditEntry.objects.create(
        via="admin",
        action="changed",
        object_type="masking.recordingoptin",
        object_id="1",
        changes={"number": E, "evidence": f"called back on {E[3:7]}.{E[7:]}"},
    )
    assert set(Callback.objects.values_list("event_type", flat=True)) == {
        "session.opened",
        "session.closed",
        "call.completed",
        "number.unhealthy",
    }
    return {"open": open_one, "closed": closed}


def restricted_user(username: str, *, staff: bool, codename_prefixes: tuple[str, ...]) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=staff)
    perms = Permission.objects.exclude(codename="view_full_numbers").filter(
        codename__regex=rf"^({'|'.join(codename_prefixes)})_"
    )
    user.user_permissions.set(perms)
    return user


def routes(prefix: str) -> list[tuple[str, str | None, object]]:
    """(path template, name, view) for every route the resolver knows under `prefix`."""
    found = []
    for func, regex, _namespace, name in extract_views_from_urlpatterns(
        get_resolver().url_patterns
    ):
        template = simplify_regex(regex).replace("\\.", ".")
        if template.startswith(prefix):
            found.append((template, name, func))
    return found


def model_of(name: str | None, func):
    """The model a route serves, from its admin or viewset, else from its name."""
    model_admin = getattr(func, "model_admin", None)
    if model_admin is not None:
        return model_admin.model
    viewset = getattr(func, "cls", None)
    if viewset is not None and getattr(viewset, "queryset", None) is not None:
        return viewset.queryset.model
    for model in apps.get_models():
        if name and name.startswith(f"{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def concrete_paths(template: str, name, func) -> list[str]:
    """The template filled in with every seeded object (ids), every app, every format."""
    params = re.findall(r"<(?:\w+:)?(\w+)>", template)
    model = model_of(name, func)
    if model is None and "content_type_id" in params:
        model = Call  # the admin's view-on-site shortcut: any object of any model
    choices: dict[str, list[str]] = {}
    for param in params:
        if param in ("object_id", "pk", "id"):
            choices[param] = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
        elif param == "content_type_id":
            choices[param] = [str(ContentType.objects.get_for_model(Call).pk)]
        elif param == "pool_id":  # a pool's own page (its connect page)
            choices[param] = [str(pk) for pk in Pool.objects.values_list("pk", flat=True)]
        elif param == "app_label":
            choices[param] = sorted({m._meta.app_label for m in admin.site._registry})
        elif param == "format" and "drf_format_suffix:" in template:
            choices[param] = [".json", ".api"]
        elif param == "format":
            choices[param] = ["json", "api"]
        elif param == "url":
            choices[param] = ["no-such-page/"]
        else:
            raise AssertionError(f"no value for <{param}> in {template}: teach this test")
    if any(not choices[p] for p in params):
        return []
    paths = [template]
    for param in params:
        paths = [
            re.sub(rf"<(?:\w+:)?{param}>", value, p, count=1)
            for p in paths
            for value in choices[param]
        ]
    return paths


def admin_requests(client, seeded) -> list[tuple[str, object, str]]:
    """GET every admin page (changelists also with searches and each of their filter links),
    then post each action with every row selected. Yields (what, response, typed)."""
    done = []
    partial = A[4:11]  # 7 of the 8 local digits
    for template, name, func in routes("/admin/"):
        if template == "/admin/logout/":
            continue  # would end the session the rest of the audit runs in
        for path in concrete_paths(template, name, func):
            response = client.get(path)
            done.append((f"GET {path}", response, ""))
            if name and name.endswith("_changelist") and response.status_code == 200:
                for query in (f"?q={partial}", "?q=booking", "?q=sg-pool"):
                    done.append((f"GET {path}{query}", client.get(path + query), ""))
                links = set(re.findall(r'href="(\?[^"#]*)"', response.content.decode()))
                for link in sorted(links):
                    link = link.replace("&amp;", "&")
                    done.append((f"GET {path}{link}", client.get(path + link), ""))
    # The simulator and the reports, with what a user would fill in.
    vn_pk = str(seeded["open"].virtual_number_id)
    for caller in (A, E):
        response = client.get("/admin/simulator/", {"virtual_number": vn_pk, "caller": caller})
        done.append((f"simulator {caller}", response, caller))
    done.append(("reports csv", client.get("/admin/reports/", {"format": "csv"}), ""))
    # Autocomplete of every admin field that has one.
    for model, model_admin in admin.site._registry.items():
        for field_name in model_admin.autocomplete_fields:
            for term in ("", A[4:8]):
                response = client.get(
                    "/admin/autocomplete/",
                    {
                        "app_label": model._meta.app_label,
                        "model_name": model._meta.model_name,
                        "field_name": field_name,
                        "term": term,
                    },
                )
                done.append((f"autocomplete {model.__name__}.{field_name}", response, ""))
    # Each action, with every row selected (the confirmation pages and exports are exits too).
    for model, model_admin in admin.site._registry.items():
        changelist = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        ids = [str(pk) for pk in model._default_manager.values_list("pk", flat=True)]
        if not ids:
            continue
        request = client.get(changelist).wsgi_request
        for action_name in model_admin.get_actions(request):
            response = client.post(
                changelist, {"action": action_name, "_selected_action": ids}, follow=True
            )
            done.append((f"action {model.__name__}.{action_name}", response, ""))
    return done


def api_requests(client, seeded) -> list[tuple[str, object, str]]:
    done = []
    for template, name, func in routes("/api/"):
        for path in concrete_paths(template, name, func):
            for method in ("get", "head", "options"):
                response = getattr(client, method)(path)
                done.append((f"{method.upper()} {path}", response, ""))
    for query in (f"?participant={A[:-1]}", f"?participant={quote(A[4:11])}"):
        done.append((f"GET sessions{query}", client.get(f"/api/sessions/{query}"), ""))
    session_id = seeded["open"].pk
    for method, path, body in [
        ("patch", f"/api/sessions/{session_id}/", {"reference": "booking-audit-2"}),
        ("post", f"/api/sessions/{session_id}/reopen/", None),
        ("post", f"/api/sessions/{session_id}/close/", None),
        ("post", f"/api/sessions/{session_id}/reopen/", None),
    ]:
        response = getattr(client, method)(path, body, format="json")
        done.append((f"{method.upper()} {path}", response, ""))
    for opt_in_id in seeded_opt_ins():
        response = client.post(f"/api/recording-opt-ins/{opt_in_id}/revoke/")
        done.append((f"POST revoke {opt_in_id}", response, ""))
    return done


def seeded_opt_ins():
    from masking.models import RecordingOptIn

    return list(RecordingOptIn.objects.values_list("pk", flat=True))


def assert_no_leaks(done):
    assert len(done) > 50, "the audit requested too little to mean anything"
    leaked = [
        (what, response.status_code, leaks(response, typed)) for what, response, typed in done
    ]
    leaked = [row for row in leaked if row[2]]
    assert leaked == [], "\n".join(map(str, leaked))
    assert [what for what, response, _ in done if response.status_code >= 500] == []


def test_staff_without_the_permission_see_no_number_anywhere_in_the_admin(client, seeded):
    # Add and delete too: their forms and confirmation pages (related objects) are exits as well.
    staff = restricted_user(
        "ops", staff=True, codename_prefixes=("view", "change", "add", "delete")
    )
    client.force_login(staff)
    assert_no_leaks(admin_requests(client, seeded))


def test_staff_without_the_permission_see_no_number_in_the_browsable_api(client, seeded):
    staff = restricted_user("ops", staff=True, codename_prefixes=("view", "change"))
    client.force_login(staff)
    done = []
    for template, name, func in routes("/api/"):
        for path in concrete_paths(template, name, func):
            response = client.get(path, HTTP_ACCEPT="text/html")
            done.append((f"GET (browser) {path}", response, ""))
    assert_no_leaks(done + api_requests(client, seeded))


def test_a_token_without_the_permission_gets_no_number_from_the_api(seeded):
    backend = restricted_user("backend", staff=False, codename_prefixes=("view", "add", "change"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=backend).key}")
    assert_no_leaks(api_requests(client, seeded))


def test_the_audit_can_see_a_leak(client, seeded):
    """The same requests by staff holding the permission do show numbers: the search works."""
    staff = restricted_user("lead", staff=True, codename_prefixes=("view", "change"))
    staff.user_permissions.add(Permission.objects.get(codename="view_full_numbers"))
    client.force_login(staff)
    response = client.get(f"/admin/masking/maskingsession/{seeded['open'].pk}/change/")
    assert A in response.content.decode()
    assert leaks(response)
