"""What a keypad answer changes, beyond the callflow: consent given by keypad, PIN lockouts.

Called by the webhook (never by the simulator) only for the delivery that stored the Call Action
event (`callflows.records.call_record_answer`), in the same transaction: a wrong PIN delivered
eight times at once counts once, and a redelivery long after changes nothing.
"""

from dataclasses import dataclass

from callflows.answer import KEYPAD_PROMPTS, AskedBefore, tag_outcome
from callflows.decision import Decision
from callflows.models import Call
from masking.models import RecordingOptIn
from masking.services.consent import consent_record


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up Call Action (digits keyed, an action completed) is the answer to."""

    asked: AskedBefore | None = None  # the keypad prompt it answers
    hang_up: bool = False  # it answers anything else: hang up, never decide the call again


NEW_CALL = FollowUp()
HANG_UP = FollowUp(hang_up=True)


def follow_up_of(*, provider_session_id: str | None, echoed_tag: str | None) -> FollowUp:
    """Read the call's record to tell what this follow-up answers.

    - the keypad prompt we stored for the call, named by the echoed tag (or with no tag at all:
      Wavecell's legacy digit events echo none): the digits are its answer;
    - a tag that is not one of our keypad prompts (our connect, a goodbye, someone else's), or a
      call whose record shows anything but the prompt echoed: `hangup`, so a call is bridged at
      most once whatever 8x8 sends after the `makeCall`;
    - a call we have no record of (its record could not be written): decided as a new call.
    """
    echoed_outcome = tag_outcome(echoed_tag)
    if echoed_tag and echoed_outcome not in KEYPAD_PROMPTS:
        return HANG_UP
    row = None
    if provider_session_id:
        row = (
            Call.objects.filter(provider_session_id=provider_session_id)
            .values("outcome", "keypad_tries")
            .first()
        )
    if row is None:
        return NEW_CALL
    if row["outcome"] in KEYPAD_PROMPTS and (not echoed_tag or row["outcome"] == echoed_outcome):
        return FollowUp(asked=AskedBefore(outcome=row["outcome"], tries=row["keypad_tries"]))
    return HANG_UP


def apply_keypad_effects(
    *,
    decision: Decision,
    asked: AskedBefore,
    digits: str | None,
    caller: str | None,
    virtual_number: str,
    provider_session_id: str | None,
) -> None:
    """What the keypad answer changes: a keypad opt-in. (PIN guesses are counted by the Call
    Action as they are judged: `CallActionView.judge_pin_guess`.)

    A withheld or unreadable caller ID (`caller` None) gives no consent (nobody to hold it to).
    """
    if (
        caller
        and decision.consented_by_keypad
        and not RecordingOptIn.objects.active().filter(number=caller).exists()
    ):
        consent_record(
            number=caller,
            method=RecordingOptIn.Method.KEYPAD,
            evidence=f"8x8 session {provider_session_id or 'unknown'}",
        )
