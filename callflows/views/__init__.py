"""The 8x8 webhooks, one view per webhook type. Views authenticate, validate, hand over, answer."""

from callflows.views.call_action import CallActionView
from callflows.views.events import (
    CallStatusView,
    NumberUpdateView,
    RecordingUploadedView,
    SessionSummaryView,
)

__all__ = [
    "CallActionView",
    "CallStatusView",
    "NumberUpdateView",
    "RecordingUploadedView",
    "SessionSummaryView",
]
