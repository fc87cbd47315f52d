"""What a failed call writes to the log: one traceback, not one per part that failed. With the
database down, deciding and recording both fail; each used to log its own traceback (about 10 KB a
call between them), burying everything else in the log during an outage."""

import logging

import pytest
from django.db import connection

from tests.callflows.conftest import VN, A, call_action
from tests.servers import free_port

URL = "/callflows/8x8/call-action/"


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a PostgreSQL that is gone; `make test` runs it"
)
def test_a_call_while_the_database_is_gone_logs_one_traceback(provider, db, monkeypatch, caplog):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", str(free_port()))  # nobody listens
    with caplog.at_level(logging.INFO):
        response = provider.post(URL, call_action(A, VN), format="json")
    monkeypatch.undo()
    connection.close()
    assert response.status_code == 200
    assert response.json()["clientActionId"].startswith("masking-apology")
    with_traceback = [record for record in caplog.records if record.exc_info]
    assert len(with_traceback) == 1, [record.getMessage() for record in with_traceback]
    assert any("could not record" in record.getMessage() for record in caplog.records)
