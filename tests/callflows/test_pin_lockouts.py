"""Issue 14: PIN access that strangers can neither guess nor lock.

Wrong PINs count against the phone that keyed them, and against the number (a ceiling that
pauses PIN entry for unknown phones, against a guesser rotating caller IDs); participants
calling from their own phones never key a PIN, so no lockout reaches them.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from callflows.models import Call
from masking.models import AuditEntry, PinFailure, PinLockout
from masking.services.pin_access import pin_lockout_clear
from tests.callflows.conftest import A, B
from tests.callflows.phone_calls import PIN_A, PIN_B, STRANGER, PhoneCall, actions, texts

pytestmark = pytest.mark.django_db
THIRD_PHONE = "+6591238888"  # a participant's other phone: not in any session


@pytest.fixture
def lockout_settings(settings):
    settings.MASKING_PIN_TRIES = 3
    settings.MASKING_PIN_LOCK_AFTER = 5
    settings.MASKING_PIN_NUMBER_CEILING = 20
    settings.MASKING_PIN_WINDOW_MINUTES = 24 * 60
    settings.MASKING_PIN_LOCK_MINUTES = 60
    return settings


def guess(provider, caller, attempts, *, session_prefix):
    """Try `attempts` wrong PINs from `caller`, calling again whenever a call ends (a refused
    caller spends the attempt on the goodbye). Returns how many were counted as wrong PINs."""
    before, calls, wrong = PinFailure.objects.count(), 0, iter(f"{n:06d}" for n in range(1, 10**6))
    while attempts > 0:
        calls += 1
        call = PhoneCall(provider, caller, session_id=f"{session_prefix}-{calls}")
        answer = call.start()
        if actions(answer)[-1] != "say&capture":
            attempts -= 1
        while attempts > 0 and actions(answer)[-1] == "say&capture":
            attempts -= 1
            answer = call.key(next(wrong))
    return PinFailure.objects.count() - before


def connects(provider, caller, pin=None, *, session_id):
    call = PhoneCall(provider, caller, session_id=session_id)
    answer = call.start()
    if pin is not None and actions(answer) == ["say&capture"]:
        answer = call.key(pin)
    return actions(answer)[-1] == "makeCall"


def test_a_strangers_50_wrong_pins_lock_that_phone_only(provider, pin_session, lockout_settings):
    """Finding 2: 12 wrong PINs from anyone locked every PIN session; the owner then heard
    `retry_pin`."""
    counted = guess(provider, STRANGER, 50, session_prefix="stranger")
    assert counted == 5  # MASKING_PIN_LOCK_AFTER: then the phone is refused PIN entry
    refused = PhoneCall(provider, STRANGER, session_id="stranger-again").start()
    assert refused["clientActionId"] == "masking-pin_locked"
    assert texts(refused) == ["[goodbye]"] and actions(refused) == ["say", "hangup"]
    assert connects(provider, THIRD_PHONE, PIN_A, session_id="owner-elsewhere")
    assert connects(provider, A, session_id="owner-own-phone")
    (lockout,) = PinLockout.objects.all()
    assert (lockout.caller, lockout.wrong_pins) == (STRANGER, 5)


def test_rotating_caller_ids_pause_pin_entry_for_unknown_phones(
    provider, pin_session, lockout_settings
):
    for n in range(20):
        guess(provider, f"+65912{n:05d}", 3, session_prefix=f"rotating-{n}")
    assert PinFailure.objects.count() == 20
    paused = PhoneCall(provider, "+6591277777", session_id="next-guesser").start()
    assert paused["clientActionId"] == "masking-pin_locked"
    # Participants calling from their own phones need no PIN: they still connect.
    assert connects(provider, A, session_id="a-own-phone")
    assert connects(provider, B, session_id="b-own-phone")
    # PIN entry is paused for every phone not in a session, even with the right PIN.
    assert not connects(provider, THIRD_PHONE, PIN_B, session_id="b-elsewhere")
    (lockout,) = PinLockout.objects.of_numbers()
    assert lockout.virtual_number == pin_session.virtual_number


def test_a_lockout_reached_mid_call_refuses_the_next_digits(
    provider, pin_session, lockout_settings
):
    lockout_settings.MASKING_PIN_LOCK_AFTER = 2
    call = PhoneCall(provider, STRANGER)
    call.start()
    assert call.key("000001")["clientActionId"] == "masking-retry_pin-2"
    assert call.key("000002")["clientActionId"] == "masking-retry_pin-3"  # the lockout starts
    assert call.key(PIN_A)["clientActionId"] == "masking-pin_locked"
    assert Call.objects.get().outcome == "pin_locked"


def test_keying_nothing_is_no_guess(provider, pin_session, lockout_settings):
    call = PhoneCall(provider, STRANGER)
    call.start()
    call.key(None)
    call.key("")
    assert PinFailure.objects.count() == 0


def test_after_the_lockout_one_more_wrong_pin_locks_again(provider, pin_session, lockout_settings):
    guess(provider, STRANGER, 5, session_prefix="first-round")
    now = timezone.now()
    PinLockout.objects.update(locked_at=now - timedelta(hours=1), locked_until=now)  # it ended
    assert guess(provider, STRANGER, 3, session_prefix="second-round") == 1
    assert PinLockout.objects.active().filter(caller=STRANGER).count() == 1
    assert PinLockout.objects.count() == 2


def test_wrong_pins_older_than_the_window_are_forgotten(provider, pin_session, lockout_settings):
    guess(provider, STRANGER, 4, session_prefix="yesterday")
    PinFailure.objects.update(at=timezone.now() - timedelta(days=1, minutes=1))
    assert guess(provider, STRANGER, 4, session_prefix="today") == 4
    assert not PinLockout.objects.exists()


@pytest.mark.parametrize("scope", ["caller", "number"])
def test_staff_clearing_a_lockout_lets_pin_entry_in_and_forgives_its_count(
    provider, pin_session, lockout_settings, admin_user, scope
):
    if scope == "caller":
        guess(provider, STRANGER, 5, session_prefix="locked")
        lockout = PinLockout.objects.of_callers().get()
        caller = STRANGER
    else:
        for n in range(20):
            guess(provider, f"+65912{n:05d}", 1, session_prefix=f"rotating-{n}")
        lockout = PinLockout.objects.of_numbers().get()
        caller = THIRD_PHONE
    pin_lockout_clear(lockout=lockout, actor=admin_user)
    assert connects(provider, caller, PIN_A, session_id="after-clearing")
    # The wrong PINs before the clearing no longer count: one more does not lock again.
    guess(provider, caller, 1, session_prefix="one-more")
    assert not PinLockout.objects.active().exists()
    entry = AuditEntry.objects.get(action="cleared")
    assert (entry.actor, entry.via, entry.object_type) == (
        admin_user,
        "admin",
        "masking.PinLockout",
    )
    assert STRANGER not in entry.object_repr + str(entry.changes)  # never a number in full


def test_withheld_callers_wrong_pins_count_together_and_lock_no_number(
    provider, pin_session, lockout_settings
):
    """A caller ID we cannot read is still a caller: its wrong PINs count under one key (not the
    number-wide scope), its lockout is enforced (issue 24, finding 3), and a participant with the
    right PIN from a phone that shows its number still connects afterwards."""
    counted = guess(provider, "anonymous", 8, session_prefix="withheld")
    assert counted == 5  # MASKING_PIN_LOCK_AFTER, then the withheld bucket is locked
    assert set(PinFailure.objects.values_list("caller", flat=True)) == {"withheld"}
    assert list(PinLockout.objects.values_list("caller", flat=True)) == ["withheld"]
    assert connects(provider, THIRD_PHONE, PIN_A, session_id="owner")


def test_a_numbers_pause_spares_phones_that_connected_with_their_pin_before(
    provider, pin_session, lockout_settings
):
    """Issue 24, finding 6: 20 wrong PINs from any caller IDs kept every PIN holder off the number.
    The pause still stops strangers, but not a phone that connected with its PIN before."""
    assert connects(provider, THIRD_PHONE, PIN_A, session_id="owner-before")
    for n in range(20):
        guess(provider, f"+65912{n:05d}", 3, session_prefix=f"holding-{n}")
    assert PinLockout.objects.of_numbers().active().count() == 1
    new_phone = PhoneCall(provider, "+6591277777", session_id="new-phone").start()
    assert new_phone["clientActionId"] == "masking-pin_locked"
    assert connects(provider, THIRD_PHONE, PIN_A, session_id="owner-during-pause")
    # Its wrong PINs still count, against its own lockout.
    assert guess(provider, THIRD_PHONE, 6, session_prefix="owner-wrong") == 5
    assert not connects(provider, THIRD_PHONE, PIN_A, session_id="owner-locked")
