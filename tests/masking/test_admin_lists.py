"""Every admin list, by enumeration: columns that show what they say, queries that do not grow
with the rows (issue 28, findings 1 and 10)."""

import pytest
from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist

from callflows.models import Call

pytestmark = pytest.mark.django_db


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _shadowed(model, model_admin, names) -> list[str]:
    """Names the admin defines a method or attribute for that a model field of the same name wins
    over: Django's `lookup_field` reads the field first, so the method never runs."""
    clashes = []
    for name in names:
        if not isinstance(name, str) or not hasattr(type(model_admin), name):
            continue
        try:
            model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        clashes.append(f"{type(model_admin).__name__}.{name}")
    return clashes


def test_no_admin_column_method_is_shadowed_by_a_model_field(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    clashes = []
    for model, model_admin in _registered():
        clashes += _shadowed(model, model_admin, model_admin.get_list_display(request))
        clashes += _shadowed(model, model_admin, model_admin.get_readonly_fields(request))
        for inline in model_admin.get_inline_instances(request):
            clashes += _shadowed(inline.model, inline, inline.get_readonly_fields(request))
    assert clashes == []


def test_the_call_log_shows_8x8s_outcome_beside_our_decision(admin_client):
    Call.objects.create(provider_session_id="busy-1", outcome="connect", status="BUSY")
    Call.objects.create(provider_session_id="noans-1", outcome="connect", status="NO_ANSWER")
    html = admin_client.get("/admin/callflows/call/").content.decode()
    busy, no_answer = (str(dict(Call.Status.choices)[s]) for s in ("BUSY", "NO_ANSWER"))
    assert f'<td class="field-provider_outcome">{busy}</td>' in html
    assert f'<td class="field-provider_outcome">{no_answer}</td>' in html
