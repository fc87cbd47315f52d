"""Issue 24: every PIN guess is counted before it is judged, and the bounds hold under load.

- The number's ceiling holds however many guesses arrive at once (they queue on the number's
  row), with one lockout and one callback per scope (findings 2).
- Withheld and unreadable caller IDs share one bucket, and its lockout is enforced (finding 3).
- A guess that cannot be counted is not judged: the caller hears the apology (finding 4).
"""

import threading

import psycopg
import pytest
from django.db import connection

from callflows.models import Call
from callflows.tags import tag_outcome as outcome_of_tag
from masking.models import Callback, CallbackEndpoint, PinFailure, PinLockout
from tests.callback_receiver import SECRET
from tests.callflows.conftest import VN, call_action
from tests.callflows.phone_calls import PIN_A, PhoneCall, actions
from tests.live import PROVIDER_AUTH, all_at_once, live_gunicorn, request

POSTGRES = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="concurrency needs PostgreSQL; `make test` runs this in its PostgreSQL pass",
)
URL = "/callflows/8x8/call-action/"
JUDGED = ("retry_pin", "pin_failed", "connect")


def tag_outcome(answer) -> str:
    return outcome_of_tag(answer["clientActionId"])


@pytest.fixture
def lockout_settings(settings):
    settings.MASKING_PIN_TRIES = 3
    settings.MASKING_PIN_LOCK_AFTER = 5
    settings.MASKING_PIN_NUMBER_CEILING = 20
    settings.MASKING_PIN_WINDOW_MINUTES = 24 * 60
    settings.MASKING_PIN_LOCK_MINUTES = 60
    return settings


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_48_simultaneous_wrong_pins_are_judged_at_most_the_ceiling(
    provider, pin_session, lockout_settings
):
    """Finding 2: 28 to 30 guesses judged (ceiling 20) and 7 to 11 number-wide lockouts, each
    with its own `pin.locked` callback."""
    CallbackEndpoint.objects.create(url="http://127.0.0.1:9/masking-events", secret=SECRET)
    callers = [f"+65912{n:05d}" for n in range(48)]
    calls = [
        PhoneCall(provider, caller, session_id=f"rotating-{n}") for n, caller in enumerate(callers)
    ]
    for call in calls:
        assert actions(call.start()) == ["say&capture"]
    bodies = [
        call_action(
            call.caller,
            VN,
            sessionId=call.session_id,
            eventId=f"{call.session_id}-2",
            clientActionId=call.tag,
            callStatus="ACTION_COMPLETED",
            eventData={"dtmf": f"{n:06d}"},
        )
        for n, call in enumerate(calls, start=1)
    ]
    headers = {"Authorization": PROVIDER_AUTH}
    with live_gunicorn(workers=2, threads=4) as port:
        answers = all_at_once(
            [lambda b=body: request(port, "POST", URL, b, headers=headers) for body in bodies]
        )
    assert {status for status, _ in answers} == {200}, answers
    outcomes = [tag_outcome(answer) for _, answer in answers]
    judged = [o for o in outcomes if o in JUDGED]
    assert len(judged) == 20, outcomes  # the ceiling, no more
    assert set(outcomes) <= {*JUDGED, "pin_locked"}, outcomes
    assert PinFailure.objects.count() == 20
    assert PinLockout.objects.of_numbers().count() == 1
    assert Callback.objects.filter(event_type="pin.locked").count() == 1


@pytest.mark.django_db
def test_withheld_and_unreadable_caller_ids_share_one_enforced_bucket(
    provider, pin_session, lockout_settings
):
    """Finding 3: 18 wrong PINs from withheld and odd caller IDs were all judged; the lockout of
    the "withheld" bucket was written at the 5th and never enforced."""
    hidden = ["anonymous", "Restricted", "", None, "12345", "anonymous"]
    outcomes, wrong = [], iter(f"{n:06d}" for n in range(1, 100))
    for n in range(18):
        call = PhoneCall(provider, hidden[n % len(hidden)], session_id=f"hidden-{n}")
        answer = call.start()
        if actions(answer) == ["say&capture"]:
            answer = call.key(next(wrong))
        outcomes.append(tag_outcome(answer))
    assert PinFailure.objects.count() == 5  # MASKING_PIN_LOCK_AFTER, for all of them together
    assert outcomes[:4] == ["retry_pin"] * 4
    assert outcomes[5:] == ["pin_locked"] * 13, outcomes
    (lockout,) = PinLockout.objects.all()
    assert lockout.caller == "withheld"
    # The right PIN from a hidden caller ID is refused too while the bucket is locked.
    call = PhoneCall(provider, "anonymous", session_id="hidden-right")
    assert tag_outcome(call.start()) == "pin_locked"


def _db_params():
    s = connection.settings_dict
    return f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} user={s['USER']} " + (
        f"dbname={s['NAME']}"
    )


@POSTGRES
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("digits", ["000001", PIN_A])
def test_a_guess_that_cannot_be_counted_is_not_judged(
    provider, pin_session, lockout_settings, digits
):
    """Finding 4: with the table of wrong PINs locked by another connection, 5 calls from one
    phone each had a PIN judged (`retry_pin`) and none was counted. Now neither a wrong PIN nor
    the right one is judged when the guess cannot be written down: the apology."""
    calls = [PhoneCall(provider, "+6591239999", session_id=f"slow-{n}") for n in range(5)]
    for call in calls:
        assert actions(call.start()) == ["say&capture"]
    release, held = threading.Event(), threading.Event()

    def hold():
        with psycopg.connect(_db_params()) as other:
            other.execute("LOCK TABLE masking_pinfailure IN ACCESS EXCLUSIVE MODE")
            held.set()
            release.wait(20)
            other.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    try:
        outcomes = [tag_outcome(call.key(digits)) for call in calls]
    finally:
        release.set()
        holder.join()
    assert outcomes == ["apology"] * 5
    assert PinFailure.objects.count() == 0
    assert not Call.objects.filter(outcome__in=JUDGED).exists()
