"""8x8's SNAPSHOT lists the whole pool: one of 10,000 numbers is accepted and applied in bulk."""

import json

import pytest
from django.db.models import Count

from callflows.models import NumberEvent
from masking.models import MaskingSession, VirtualNumber
from tests.callflows import payloads
from tests.factories import open_session

pytestmark = pytest.mark.django_db
URL = "/callflows/8x8/virtual-number-updated/"
POOL = 10_000


def msisdn(i: int) -> str:
    return f"+65310{i:05d}"


def post(provider, body):
    return provider.post(URL, json.dumps(body), content_type="application/json")


def test_a_snapshot_of_10000_numbers_is_accepted_and_applied_in_a_fixed_number_of_queries(
    provider, django_assert_max_num_queries
):
    # 9,000 numbers we know (all active), 1,000 we do not; 8x8 reports 300 unhealthy and 200
    # inactive among the known ones, two of them holding open sessions.
    VirtualNumber.objects.bulk_create(
        VirtualNumber(number=msisdn(i), label=f"pool {i}") for i in range(9_000)
    )
    retiring = VirtualNumber.objects.get(number=msisdn(8_999))
    sessions = [open_session(virtual_number=retiring) for _ in range(2)]
    statuses = {i: "Unhealthy" for i in range(300)} | {i: "Inactive" for i in range(8_800, 9_000)}
    body = payloads.numbers(
        "SNAPSHOT", *(payloads.number(msisdn(i), statuses.get(i, "Active")) for i in range(POOL))
    )
    assert len(json.dumps(body)) > 2 * 1024 * 1024  # far beyond the other webhooks' 64 KiB
    # A few statements, plus insert batches (SQLite takes at most 999 parameters a statement):
    # nothing per number.
    with django_assert_max_num_queries(60):
        response = post(provider, body)
    assert response.status_code == 200, response.content[:300]
    assert response.json() == {"result": "applied", "changed": 1_000 + 300 + 200, "skipped": 0}
    counts = dict(
        VirtualNumber.objects.values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    assert counts == {"active": 8_500 + 1_000, "unhealthy": 300, "retired": 200}
    assert NumberEvent.objects.count() == 1_500
    assert VirtualNumber.objects.get(number=msisdn(9_500)).country == "SG"
    # Retirement closed the sessions the number held, and its counter followed.
    assert set(
        MaskingSession.objects.filter(pk__in=[s.pk for s in sessions]).values_list(
            "status", "close_reason"
        )
    ) == {("closed", "number_retired")}
    retiring.refresh_from_db()
    assert retiring.open_sessions == 0
    # Delivered again, it changes nothing.
    assert post(provider, body).json() == {"result": "applied", "changed": 0, "skipped": 0}


def test_a_snapshot_listing_a_number_twice_is_applied_by_its_latest_entry(provider):
    twice, known = "+6531500777", VirtualNumber.objects.create(number="+6531500778")
    older = payloads.number(twice, "Inactive")
    newer = {**payloads.number(twice, "Unhealthy"), "updatedTimestamp": "2026-03-02T00:00:00Z"}
    body = payloads.numbers(
        "SNAPSHOT",
        newer,
        older,  # earlier timestamp, later in the list: still older
        payloads.number(str(known.number), "Active"),
        payloads.number(str(known.number), "Inactive"),  # same time, later: this one
    )
    response = post(provider, body)
    assert response.status_code == 200, response.content
    assert VirtualNumber.objects.get(number=twice).status == "unhealthy"
    assert VirtualNumber.objects.get(number=known.number).status == "retired"
    assert NumberEvent.objects.count() == 2


def test_the_other_webhooks_keep_their_64_kib_cap(provider):
    body = payloads.status()
    body["payload"]["padding"] = "x" * 65_536
    response = provider.post(
        "/callflows/8x8/call-status/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 413
