"""The two callflow dialects: what 8x8 is asked to do with the caller's keys."""

import pytest

from callflows.dialects import CURRENT, SEED, say_and_capture
from masking.routing import PromptFacts

PROMPT = PromptFacts(
    text="Please enter your PIN.", language="en", voice_profile="generic-en-female"
)


@pytest.mark.parametrize(
    ("min_digits", "max_digits", "waits_for_hash"),
    [
        (4, None, False),  # a 4-digit PIN: the fourth key ends the entry
        (1, None, False),  # "press 1 to agree"
        (6, 6, False),
        (4, 8, True),  # variable length: only # (or the timeout) can tell it is complete
    ],
)
def test_current_dialect_fixed_length_entry_does_not_wait_for_hash(
    min_digits, max_digits, waits_for_hash
):
    params = say_and_capture(PROMPT, min_digits=min_digits, max_digits=max_digits, dialect=CURRENT)[
        "params"
    ]
    assert params["completeOnHash"] is waits_for_hash
    # 8x8 requires maxDigits whenever completeOnHash is false (-1008), and with minDigits (-1003).
    assert params["maxDigits"] == (max_digits or min_digits)
    assert params["overallTimeout"] > params["digitTimeout"]


def test_seed_dialect_keeps_the_seeds_shape():
    assert say_and_capture(PROMPT, min_digits=4, dialect=SEED) == {
        "action": "say&capture",
        "params": {
            "text": "Please enter your PIN.",
            "language": "en",
            "voiceProfile": "generic-en-female",
            "repetition": 1,
            "minDigits": 4,
        },
    }
