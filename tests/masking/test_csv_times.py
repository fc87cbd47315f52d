"""CSV import of sessions as staff fill it in (issue 28, findings 5 and 11).

Times typed as staff write them, read in the operations zone; ISO 8601 with a zone still read;
the page says which formats and which zone; the preview shows each time as understood; every
error of a row listed; errors in words, not Python's.
"""

from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from masking.models import MaskingSession
from tests.factories import VirtualNumberFactory

pytestmark = pytest.mark.django_db
URL = "/admin/masking/maskingsession/import/"
HEADER = "participant_a,participant_b,reference,expires_at\n"


@pytest.fixture
def singapore(settings):
    settings.TIME_ZONE = "Asia/Singapore"
    VirtualNumberFactory(number="+6531500101")


def upload(client, text, name="rows.csv", raw=None):
    data = raw if raw is not None else text.encode()
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


@pytest.mark.parametrize(
    "typed",
    [
        "2099-12-06 18:00",
        "2099-12-06T18:00",
        "2099-12-06 18:00:00",
        "2099-12-06T18:00:00",
        "2099-12-06T18:00:00+08:00",
        "2099-12-06T10:00:00Z",
    ],
)
def test_times_as_staff_type_them_read_in_the_operations_zone(admin_client, singapore, typed):
    page = upload(admin_client, f"{HEADER}+6591230001,+6591230002,booking-1,{typed}\n")
    assert not page.context["bad"], page.context["bad"][0].errors
    # The preview shows the time as understood, in the operations zone, with the zone named.
    html = page.content.decode()
    assert "6 Dec 2099, 18:00 +08" in html
    assert "Asia/Singapore" in html
    admin_client.post(URL, {"confirm": "1", "payload": page.context["payload"]})
    session = MaskingSession.objects.get()
    assert session.expires_at == datetime(2099, 12, 6, 10, 0, tzinfo=UTC)


def test_the_form_states_the_formats_and_the_zone(admin_client, singapore):
    html = admin_client.get(URL).content.decode()
    assert "2026-12-06 18:00" in html and "2026-12-06T18:00" in html
    assert "Asia/Singapore (UTC+08:00)" in html
    assert "Z" not in html.split("expires_at", 1)[1].split("</li>", 1)[0].replace("Zone", "")


def test_a_bad_date_does_not_hide_the_rows_other_errors(admin_client, singapore):
    page = upload(admin_client, f"{HEADER}+6591230001,+6591230001,{'r' * 101},next friday\n")
    (row,) = page.context["bad"]
    text = " ".join(row.errors)
    assert "expires_at" in text and "next friday" in text
    assert "different numbers" in text  # the two participants are the same
    assert "reference" in text  # too long


def test_an_expiry_before_the_start_is_said_without_python_keys(admin_client, singapore):
    page = upload(admin_client, f"{HEADER}+6591230001,+6591230002,booking-1,2001-01-01 10:00\n")
    (row,) = page.context["bad"]
    assert "__all__" not in " ".join(row.errors)
    assert "expires_at: The expiry must be after the start." in row.errors


def test_a_missing_column_is_said_in_words_not_a_python_list(admin_client, singapore):
    page = upload(admin_client, "participant_a,reference\n+6591230001,x\n")
    (error,) = page.context["form"].errors["file"]
    assert error == "Not a readable CSV file: the header row lacks participant_b."
    assert "['" not in page.content.decode()


def test_a_file_not_in_utf8_says_how_to_save_it(admin_client, singapore):
    text = f"{HEADER}+6591230001,+6591230002,réservation-1,\n"
    page = upload(admin_client, "", raw=text.encode("latin-1"))
    (error,) = page.context["form"].errors["file"]
    assert "codec" not in error and "0xe9" not in error
    assert "not UTF-8" in error and "CSV UTF-8" in error
