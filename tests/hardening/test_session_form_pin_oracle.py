"""The session add form is no PIN oracle: a typed PIN that collided was refused with "already
used", telling without any count, lockout or audit whether a PIN is live on a virtual number.
Staff cannot type PINs any more; the probe (two participants with the same number, so nothing is
ever saved) must answer a live PIN and a wrong one alike."""

import pytest
from django.contrib.auth.models import Permission, User

from masking.models import AuditEntry, MaskingSession, PinFailure
from masking.services.sessions import session_create
from tests.factories import VirtualNumberFactory

VN = "+6531500101"


@pytest.mark.django_db
def test_session_form_is_no_unthrottled_pin_oracle(client):
    number = VirtualNumberFactory(number=VN)
    victim = session_create(
        virtual_number=number,
        participant_a="+6591230001",
        participant_b="+6591230002",
        generate_pins=True,
    )
    secret = victim.issued_pins["a"]
    clerk = User.objects.create_user("clerk", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(codename__in=["add_maskingsession", "view_maskingsession"])
    )
    client.force_login(clerk)

    def probe(pin: str) -> bool:
        page = client.post(
            "/admin/masking/maskingsession/add/",
            {
                "virtual_number": number.pk,
                "participant_a": "+6598760001",
                "participant_b": "+6598760001",  # invalid on purpose: nothing is ever saved
                "started_at_0": "2026-01-01",
                "started_at_1": "00:00:00",
                "pin_a": pin,
            },
        )
        assert page.status_code == 200
        return "already used" in page.content.decode()

    wrong = "000000" if secret != "000000" else "111111"
    answers = {pin: probe(pin) for pin in (wrong, secret)}
    assert MaskingSession.objects.count() == 1  # the probes left no session behind
    # The form must not tell a live PIN from a wrong one without counting the guess.
    guesses_counted = PinFailure.objects.count() + AuditEntry.objects.filter(actor=clerk).count()
    assert answers[secret] == answers[wrong] or guesses_counted >= 2, (
        f"PIN {secret} identified as live by the session form: {answers}, "
        f"nothing counted ({guesses_counted})"
    )


@pytest.mark.django_db
def test_a_generated_pin_that_collides_is_drawn_again_silently(monkeypatch):
    number = VirtualNumberFactory(number=VN)
    victim = session_create(
        virtual_number=number,
        participant_a="+6591230001",
        participant_b="+6591230002",
        generate_pins=True,
    )
    # As if a concurrent opening had just taken the PIN drawn: the draw is repeated, unsaid.
    draws = iter([(victim.issued_pins["a"], "111111"), ("222222", "333333")])
    monkeypatch.setattr("masking.services.sessions.pins_generate", lambda **_: next(draws))
    opened = session_create(
        virtual_number=number,
        participant_a="+6591230003",
        participant_b="+6591230004",
        generate_pins=True,
    )
    assert opened.issued_pins == {"a": "222222", "b": "333333"}
