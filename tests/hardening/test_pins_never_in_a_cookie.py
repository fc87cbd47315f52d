"""PINs are shown once in the admin's answer to the add form, never through Django's messages:
their default storage is a cookie that is signed, not encrypted (falling back to the session
table when full), so a PIN there would be readable by anyone holding the cookie or the database.
The callback secret's rotation does the same (masking/admin/callbacks.py)."""

import zlib

import pytest
from django.core import signing

from masking.models import MaskingSession
from masking.pins import pin_hash
from tests.factories import VirtualNumberFactory


def readable_messages_cookie(response) -> str:
    cookie = response.cookies.get("messages")
    if cookie is None:
        return ""
    # Signed, not encrypted: anyone holding the cookie reads it without the key.
    payload = cookie.value.split(":")[0]
    if payload.startswith("."):
        return zlib.decompress(signing.b64_decode(payload[1:].encode())).decode()
    return signing.b64_decode(payload.encode()).decode(errors="replace")


@pytest.mark.django_db
def test_a_pin_never_travels_in_a_cookie(admin_client):
    number = VirtualNumberFactory(number="+6531500101")
    saved = admin_client.post(
        "/admin/masking/maskingsession/add/",
        {
            "virtual_number": number.pk,
            "participant_a": "+6591230001",
            "participant_b": "+6591230002",
            "started_at_0": "2026-01-01",
            "started_at_1": "00:00:00",
            "generate_pins": "on",
        },
    )
    readable = readable_messages_cookie(saved)
    assert "PIN for participant A" not in readable, f"the PINs are in the cookie: {readable!r}"
    # Shown on this answer instead, once, and kept out of caches.
    assert saved.status_code == 200
    assert "no-store" in saved.get("Cache-Control", "")
    pins = saved.context["pins"]
    page = saved.content.decode()
    assert pins["a"] in page and pins["b"] in page
    stored = set(MaskingSession.objects.get().participants.values_list("pin_hash", flat=True))
    assert stored == {pin_hash(virtual_number=number.number, pin=pin) for pin in pins.values()}
