"""The sessions list at a million rows (issue 28): what it shows stays, what it reads shrinks."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from masking.models import MaskingSession
from masking.services.sessions import session_close
from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db

SESSIONS = reverse("admin:masking_maskingsession_changelist")
OPEN_INDEX = "masking_session_open_started"


@pytest.fixture
def sessions():
    number = VirtualNumberFactory()
    now = timezone.now()
    made = {
        "first": open_session(
            virtual_number=number,
            a="+6591230009",
            b="+6591230001",
            reference="first",
            started_at=now - timedelta(days=40),
        ),
        "latest": open_session(virtual_number=number, reference="latest"),
        "ended": open_session(virtual_number=number, reference="ended"),
    }
    session_close(session=made["ended"], reason=MaskingSession.CloseReason.STAFF)
    return made


@pytest.mark.parametrize("query", [{}, {"state": "open"}, {"q": "first"}], ids=str)
def test_the_date_drill_down_reads_the_lists_first_and_last_date_once(
    admin_client, sessions, query
):
    """Django's tag read MIN/MAX to pick its level, then the periods read it again."""
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(SESSIONS, query)
    assert response.status_code == 200
    spans = [q["sql"] for q in queries if "MIN(" in q["sql"].upper()]
    assert len(spans) == 1
    assert "started_at__year=" in response.content.decode()


@pytest.mark.parametrize("term", ["nothing-like-it", "first"])
def test_a_searched_list_offers_the_periods_of_the_list_before_its_search(
    admin_client, sessions, term
):
    """Its span is read without the search: a term matching nothing made PostgreSQL walk every
    row in date order looking for a first match. The periods offered are the list's."""
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(SESSIONS, {"q": term}).content.decode()
    [span] = [q["sql"] for q in queries if "MIN(" in q["sql"].upper()]
    assert "LIKE" not in span.upper()
    first = sessions["first"].started_at
    assert f"started_at__year={timezone.localtime(first).year}" in page


@pytest.mark.parametrize(
    "state, references",
    [("open", ["first", "latest"]), ("closed", ["ended"]), (None, ["ended", "first", "latest"])],
    ids=str,
)
def test_the_state_filter_lists_its_sessions(admin_client, sessions, state, references):
    response = admin_client.get(SESSIONS, {"state": state} if state else {})
    assert sorted(s.reference for s in response.context["cl"].result_list) == references


def test_the_participants_column_shows_a_then_b(admin_client, sessions):
    """In role order, whatever order their numbers sort in, whole for a superuser."""
    page = admin_client.get(SESSIONS, {"q": "first"}).content.decode()
    assert "+6591230009<br>+6591230001" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an index plan is PostgreSQL's")
def test_the_open_filter_reads_the_open_sessions_index(admin_user, sessions):
    """The open filter's rows in the list's order, planned with sequential scans priced out: the
    partial index of open sessions serves them (the full one holds every closed session too)."""
    queryset = MaskingSession.objects.live().order_by("-started_at", "-id")[:100]
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert OPEN_INDEX in plan


def test_each_rows_action_box_is_djangos(admin_client, sessions):
    """Written out instead of rendered through the form templates: the same box, so selecting
    rows for an action works as before."""
    from django.contrib import admin

    model_admin = admin.site._registry[MaskingSession]
    for session in sessions.values():
        ours = model_admin.action_checkbox(session)
        assert ours == admin.ModelAdmin.action_checkbox(model_admin, session)
    response = admin_client.post(
        SESSIONS,
        {"action": "export_csv", "_selected_action": [sessions["first"].pk]},
    )
    assert response.status_code == 200
    assert b"+6591230009" in b"".join(response.streaming_content)
