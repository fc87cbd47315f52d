"""Retiring a number ends its open sessions: never without someone confirming it (issue 28, 2).

Every path that can retire a number is enumerated: the change form, list_editable, the list's
actions, CSV import, the API, and the service itself.
"""

import csv
import io

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from masking.models import MaskingSession, VirtualNumber
from masking.services.numbers import RetirementNotConfirmed, number_set_status
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.api.conftest import api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def number():
    number = VirtualNumberFactory(number="+6531500101", label="Singapore riders 1")
    for i in range(25):
        open_session(virtual_number=number, reference=f"booking-{i:03d}")
    return number


def open_count(number) -> int:
    return MaskingSession.objects.filter(virtual_number=number, status="open").count()


def change_url(number):
    return reverse("admin:masking_virtualnumber_change", args=[number.pk])


def change_form(admin_client, number, **extra) -> dict:
    page = admin_client.get(change_url(number))
    inline = page.context["inline_admin_formsets"][0].formset.management_form
    return {
        "number": str(number.number),
        "label": number.label,
        "status": "retired",
        **{f"{inline.prefix}-{k}": v for k, v in inline.initial.items()},
        **extra,
    }


def test_save_with_status_retired_asks_first_naming_the_sessions(admin_client, number):
    response = admin_client.post(change_url(number), change_form(admin_client, number))
    assert response.status_code == 200
    text = response.content.decode()
    assert "ends its <strong>25 open sessions</strong>" in text
    assert "booking-000" in text and "booking-019" in text
    assert "booking-020" not in text  # a bounded list ...
    assert "And 5 more." in text  # ... and a link to all of them
    assert f"?number={number.pk}&amp;state=open" in text
    assert open_count(number) == 25
    assert VirtualNumber.objects.get(pk=number.pk).status == "active"


def test_the_link_lists_every_open_session_on_the_number(admin_client, number):
    url = reverse("admin:masking_maskingsession_changelist")
    response = admin_client.get(f"{url}?number={number.pk}&state=open")
    assert response.context["cl"].result_count == 25


def test_confirming_retires_and_ends_them(admin_client, number):
    data = change_form(admin_client, number, confirm_retire="yes")
    response = admin_client.post(change_url(number), data)
    assert response.status_code == 302
    assert open_count(number) == 0
    assert set(MaskingSession.objects.values_list("close_reason", flat=True)) == {"number_retired"}


def test_confirmation_page_carries_the_form_back(admin_client, number):
    data = change_form(admin_client, number, label="Renamed on retiring")
    page = admin_client.post(change_url(number), data).content.decode()
    assert 'name="label" value="Renamed on retiring"' in page
    assert 'name="confirm_retire" value="yes"' in page


def test_a_number_without_open_sessions_retires_without_asking(admin_client):
    number = VirtualNumberFactory(number="+6531500102")
    response = admin_client.post(change_url(number), change_form(admin_client, number))
    assert response.status_code == 302
    assert VirtualNumber.objects.get(pk=number.pk).status == "retired"


def test_status_field_says_what_retiring_does(admin_client, number):
    page = admin_client.get(change_url(number)).content.decode()
    assert "retiring it ends every open session on it" in page


def test_no_list_editable_status():
    model_admin = admin.site._registry[VirtualNumber]
    assert "status" not in (model_admin.list_editable or [])


def test_no_list_action_retires(admin_client, number):
    model_admin = admin.site._registry[VirtualNumber]
    request = RequestFactory().post("/")
    request.user = admin_client.get(change_url(number)).wsgi_request.user
    for name, (func, *_rest) in model_admin.get_actions(request).items():
        func(model_admin, request, VirtualNumber.objects.filter(pk=number.pk))
        assert open_count(number) == 25, name
    assert VirtualNumber.objects.get(pk=number.pk).status == "active"


def test_csv_import_cannot_retire_a_number_in_use(admin_client, number):
    body = io.StringIO()
    csv.writer(body).writerows([["number", "status"], [str(number.number), "retired"]])
    upload = SimpleUploadedFile("pool.csv", body.getvalue().encode(), content_type="text/csv")
    url = reverse("admin:masking_virtualnumber_import")
    response = admin_client.post(url, {"file": upload})
    assert response.context["bad"]
    assert open_count(number) == 25


def test_api_refuses_retiring_without_end_open_sessions(api, number):  # noqa: F811
    response = api.patch(f"/api/virtual-numbers/{number.pk}/", {"status": "retired"}, format="json")
    assert response.status_code == 400
    assert "25 open sessions" in response.json()["fields"]["status"][0]
    assert open_count(number) == 25
    response = api.patch(
        f"/api/virtual-numbers/{number.pk}/",
        {"status": "retired", "end_open_sessions": True},
        format="json",
    )
    assert response.status_code == 200
    assert open_count(number) == 0


def test_the_service_refuses_without_the_word(number):
    with pytest.raises(RetirementNotConfirmed):
        number_set_status(number=number, status=VirtualNumber.Status.RETIRED)
    assert open_count(number) == 25
    assert VirtualNumber.objects.get(pk=number.pk).status == "active"
