"""The call simulator explains session rules and calls outside a session, and never asks the
business (it writes nothing and calls nobody)."""

import pytest

from masking.session_rules import SessionRules
from tests.factories import PromptFactory, VirtualNumberFactory, open_session

A, B, STRANGER = "+6591230001", "+6591230002", "+6591239999"
pytestmark = pytest.mark.django_db


def simulate(client, vn, caller):
    return client.get("/admin/simulator/", {"virtual_number": vn.pk, "caller": caller})


def test_each_rule_and_the_one_that_turned_the_call_away(admin_client):
    PromptFactory(purpose="no_session", text="No booking.")
    vn = VirtualNumberFactory(number="+6531500101")
    open_session(virtual_number=vn, a=A, b=B, rules=SessionRules(one_way=True, max_calls=3))
    page = simulate(admin_client, vn, B)
    assert page.context["result"]["outcome"] == "session_rule"
    text = page.content.decode()
    assert "one-way: only participant A may call B" in text
    assert "at most 3 connected calls (0 so far)" in text
    assert "Turned away:</strong> one-way: only participant A may call." in text
    assert "Turned away" not in simulate(admin_client, vn, A).content.decode()


def test_out_of_session_explained_and_the_business_not_asked(admin_client, settings, httpserver):
    settings.MASKING_OUT_OF_SESSION_URL = httpserver.url_for("/out-of-session")
    settings.MASKING_FALLBACK_LINE = "+6562220000"
    vn = VirtualNumberFactory(number="+6531500101")
    page = simulate(admin_client, vn, STRANGER)
    assert page.context["result"]["outcome"] == "fallback"
    text = page.content.decode()
    assert "the business is asked first (localhost, within 400 ms)" in text
    assert "Fallback line: +6562220000" in text
    assert httpserver.log == []


def test_a_pools_own_endpoint_and_fallback_line_are_explained(admin_client, settings, httpserver):
    from tests.factories import PoolFactory

    settings.MASKING_OUT_OF_SESSION_URL = ""
    settings.MASKING_FALLBACK_LINE = "+6562220000"
    pool = PoolFactory(
        name="Malaysia",
        subaccount_id="acme-my",
        out_of_session_url=httpserver.url_for("/out-of-session"),
        fallback_line="+60322220000",
    )
    vn = VirtualNumberFactory(number="+60312345678", pool=pool)
    text = simulate(admin_client, vn, STRANGER).content.decode()
    assert "the business is asked first (localhost, within 400 ms)" in text
    assert "Fallback line: +60322220000" in text
    assert httpserver.log == []
