"""Whole-number search cannot enumerate: the mask leaves too many completions to try, and the
lookups that could try them are limited per user and each one is in the audit trail."""

import re

import phonenumbers
import pytest
from django.contrib.auth.models import Permission, User

from masking.models import AuditEntry
from masking.privacy import mask
from masking.services.consent import consent_record
from tests.factories import VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db

VN, A, B = "+6531500101", "+6597654321", "+6597654322"


def restricted(username="ops", *, staff=True) -> User:
    user = User.objects.create_user(username, password="pw", is_staff=staff)
    user.user_permissions.set(
        Permission.objects.filter(codename__regex=r"^(view|change|add)_").exclude(
            codename="view_full_numbers"
        )
    )
    return user


@pytest.fixture
def paired(db):
    session = open_session(virtual_number=VirtualNumberFactory(number=VN, country="SG"), a=A, b=B)
    consent_record(number=A, method="admin")
    return session


def completions(shown: str, country: str = "65") -> int:
    """The valid numbers a viewer could hold for what `shown` discloses: each hidden national
    digit may be anything; the shown ones, and the length, are fixed."""
    national = shown.split(" ", 1)[1].replace(" ", "")
    hidden = national.count("•")
    pattern = national.replace("•", "{}")
    count = 0
    for n in range(10**hidden):
        candidate = pattern.format(*f"{n:0{hidden}d}")
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+{country}{candidate}")):
            count += 1
    return count


def test_the_mask_leaves_at_least_ten_thousand_valid_candidates():
    shown = mask(A)
    assert re.fullmatch(r"\+65 [•\d ]+", shown)
    assert completions(shown) >= 10_000


def sessions_search(client, number):
    return client.get("/api/sessions/", {"participant": number})


def test_the_51st_whole_number_lookup_in_an_hour_is_refused(paired):
    client = client_for(restricted(staff=False))
    # An enumeration of the last digits, as the finding ran it: each a whole number.
    answers = [sessions_search(client, f"+659765{n:02d}21").status_code for n in range(50)]
    assert answers == [200] * 50
    refused = sessions_search(client, A)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "lookup_limit" and "participant" in body["fields"]
    assert "50" in body["detail"]


def test_each_lookup_is_audited_with_who_and_a_masked_number(paired):
    user = restricted(staff=False)
    client = client_for(user)
    sessions_search(client, A)
    client.get("/api/recording-opt-ins/", {"number": B})
    entries = list(AuditEntry.objects.filter(actor=user).order_by("id"))
    assert [(e.action, e.object_repr) for e in entries] == [
        ("looked up", mask(A)),
        ("looked up", mask(B)),
    ]
    text = str([(e.object_repr, e.changes) for e in entries])
    assert A not in text and A[1:] not in text and B[1:] not in text


def test_every_lookup_surface_counts_against_one_limit(client, paired, settings):
    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 4
    user = restricted()
    client.force_login(user)
    api = client_for(user)
    assert client.get("/admin/masking/maskingsession/", {"q": A}).status_code == 200
    assert api.get("/api/recording-opt-ins/", {"number": A}).status_code == 200
    simulated = client.get(
        "/admin/simulator/", {"virtual_number": paired.virtual_number_id, "caller": A}
    )
    assert simulated.context["result"] is not None
    assert sessions_search(api, A).status_code == 200
    # The fifth, whichever way it comes, is refused with a reason.
    search = client.get("/admin/callflows/call/", {"q": A})
    assert search.status_code == 429 and b"looked up 4 numbers" in search.content
    assert sessions_search(api, A).status_code == 429
    simulated = client.get(
        "/admin/simulator/", {"virtual_number": paired.virtual_number_id, "caller": A}
    )
    assert simulated.context["result"] is None
    assert "looked up 4 numbers" in str(simulated.context["form"].errors["caller"])
    assert AuditEntry.objects.filter(actor=user, action="looked up").count() == 4


def test_staff_who_see_numbers_whole_are_audited_not_limited(client, paired, settings):
    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 1
    lead = User.objects.create_superuser("lead", password="pw")
    client.force_login(lead)
    for _ in range(3):
        assert client.get("/admin/masking/maskingsession/", {"q": A}).status_code == 200
    assert AuditEntry.objects.filter(actor=lead, action="looked up").count() == 3


def test_text_searches_and_our_own_numbers_are_not_lookups(client, paired, settings):
    settings.MASKING_NUMBER_LOOKUPS_PER_HOUR = 1
    client.force_login(restricted())
    for query in ("booking", VN, "bk-7731"):
        assert client.get("/admin/masking/maskingsession/", {"q": query}).status_code == 200
    assert not AuditEntry.objects.filter(action="looked up").exists()
    # Its national digits are the pool number in one reading only: the search still matches
    # people on the others (+31 500101...), so that is a lookup like any.
    assert client.get("/admin/masking/maskingsession/", {"q": VN[3:]}).status_code == 200
    assert AuditEntry.objects.filter(action="looked up").count() == 1
