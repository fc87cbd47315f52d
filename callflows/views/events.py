"""VCS, VSS, VRU and VNU: events 8x8 reports after the fact. Each is stored once; we answer 200.

The body of a 200 says whether the event was new (`"stored"`) or a redelivery (`"duplicate"`), for
whoever reads 8x8's delivery logs; 8x8 itself needs only the status.
"""

import logging

from django.conf import settings

from callflows import events
from callflows.models import CallEvent, NumberEvent
from callflows.pool import number_updates_ingest
from callflows.records import (
    foreign_ingest,
    recording_ingest,
    status_ingest,
    storable,
    summary_ingest,
)
from callflows.subaccounts import foreign_subaccount, not_acted_on
from callflows.views.base import ProviderView, json_response
from masking.models import Pool

logger = logging.getLogger(__name__)


def _stored(new: bool):
    return json_response({"result": "stored" if new else "duplicate"})


class EventView(ProviderView):
    """Validate the event with `envelope`, store it once with `ingest`, answer 200."""

    envelope: type
    ingest: staticmethod
    kind: str

    def post(self, request, data):
        serializer = self.envelope(data=data)
        serializer.is_valid(raise_exception=True)
        payload = serializer.validated_data["payload"]
        subaccount = foreign_subaccount(data.get("payload"), self.grant)
        if subaccount:
            new = foreign_ingest(kind=self.kind, payload=payload, raw=data, subaccount=subaccount)
            return json_response(
                {"result": "stored" if new else "duplicate", "applied": False,
                 "reason": not_acted_on(subaccount, self.grant)}
            )  # fmt: skip
        return _stored(self.ingest(payload=payload, raw=data))


class CallStatusView(EventView):
    """VCS: a leg's progress. Telemetry for the call's timeline, never relied on."""

    envelope = events.StatusEvent
    ingest = staticmethod(status_ingest)
    kind = CallEvent.Kind.STATUS


class SessionSummaryView(EventView):
    """VSS: the authoritative outcome of a call, once per sessionId."""

    envelope = events.SummaryEvent
    ingest = staticmethod(summary_ingest)
    kind = CallEvent.Kind.SUMMARY


class RecordingUploadedView(EventView):
    """VRU: a recording was pushed to our storage; attach it to its call."""

    envelope = events.RecordingEvent
    ingest = staticmethod(recording_ingest)
    kind = CallEvent.Kind.RECORDING


class NumberUpdateView(ProviderView):
    """VNU: 8x8's view of our numbers' health; see `callflows.pool` for what it changes."""

    number_updates = True

    @classmethod
    def body_limit(cls) -> int:
        # A SNAPSHOT carries the whole pool.
        return settings.MASKING_NUMBER_UPDATE_MAX_BODY_BYTES

    def post(self, request, data):
        serializer = events.NumbersEvent(data=data)
        serializer.is_valid(raise_exception=True)
        payload = serializer.validated_data["payload"]
        readable, skipped = events.read_number_entries(payload["virtualNumbers"])
        subaccount = foreign_subaccount(data.get("payload"), self.grant)
        if subaccount:
            stored = foreign_numbers_ingest(
                update_type=payload["updateEventType"],
                numbers=[entry for entry, _raw in readable],
                raw_numbers=[raw for _entry, raw in readable],
                subaccount=subaccount,
                reason=not_acted_on(subaccount, self.grant),
            )
            return json_response(
                {"result": "stored", "applied": False, "stored": stored,
                 "reason": not_acted_on(subaccount, self.grant)}
            )  # fmt: skip
        changed = number_updates_ingest(
            update_type=payload["updateEventType"],
            numbers=[entry for entry, _raw in readable],
            raw_numbers=[raw for _entry, raw in readable],
            skipped=skipped,
            pool=Pool.objects.get(pk=self.grant.pool_id) if self.grant.pool_id else None,
        )
        logger.info(
            "number update %s: %d numbers changed, %d entries skipped",
            payload["updateEventType"],
            changed,
            len(skipped),
        )
        return json_response({"result": "applied", "changed": changed, "skipped": len(skipped)})


def foreign_numbers_ingest(
    *, update_type: str, numbers: list[dict], raw_numbers: list, subaccount: str, reason: str
) -> int:
    """Another sub-account's number update: each number's event stored, flagged, not applied."""
    events = [
        NumberEvent(
            msisdn=update["msisdn"],
            update_type=update_type,
            operational_status=update["operationalStatus"],
            reason=reason,
            foreign_subaccount=subaccount,
            provider_updated_at=update.get("updatedTimestamp"),
            payload=storable(raw) if isinstance(raw, dict) else {},
        )
        for update, raw in zip(numbers, raw_numbers, strict=False)
    ]
    NumberEvent.objects.bulk_create(events)
    return len(events)
