"""README's events table says what the code sends, field by field: each event type is made by
the code here and its `data` compared with the table's row."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from callflows.models import Call
from callflows.records import call_completed_emit
from masking.models import Callback, PinLockout, VirtualNumber
from masking.services.callbacks import (
    emit_number_unhealthy,
    emit_pin_locked,
    emit_session_closed,
    emit_session_opened,
)
from masking.services.sessions import session_close
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_table() -> dict[str, dict[str, frozenset | None]]:
    text = README.read_text()
    table = text[text.index("| `type` | when | `data` |") :].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        kind, data = cells[0].strip("`"), cells[-1]
        fields = {}
        for name, inner in re.findall(r"`([a-z_]+)`(?: \(([^)]*)\))?", data):
            fields[name] = frozenset(re.findall(r"`([a-z_]+)`", inner)) if inner else None
        rows[kind] = fields
    return rows


def shape(data: dict) -> dict[str, frozenset | None]:
    fields = {}
    for name, value in data.items():
        if isinstance(value, list):
            value = value[0] if value else {}
        fields[name] = frozenset(value) if isinstance(value, dict) else None
    return fields


def emitted(receiver) -> dict[str, dict]:
    vn = VirtualNumberFactory(number="+6531500701")
    session = open_session(
        virtual_number=vn, a="+6598762101", b="+6598762102", pin_a="482193", pin_b="903417"
    )
    emit_session_opened(session=session)
    call = Call.objects.create(
        provider_session_id="readme-1", masking_session=session, caller="+6598762101"
    )
    call_completed_emit(call_id=call.pk)
    emit_pin_locked(
        lockout=PinLockout.objects.create(
            virtual_number=vn,
            caller="",
            wrong_pins=10,
            locked_until=timezone.now() + timedelta(minutes=15),
        )
    )
    emit_number_unhealthy(number=VirtualNumber.objects.get(pk=vn.pk))
    session_close(session=session, reason="api")
    emit_session_closed(session=session)
    return {c.event_type: c.payload["data"] for c in Callback.objects.order_by("pk")}


def test_readme_lists_every_event_type_the_code_has():
    assert set(readme_table()) == set(Callback.EventType.values)


def test_readme_events_table_matches_what_the_code_sends(receiver):
    table = readme_table()
    sent = emitted(receiver)
    assert set(sent) == set(Callback.EventType.values)
    for kind, data in sent.items():
        documented = table[kind]
        actual = shape(data)
        # A field README leaves without its parts ("`reason`") is a plain value in the code.
        assert documented == actual, kind
