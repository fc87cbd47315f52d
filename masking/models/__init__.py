"""The domain: a pool of virtual numbers, masking sessions pairing two participants on one of
them, recording consent, the prompts read to callers, and the callbacks telling the business."""

from masking.models.audit import AuditEntry
from masking.models.callbacks import (
    Callback,
    CallbackAttempt,
    CallbackEndpoint,
    CallbackEndpointState,
)
from masking.models.consent import RecordingOptIn
from masking.models.numbers import VirtualNumber
from masking.models.pin_access import PinFailure, PinLockout
from masking.models.pools import Pool
from masking.models.prompts import Prompt
from masking.models.sessions import MaskingSession, Participant
from masking.models.voices import SpeechProfile

__all__ = [
    "AuditEntry",
    "Callback",
    "CallbackAttempt",
    "CallbackEndpoint",
    "CallbackEndpointState",
    "MaskingSession",
    "Participant",
    "PinFailure",
    "PinLockout",
    "Pool",
    "Prompt",
    "RecordingOptIn",
    "SpeechProfile",
    "VirtualNumber",
]
