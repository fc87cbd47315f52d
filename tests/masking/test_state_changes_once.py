"""Issue 24: every state change of a session happens once, whatever the concurrency.

Through a live gunicorn (threaded workers, a PostgreSQL connection per thread), as the business
backend would hit it: concurrent closes, reopens, extends, retirements and sweeps, then the
number's counter, the callbacks and the history must tell exactly the changes that happened.
"""

import random
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.utils import timezone
from rest_framework.authtoken.models import Token

from masking.models import AuditEntry, Callback, CallbackEndpoint, MaskingSession, VirtualNumber
from masking.services.sessions import sessions_close_expired
from tests.callback_receiver import SECRET
from tests.factories import VirtualNumberFactory, open_session
from tests.live import all_at_once, live_gunicorn, request

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrency needs PostgreSQL; `make test` runs this in its PostgreSQL pass",
    ),
]
SESSION = MaskingSession._meta.label


@pytest.fixture(scope="module")
def server(django_db_setup):
    with live_gunicorn(workers=2, threads=4) as port:
        yield port


@pytest.fixture
def backend(db):
    """The business backend's token headers; callbacks configured (they queue, nobody sends)."""
    CallbackEndpoint.objects.create(url="http://127.0.0.1:9/masking-events", secret=SECRET)
    user = User.objects.create_user("backend")
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    return {"Authorization": f"Token {Token.objects.create(user=user).key}"}


def history(session_id) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type=SESSION, object_id=str(session_id))
        .order_by("pk")
        .values_list("action", flat=True)
    )


def callbacks(session_id) -> list[str]:
    return list(
        Callback.objects.filter(session_id=session_id)
        .order_by("pk")
        .values_list("event_type", flat=True)
    )


def test_twelve_concurrent_closes_close_once(server, backend):
    """Finding 1: 12 concurrent closes were all applied: the counter ended 7 below the truth, with
    8 `session.closed` callbacks and 8 "ended" entries."""
    number = VirtualNumberFactory()
    session = open_session(virtual_number=number)
    open_session(virtual_number=number)  # another session on the number, still open after
    path = f"/api/sessions/{session.pk}/close/"
    answers = all_at_once([lambda: request(server, "POST", path, headers=backend)] * 12)
    assert [status for status, _ in answers] == [200] * 12, answers
    assert {body["status"] for _, body in answers} == {"closed"}
    number.refresh_from_db()
    assert number.open_sessions == 1 == number.sessions.open().count()
    assert history(session.pk) == ["opened", "ended"]
    assert callbacks(session.pk) == ["session.opened", "session.closed"]


def test_eight_concurrent_reopens_reopen_once(server, backend):
    """Finding 1: 8 concurrent reopens left the counter at 12 against 6 real sessions, with 8
    `session.opened` callbacks."""
    number = VirtualNumberFactory()
    session = open_session(virtual_number=number)
    request(server, "POST", f"/api/sessions/{session.pk}/close/", headers=backend)
    path = f"/api/sessions/{session.pk}/reopen/"
    answers = all_at_once([lambda: request(server, "POST", path, headers=backend)] * 8)
    # Reopening an open session changes nothing and answers it, as a second close does.
    assert [status for status, _ in answers] == [200] * 8, answers
    assert {body["status"] for _, body in answers} == {"open"}
    number.refresh_from_db()
    assert number.open_sessions == 1 == number.sessions.open().count()
    assert history(session.pk) == ["opened", "ended", "reopened"]
    assert callbacks(session.pk) == ["session.opened", "session.closed", "session.opened"]


def test_an_extension_racing_a_close_never_reopens_the_session(server, backend):
    """A change of expiry saved the whole session from memory: one racing a close wrote the
    session back as open, with its routing keys released and its number's counter lowered."""
    number = VirtualNumberFactory()
    sessions = [open_session(virtual_number=number) for _ in range(6)]
    later = (timezone.now() + timedelta(days=3)).isoformat()
    calls = []
    for session in sessions:
        calls += [
            lambda s=session: request(
                server, "POST", f"/api/sessions/{s.pk}/close/", headers=backend
            ),
            lambda s=session: request(
                server, "PATCH", f"/api/sessions/{s.pk}/", {"expires_at": later}, headers=backend
            ),
        ]
    answers = all_at_once(calls)
    assert {status for status, _ in answers} == {200}, answers
    number.refresh_from_db()
    assert number.sessions.open().count() == 0
    assert number.open_sessions == 0


# --- the property: random concurrent changes, then every count tells the truth ------------------

PEOPLE = [f"+659300{n:04d}" for n in range(40)]


def _random_calls(rng, port, headers, numbers, sessions):
    """A batch of random API requests and service calls, each a zero-argument callable."""
    calls = []
    for _ in range(24):
        kind = rng.choice(["open", "open", "close", "close", "reopen", "reopen", "extend"])
        if kind == "open" or not sessions:
            a, b = rng.sample(PEOPLE, 2)
            body = {"participant_a": a, "participant_b": b}
            if rng.random() < 0.6:
                body["ttl_seconds"] = rng.choice([1, 2, 3600])
            if rng.random() < 0.5:
                body["virtual_number"] = str(rng.choice(numbers).number)
            calls.append(lambda b=body: request(port, "POST", "/api/sessions/", b, headers=headers))
            continue
        session_id = rng.choice(sessions)
        if kind == "extend":
            later = (timezone.now() + timedelta(hours=rng.randint(1, 48))).isoformat()
            calls.append(
                lambda s=session_id, e=later: request(
                    port, "PATCH", f"/api/sessions/{s}/", {"expires_at": e}, headers=headers
                )
            )
        else:
            path = f"/api/sessions/{session_id}/{kind}/"
            calls += [lambda p=path: request(port, "POST", p, headers=headers)] * rng.randint(1, 3)
    calls += [lambda: list(sessions_close_expired())] * rng.randint(1, 2)
    if rng.random() < 0.4:
        number = rng.choice(numbers)
        retire = {"status": VirtualNumber.Status.RETIRED, "end_open_sessions": True}
        calls += [
            lambda n=number: request(
                port, "PATCH", f"/api/virtual-numbers/{n.pk}/", retire, headers=headers
            )
        ] * 2
    rng.shuffle(calls)
    return calls


def _assert_every_count_tells_the_truth():
    for number in VirtualNumber.objects.all():
        assert number.open_sessions == number.sessions.open().count(), number
    sessions = MaskingSession.objects.prefetch_related("participants")
    opened_events = defaultdict(list)
    for event, session_id in Callback.objects.order_by("pk").values_list("event_type", "session"):
        opened_events[session_id].append(event)
    for session in sessions:
        steps = history(session.pk)
        changes = [step for step in steps if step in ("opened", "reopened", "ended")]
        # Each change once: open and closed alternate, starting opened, ending in the real state.
        assert changes[0] == "opened", (session.pk, steps)
        assert all(
            (prev == "ended") != (step == "ended")
            for prev, step in zip(changes, changes[1:], strict=False)
        ), (session.pk, steps)
        assert (changes[-1] != "ended") == (session.status == "open"), (session.pk, steps)
        # One callback per change, in the same order.
        expected = ["session.closed" if c == "ended" else "session.opened" for c in changes]
        assert opened_events[session.pk] == expected, (session.pk, steps)
        # The routing keys follow the status.
        assert {p.holds_routing_key for p in session.participants.all()} == {
            session.status == "open"
        }
        # Each change of expiry starts from where the previous one left it.
        extended = AuditEntry.objects.filter(
            object_type=SESSION, object_id=str(session.pk), action="changed"
        ).order_by("pk")
        afters = [None]
        for entry in extended:
            before, after = entry.changes["expires at"].split(" → ")
            if afters[-1] is not None:
                assert before == afters[-1], (session.pk, list(extended.values("changes")))
            afters.append(after)


@pytest.mark.parametrize("seed", [24])
def test_random_concurrent_changes_leave_every_count_true(server, backend, seed):
    rng = random.Random(seed)
    numbers = [VirtualNumberFactory() for _ in range(4)]
    statuses = Counter()
    for _round in range(5):
        sessions = list(MaskingSession.objects.values_list("pk", flat=True))
        for result in all_at_once(_random_calls(rng, server, backend, numbers, sessions)):
            assert not isinstance(result, Exception), result
            if isinstance(result, tuple):
                statuses[result[0]] += 1
                # 400: a named number already pairs one of them, or is full or retired.
                assert result[0] in (200, 201, 400, 409), result
    # Something of each kind happened.
    assert statuses[201] and statuses[200]
    assert AuditEntry.objects.filter(action="reopened").exists()
    assert AuditEntry.objects.filter(action="ended").exists()
    _assert_every_count_tells_the_truth()
