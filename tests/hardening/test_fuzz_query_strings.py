"""Query strings at every admin and API URL: never a 5xx (issue 25, finding 6).

The routes come from the URL resolver (as the egress audit finds them), so a page added later is
fuzzed without editing this test. Keys are the names pages and filters read (and some they do
not), values anything a browser can send: text in any script, numbers beyond every column,
dates that are not, lookups the admin refuses. A fixed budget per route (EXAMPLES_PER_ROUTE)
keeps CI short; `HYPOTHESIS_PROFILE=long` multiplies it by 10.
"""

import os
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import User
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.hardening.test_egress_audit import concrete_paths, routes, seeded  # noqa: F401

pytestmark = pytest.mark.django_db

EXAMPLES_PER_ROUTE = 4 * (10 if os.environ.get("HYPOTHESIS_PROFILE") == "long" else 1)

KEYS = [
    "q", "o", "p", "page", "page_size", "e", "all", "_popup", "_to_field", "_changelist_filters",
    "virtual_number", "caller", "digits", "start", "end", "format", "status", "status__exact",
    "outcome", "outcome__exact", "recorded__exact", "created_at__gte", "created_at__lt",
    "expires_at__gte", "virtual_number__id__exact", "virtual_number__number",
    "masking_session__id__exact", "id__in", "pk", "participant", "reference", "ordering",
    "limit", "offset", "cursor", "scope", "term", "app_label", "model_name", "field_name",
    "number", "caller__startswith", "state", "via", "action", "language", "country",
]  # fmt: skip
VALUES = (
    st.text(max_size=30)
    | st.sampled_from(
        [
            "abc", "-1", "0", "1", "9" * 30, "2**63", "1e400", "NaN", "2026-13-45", "2026-11-02",
            "+6591230001", "6591230001", "\x00", "%", "'", '"', "<script>", "..", "a,b", "1,2",
            "-created_at", "?", "[]", "{}", "true", "null", "\ud800", "٣", "x" * 2000,
        ]
    )
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
)  # fmt: skip
QUERIES = st.lists(
    st.tuples(st.sampled_from(KEYS) | st.text(min_size=1, max_size=12), VALUES),
    min_size=1,
    max_size=4,
)


def fuzz_targets(prefix: str) -> list[str]:
    """One concrete path per route (its first object), filled in once objects exist."""
    return [
        template for template, _name, _func in routes(prefix) if template not in ("/admin/logout/",)
    ]


@pytest.fixture
def seeded_paths(seeded):  # noqa: F811 (the egress audit's records of every kind)
    """Every route's first concrete path, with an object of every model behind it."""
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from masking.models import CallbackEndpointState, PinLockout
    from tests.factories import PromptFactory

    Group.objects.create(name="fuzz")
    Token.objects.create(user=User.objects.create_user("token-owner"))
    PromptFactory()
    PinLockout.objects.create(
        virtual_number=seeded["open"].virtual_number,
        caller="+6598761209",
        wrong_pins=5,
        locked_until=timezone.now() + timedelta(hours=1),
    )
    CallbackEndpointState.objects.create(
        url="https://backend.example.com/masking-events",
        disabled_at=timezone.now(),
        disabled_reason="answered 410 Gone",
    )
    paths = {}
    for template, name, func in routes("/"):
        found = concrete_paths(template, name, func) if "<" in template else [template]
        if found:
            paths[template] = found[0]
    return paths


def check(client, path: str, query: list[tuple[str, str]]):
    encoded = urlencode(
        [(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in query]
    )
    response = client.get(f"{path}?{encoded}")
    assert response.status_code < 500, f"{path}?{encoded}: {response.status_code}"


def fuzz_every_route(client, paths: dict[str, str], prefix: str) -> int:
    """EXAMPLES_PER_ROUTE query strings at each route under `prefix`. Returns the routes done."""
    templates = fuzz_targets(prefix)
    missing = [t for t in templates if t not in paths]
    assert not missing, f"no object to fill these with, seed one: {missing}"
    for template in templates:
        fuzz_one(client, paths[template])
    return len(templates)


def fuzz_one(client, path: str) -> None:
    # Every key at once with a value no column holds, then Hypothesis's own.
    for value in ("abc", "9" * 30, "-1", "\x00"):
        check(client, path, [(key, value) for key in KEYS])

    @settings(max_examples=EXAMPLES_PER_ROUTE, database=None)
    @given(QUERIES)
    def run(query):
        check(client, path, query)

    run()


def test_admin_urls_take_any_query_string(admin_client, seeded_paths):
    assert fuzz_every_route(admin_client, seeded_paths, "/admin/") > 100


def test_api_urls_take_any_query_string(seeded_paths):
    user = User.objects.create_superuser("fuzzer")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert fuzz_every_route(client, seeded_paths, "/api/") > 20


def test_the_simulator_with_a_number_that_is_no_id(admin_client):
    """The finding: /admin/simulator/?virtual_number=abc was a 500 with a traceback."""
    response = admin_client.get("/admin/simulator/", {"virtual_number": "abc", "caller": "x"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_an_empty_to_field_is_no_500(admin_client, seeded_paths):
    """Django's admin took `?_to_field=` as naming a field called ""."""
    path = seeded_paths["/admin/masking/maskingsession/<path:object_id>/change/"]
    assert admin_client.get(path, {"_to_field": ""}).status_code == 200
    for page in (path.replace("/change/", "/delete/"), path.replace("/change/", "/history/")):
        assert admin_client.get(page, {"_to_field": ""}).status_code < 500
