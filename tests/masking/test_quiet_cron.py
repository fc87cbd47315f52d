"""The every-minute jobs of README's crontab print nothing unless they did something, and nothing
at all with -v0: cron mails whatever a job prints, and a line a minute buries the mail that
matters."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
EVERY_MINUTE = ["requeue_callbacks", "close_expired_sessions"]


def output(command, **options) -> str:
    out, err = StringIO(), StringIO()
    call_command(command, stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


@pytest.mark.parametrize("command", EVERY_MINUTE)
@pytest.mark.parametrize("verbosity", [0, 1])
def test_a_job_with_nothing_to_do_prints_nothing(command, verbosity):
    assert output(command, verbosity=verbosity) == ""


def test_a_job_that_did_something_says_so_unless_told_to_be_silent():
    past = timezone.now() - timedelta(hours=2)
    number = VirtualNumberFactory()
    for _ in range(2):
        open_session(virtual_number=number, started_at=past, expires_at=past + timedelta(hours=1))
    assert output("close_expired_sessions", verbosity=0) == ""
    for _ in range(2):
        open_session(virtual_number=number, started_at=past, expires_at=past + timedelta(hours=1))
    assert "Closed 2 expired sessions." in output("close_expired_sessions", verbosity=1)
