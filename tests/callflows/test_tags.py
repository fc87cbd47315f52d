"""Our clientActionId tags: only the characters 8x8's examples use, and old tags still read."""

import re

import pytest

from callflows.answer import tag_outcome
from callflows.builders import client_action_id as tag_for
from callflows.decision import Decision, Outcome
from callflows.parsing import parse_call_action

# 8x8's examples: "NumberMaskingId1", "ivr1_level2"
# (docs/connect/docs/voice/ivr/call-action-handling.md)
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,100}$")

DECISIONS = [
    Decision(outcome, session_id=None if outcome == Outcome.NO_SESSION else 42, tries=3)
    for outcome in Outcome
]


@pytest.mark.parametrize("decision", DECISIONS, ids=[d.outcome.value for d in DECISIONS])
def test_every_tag_is_letters_digits_underscore_and_dash(decision):
    tag = tag_for(decision)
    # 8x8's -1016 refuses unnamed special characters; its examples use only these.
    assert TAG_PATTERN.match(tag), tag
    assert tag_outcome(tag) == decision.outcome.value


@pytest.mark.parametrize(
    ("tag", "outcome"),
    [
        ("masking-ask_pin-2", "ask_pin"),
        ("masking:ask_pin:2", "ask_pin"),  # written before the upgrade, echoed by a call in flight
        ("masking:connect:42", "connect"),
        ("masking-no_session", "no_session"),
        ("NumberMaskingId1", None),
        ("masking", None),
        ("", None),
        (None, None),
    ],
)
def test_both_forms_are_read(tag, outcome):
    assert tag_outcome(tag) == outcome
    body = {"payload": {"destination": "+6531500101", "clientActionId": tag}}
    # An echo of one of our tags is a follow-up to read as such, whatever its callStatus.
    assert parse_call_action(body)["is_keypad_answer"] is (outcome is not None)
