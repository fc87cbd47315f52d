"""Session rules through the API: set on opening, changed later, defaults from the settings,
and bad values refused with a 400 naming the field (nothing changes)."""

import pytest

from masking.models import MaskingSession

URL = "/api/sessions/"
A, B = "+6591230001", "+6591230002"
pytestmark = pytest.mark.django_db
HOURS = {"start": "08:00", "end": "20:00", "time_zone": "Asia/Singapore"}


def open_with(api, **extra):
    return api.post(URL, {"participant_a": A, "participant_b": B, **extra}, format="json")


def test_rules_set_on_opening_are_answered_and_stored(api, sg_pool):
    rules = {"one_way": True, "calling_hours": HOURS, "max_calls": 3}
    response = open_with(api, rules=rules)
    assert response.status_code == 201, response.json()
    assert response.json()["rules"] == rules
    session = MaskingSession.objects.get()
    assert (session.one_way, session.max_calls, session.calling_hours_time_zone) == (
        True,
        3,
        "Asia/Singapore",
    )


def test_without_rules_a_session_takes_the_settings_defaults(api, sg_pool, settings):
    settings.MASKING_SESSION_ONE_WAY = True
    settings.MASKING_SESSION_CALLING_HOURS = "09:00-18:00"
    settings.MASKING_SESSION_TIME_ZONE = "Europe/London"
    settings.MASKING_SESSION_MAX_CALLS = 5
    response = open_with(api)
    assert response.json()["rules"] == {
        "one_way": True,
        "calling_hours": {"start": "09:00", "end": "18:00", "time_zone": "Europe/London"},
        "max_calls": 5,
    }
    # and a rule given overrides only itself
    response = api.post(
        URL,
        {
            "participant_a": "+6591230003",
            "participant_b": "+6591230004",
            "rules": {"max_calls": None},
        },
        format="json",
    )
    assert response.json()["rules"]["max_calls"] is None
    assert response.json()["rules"]["one_way"] is True


def test_no_rules_by_default(api, sg_pool):
    assert open_with(api).json()["rules"] == {
        "one_way": False,
        "calling_hours": None,
        "max_calls": None,
    }


def test_rules_change_later_and_the_history_says_so(api, sg_pool):
    session_id = open_with(api).json()["id"]
    response = api.patch(f"{URL}{session_id}/", {"rules": {"one_way": True}}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["rules"]["one_way"] is True
    response = api.patch(f"{URL}{session_id}/", {"rules": {"calling_hours": HOURS}}, format="json")
    assert response.json()["rules"] == {"one_way": True, "calling_hours": HOURS, "max_calls": None}
    response = api.patch(f"{URL}{session_id}/", {"rules": {"calling_hours": None}}, format="json")
    assert response.json()["rules"]["calling_hours"] is None
    from masking.models.audit import AuditEntry

    changes = [e.changes for e in AuditEntry.objects.filter(action="changed")]
    assert any("one-way" in c for c in changes)


@pytest.mark.parametrize(
    "rules, field_path",
    [
        ({"calling_hours": {**HOURS, "time_zone": "Mars/Olympus"}}, ("calling_hours", "time_zone")),
        ({"calling_hours": {**HOURS, "start": "25:00"}}, ("calling_hours", "start")),
        ({"calling_hours": {"start": "08:00", "end": "20:00"}}, ("calling_hours", "time_zone")),
        ({"calling_hours": {**HOURS, "end": "08:00"}}, ("calling_hours", "end")),
        ({"max_calls": 0}, ("max_calls",)),
        ({"max_calls": "many"}, ("max_calls",)),
        ({"one_way": "sometimes"}, ("one_way",)),
        ({"max_call_seconds": 600}, ("max_call_seconds",)),  # not offered: 8x8 has no limit
        ({"calling_hours": {**HOURS, "days": "mon"}}, ("calling_hours", "days")),
    ],
)
def test_bad_rules_are_a_400_naming_the_field(api, sg_pool, rules, field_path):
    response = open_with(api, rules=rules)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [".".join(("rules", *field_path))]
    assert not MaskingSession.objects.exists()
    session_id = open_with(api).json()["id"]
    before = MaskingSession.objects.get().rules
    response = api.patch(f"{URL}{session_id}/", {"rules": rules}, format="json")
    assert response.status_code == 400
    assert MaskingSession.objects.get().rules == before


def test_the_schema_describes_the_rules(api):
    import yaml

    schema = yaml.safe_load(api.get("/api/schema/").content)["components"]["schemas"]
    request = schema["SessionRulesRequest"]["properties"]
    assert set(request) == {"one_way", "calling_hours", "max_calls"}  # no call length: 8x8 has none
    hours = schema["CallingHoursRequest"]["properties"]
    assert set(hours) == {"start", "end", "time_zone"}
    assert "rules" in schema["Session"]["properties"]
