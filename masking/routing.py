"""The facts a call decision is made from: plain, immutable values with no ORM behind them.

`masking.selectors.call_facts` reads them from the database in a fixed number of queries;
`callflows.decision.decide` turns them into a decision without touching the database.
"""

from dataclasses import dataclass, field
from datetime import datetime

from masking.pool_rules import PoolRules, deployment_rules
from masking.session_rules import SessionRules


@dataclass(frozen=True)
class PromptFacts:
    text: str
    language: str  # ISO 639-1, as stored
    voice_profile: str
    repetition: int = 1


@dataclass(frozen=True)
class SessionFacts:
    """The open session holding the routing key (virtual number, caller), if any."""

    session_id: int
    starts_at: datetime
    expires_at: datetime | None
    closed: bool
    other_party: str  # E.164
    recording_requested: bool
    caller_consented: bool = False
    other_party_consented: bool = False
    caller_role: str = "a"  # the role ("a"/"b") of the participant the call is made as
    rules: SessionRules = field(default_factory=SessionRules)
    connected_calls: int = 0  # calls it bridged so far (read only when it has a limit)


@dataclass(frozen=True)
class CallFacts:
    virtual_number: str  # E.164, as dialled
    caller: str  # E.164
    number_status: str | None  # None: not a number of our pool
    session: SessionFacts | None = None
    prompts: dict[str, PromptFacts] = field(default_factory=dict)  # by purpose
    pin_sessions: bool = False  # open sessions on the number that callers may reach by PIN
    pin_paused: bool = False  # PIN entry refused to this caller on the number (a PIN lockout)
    pool_id: int | None = None  # the number's pool; None: not a number of ours
    deployment_pool: bool = False  # the number is in the deployment's pool
    # The dialect the pool's sub-account's voice catalogue speaks (seed, current; "": not read),
    # what its dialect rule `auto` means.
    catalogue_dialect: str = ""
    # The number's pool's rules in force (the deployment's for a number not ours).
    rules: PoolRules = field(default_factory=deployment_rules)


@dataclass(frozen=True)
class OutOfSession:
    """What a number does with a call from a phone in no session on it (the effective settings,
    `callflows.out_of_session.out_of_session_config`): ask the business, and where the fallback
    line is (E.164; empty: none)."""

    ask_business: bool = False
    fallback_line: str = ""


@dataclass(frozen=True)
class BusinessAnswer:
    """What the business answered about a call in no session, and how long it took.

    `kind` is one of callflows.decision.BusinessKind: an answer (open_session, connect, prompt,
    refuse) or why there is none (timeout, error, bad_answer)."""

    kind: str
    elapsed_ms: int
    destination: str = ""  # E.164: whom to bridge to (connect, open_session)
    session_id: int | None = None  # open_session: the session opened for it
    prompt: str = ""  # prompt: what to say
    reference: str = ""  # open_session: the session's reference
    session_seconds: int = 0  # open_session: how long the session lasts
    detail: str = ""  # why there is no answer, for staff
