"""One Call Action delivered at the same moment to several app servers: one answer, one record.

PostgreSQL only: SQLite serialises writers, so it cannot show the race.
"""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from callflows.models import Call
from masking.models import PinFailure
from masking.services.sessions import session_close
from tests.callflows.conftest import AUTH, VN, A, B, call_action
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL; `make test` runs this in its PostgreSQL pass",
    ),
]

DELIVERIES = 8
ROUNDS = 10


def wrong_pins_counted(caller):
    return PinFailure.objects.filter(caller=caller).count()


def test_simultaneous_duplicate_deliveries_get_one_answer_and_one_record(settings):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    PromptFactory(purpose="no_session", text="[no session]")
    session = open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B)
    for round_ in range(ROUNDS):
        body = call_action(A, VN, sessionId=f"s-{round_}", eventId=f"e-{round_}")
        start = threading.Barrier(DELIVERIES)
        answers = []

        def deliver(body=body, start=start, answers=answers):
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=AUTH)
            start.wait()
            try:
                answers.append(
                    client.post("/callflows/8x8/call-action/", body, format="json").json()
                )
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(answers) == DELIVERIES
        assert all(answer == answers[0] for answer in answers), round_
        assert Call.objects.filter(provider_session_id=f"s-{round_}").count() == 1
        assert Call.objects.get(provider_session_id=f"s-{round_}").answer == answers[0]
        if round_ == ROUNDS // 2:
            session_close(session=session, reason="staff")  # later rounds answer no-session
    assert Call.objects.count() == ROUNDS


def deliver_at_once(body, times):
    start = threading.Barrier(times)
    answers = []

    def deliver():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=AUTH)
        start.wait()
        try:
            answers.append(client.post("/callflows/8x8/call-action/", body, format="json").json())
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_one_wrong_pin_delivered_8_times_at_once_counts_once(settings):
    """Issue 14, finding 3: four simultaneous deliveries of one wrong PIN counted four."""
    settings.WEBHOOK_AUTH_HEADER = AUTH
    settings.MASKING_PIN_LOCK_AFTER = 100  # no lockout here: every count shows
    stranger = "+6591239999"
    open_session(virtual_number=VirtualNumberFactory(number=VN), a=A, b=B, pin_a="482193")
    for call in range(2):
        first = call_action(stranger, VN, sessionId=f"pin-{call}", eventId=f"pin-{call}-1")
        asked = deliver_at_once(first, 1)[0]
        wrong = call_action(
            stranger,
            VN,
            sessionId=f"pin-{call}",
            eventId=f"pin-{call}-2",
            callStatus="ACTION_COMPLETED",
            clientActionId=asked["clientActionId"],
            eventData={"dtmf": "000000"},
        )
        answers = deliver_at_once(wrong, DELIVERIES)
        assert len(answers) == DELIVERIES
        assert all(answer == answers[0] for answer in answers)
        assert answers[0]["clientActionId"] == "masking-retry_pin-2"
    assert wrong_pins_counted(stranger) == 2
