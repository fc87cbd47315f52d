"""Issue 14, finding 1: PINs a stranger cannot guess.

The chance that one guess on a number connects (active PINs on it / possible PINs) stays within
1 in MASKING_PIN_GUESS_ONE_IN, whatever the number of PIN sessions opened on it: openings on a
number full of PINs are refused, and allocation moves them to another number.
"""

import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from masking.models import MaskingSession, Participant
from masking.services.sessions import session_close, session_create, session_reopen
from tests.factories import VirtualNumberFactory, participant_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def bound(settings):
    """The defaults, stated: 6-digit PINs, 1 in 10,000 per guess."""
    settings.MASKING_PIN_LENGTH = 6
    settings.MASKING_PIN_GUESS_ONE_IN = 10_000
    return 1 / 10_000


def guess_chance(virtual_number) -> float:
    """From what is stored: every PIN is MASKING_PIN_LENGTH digits (only its keyed hash is kept),
    so a guess of that length matches one of the number's active PINs with this chance."""
    from django.conf import settings

    pins = (
        Participant.objects.filter(virtual_number=virtual_number, holds_routing_key=True)
        .exclude(pin_hash="")
        .count()
    )
    return pins / 10**settings.MASKING_PIN_LENGTH


def open_pin_session(virtual_number=None):
    return session_create(
        virtual_number=virtual_number,
        participant_a=participant_number(),
        participant_b=participant_number(),
        generate_pins=True,
    )


def test_1000_pin_sessions_opened_on_one_number_never_exceed_the_bound(bound):
    number = VirtualNumberFactory()
    opened, refused = 0, 0
    for _ in range(1000):
        try:
            open_pin_session(number)
            opened += 1
        except ValidationError as exc:
            assert [e.code for e in exc.error_dict["virtual_number"]] == ["pin_room"]
            refused += 1
        assert guess_chance(number) <= bound
    assert (opened, refused) == (50, 950)
    assert {len(p.pin_hash) for p in Participant.objects.all()} == {64}  # hashes, not digits


def test_allocation_moves_pin_sessions_to_numbers_with_room(bound, settings):
    settings.MASKING_PIN_GUESS_ONE_IN = 100_000  # 10 PINs, 5 PIN sessions a number: quicker
    pool = [VirtualNumberFactory() for _ in range(4)]
    for _ in range(20):
        open_pin_session()
        assert all(guess_chance(number) <= 1 / 100_000 for number in pool)
    per_number = Counter(MaskingSession.objects.values_list("virtual_number", flat=True))
    assert sorted(per_number.values()) == [5, 5, 5, 5]
    with pytest.raises(Exception, match="exhausted"):
        open_pin_session()
    # Sessions without PINs still fit: the bound is about PINs, not capacity.
    session_create(participant_a=participant_number(), participant_b=participant_number())


@pytest.mark.parametrize(
    "pins, error",
    [
        (("4821", "9034"), "A PIN is 6 digits"),
        (("4821930", "9034170"), "A PIN is 6 digits"),
        (("48219a", "903417"), "A PIN is 6 digits"),
    ],
)
def test_typed_pins_have_the_length_callers_are_asked_for(bound, pins, error):
    with pytest.raises(ValidationError, match=error):
        session_create(
            virtual_number=VirtualNumberFactory(),
            participant_a=participant_number(),
            participant_b=participant_number(),
            pin_a=pins[0],
            pin_b=pins[1],
        )


def test_typed_pins_count_against_the_bound_too(bound, settings):
    settings.MASKING_PIN_GUESS_ONE_IN = 250_000  # room for 4 PINs
    number = VirtualNumberFactory()
    session_create(
        virtual_number=number,
        participant_a=participant_number(),
        participant_b=participant_number(),
        pin_a="111111",
        pin_b="222222",
    )
    session_create(
        virtual_number=number,
        participant_a=participant_number(),
        participant_b=participant_number(),
        pin_a="333333",
    )
    with pytest.raises(ValidationError, match="guessing bound"):
        open_pin_session(number)
    assert guess_chance(number) <= 1 / 250_000


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency needs PostgreSQL")
def test_concurrent_openings_at_the_edge_of_the_bound_let_one_in(bound, settings):
    settings.MASKING_PIN_GUESS_ONE_IN = 250_000  # room for 4 PINs: one session, then one more
    number = VirtualNumberFactory()
    open_pin_session(number)
    start, outcomes = threading.Barrier(6), []

    def opening():
        start.wait()
        try:
            open_pin_session(number)
            outcomes.append("opened")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=opening) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["opened"] + ["refused"] * 5
    assert guess_chance(number) <= 1 / 250_000


def test_reopening_a_pin_session_respects_the_bound(bound, settings):
    settings.MASKING_PIN_GUESS_ONE_IN = 250_000  # room for 4 PINs: two PIN sessions
    number = VirtualNumberFactory()
    first = open_pin_session(number)
    session_close(session=first, reason="staff")
    open_pin_session(number)
    open_pin_session(number)
    with pytest.raises(ValidationError, match="guessing bound"):
        session_reopen(session=first)
    first.refresh_from_db()
    assert first.status == "closed" and guess_chance(number) <= 1 / 250_000
