"""Following calls and sessions by cursor: every row once, in order, pages of a bounded size, and
changed rows again in the change feed."""

import time

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from callflows.models import Call
from masking.models import MaskingSession
from tests.masking.api.conftest import client_for

# Committed rows, as a backend reads them: on PostgreSQL a feed shows only rows whose
# transaction has ended (masking/changes.py), which a test's own transaction never has.
# Serial: another xdist worker's open transaction would hold those rows back (README, "Tests").
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.serial]


@pytest.fixture
def backend(django_user_model):
    user = django_user_model.objects.create_user("feeds")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["masking", "callflows"])
    )
    return client_for(user)


def make_calls(count: int, start: int = 0) -> list[int]:
    return [Call.objects.create(provider_session_id=f"feed-{start + n}").pk for n in range(count)]


def follow(
    backend, path: str, param: str = "after", cursor: str = "0", limit: int = 7, expect: int = 0
):
    """Read the feed to its end: every row's id and the last cursor. Until `expect` rows came:
    on PostgreSQL a committed row shows once every older transaction on the server has ended
    (masking/changes.py), and other databases' tests may hold one open a while."""
    seen = []
    give_up = time.monotonic() + 60
    while True:
        response = backend.get(path, {param: cursor, "limit": limit})
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["id"] for row in body["results"]]
        cursor = body["next_cursor"]
        if body["next"] is None:
            if len(seen) >= expect or time.monotonic() > give_up:
                return seen, cursor
            time.sleep(0.05)


def test_a_feed_gives_every_call_once_in_order_and_then_only_new_ones(backend):
    first = make_calls(20)
    seen, cursor = follow(backend, "/api/calls/", expect=20)
    assert seen == first
    assert follow(backend, "/api/calls/", cursor=cursor) == ([], cursor)  # caught up
    later = make_calls(3, start=20)
    assert follow(backend, "/api/calls/", cursor=cursor, expect=3)[0] == later


def test_the_change_feed_gives_a_call_again_when_its_outcome_arrives(backend):
    ids = make_calls(5)
    _seen, created_cursor = follow(backend, "/api/calls/", expect=5)
    seen, changed_cursor = follow(backend, "/api/calls/", param="updated_after", expect=5)
    assert seen == ids
    Call.objects.filter(pk=ids[1]).update(status=Call.Status.COMPLETED)  # the summary came
    changed, _cursor = follow(
        backend, "/api/calls/", param="updated_after", cursor=changed_cursor, expect=1
    )
    assert changed == [ids[1]]
    assert backend.get(f"/api/calls/{ids[1]}/").json()["outcome"] == "COMPLETED"
    # The feed of new calls does not repeat it.
    assert follow(backend, "/api/calls/", cursor=created_cursor)[0] == []


def test_sessions_follow_the_same_way(backend, sg_pool):
    from tests.factories import open_session

    opened = [
        open_session(virtual_number=sg_pool[0], a=f"+659123{n:04d}", b=f"+659124{n:04d}").pk
        for n in range(4)
    ]
    assert follow(backend, "/api/sessions/", limit=3, expect=4)[0] == opened


@pytest.mark.parametrize(
    "query, field",
    [
        ({"after": "nonsense"}, "after"),
        ({"updated_after": "bm9uc2Vuc2U"}, "updated_after"),
        ({"after": "0", "limit": "0"}, "limit"),
        ({"after": "0", "limit": "501"}, "limit"),
        ({"after": "0", "limit": "ten"}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"after": "0", "updated_after": "0"}, "updated_after"),
    ],
)
def test_a_bad_cursor_or_page_size_is_a_400_naming_it(backend, query, field):
    response = backend.get("/api/calls/", query)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]


def test_a_cursor_of_one_feed_is_refused_by_the_other(backend):
    make_calls(2)
    _seen, cursor = follow(backend, "/api/calls/", expect=2)
    response = backend.get("/api/calls/", {"updated_after": cursor})
    assert response.status_code == 400 and "updated_after" in response.json()["fields"]


def test_a_deep_page_is_one_query_like_the_first(backend):
    make_calls(60)
    _seen, deep = follow(backend, "/api/calls/", limit=50, expect=60)

    def statements(cursor):
        with CaptureQueriesContext(connection) as ctx:
            backend.get("/api/calls/", {"after": cursor, "limit": 5})
        return [q["sql"] for q in ctx.captured_queries if "callflows_call" in q["sql"]]

    first, last = statements("0"), statements(deep)
    assert len(first) == len(last)
    assert all("OFFSET" not in sql.upper() for sql in last)  # keyset, not offset


def test_sessions_listing_without_a_cursor_is_unchanged(backend, sg_pool):
    response = backend.get("/api/sessions/")
    assert set(response.json()) == {"count", "next", "previous", "results"}
    assert MaskingSession.objects.count() == 0
