"""Issue 31: the API is scoped by pool. A user given pool A reads, opens and closes nothing of
pool B, by any route the API's resolver knows: every route is enumerated from it, so a route
added later is in this matrix without anyone remembering to add it."""

import re

import pytest
from django.contrib.auth.models import Permission, User

from callflows.models import Call
from masking.api.urls import router
from masking.models import Callback, MaskingSession, Pool, RecordingOptIn, VirtualNumber
from tests.factories import PoolFactory, VirtualNumberFactory, open_session
from tests.masking.api.conftest import client_for

pytestmark = pytest.mark.django_db
A, B = "+6598761201", "+6598761202"
BODIES = {
    ("SessionViewSet", "create"): {"participant_a": "+6598761203", "participant_b": "+6598761204"},
    ("VirtualNumberViewSet", "create"): {"number": "+6531500777"},
    ("SessionViewSet", "partial_update"): {"reference": "changed"},
    ("VirtualNumberViewSet", "partial_update"): {"label": "changed"},
    # Redelivering another pool's event is asking for an event that does not exist.
    ("EventViewSet", "redeliver"): {"ids": ["msg_theirs"]},
}
# Rows that belong to no pool: a person's recording consent holds whichever pool calls them.
UNPOOLED = {"RecordingOptInViewSet"}


def routes():
    """(viewset, path template with {pk}, method, action) for every route of the API."""
    found = []
    for pattern in router.urls:
        actions = getattr(pattern.callback, "actions", None)
        regex = str(pattern.pattern)
        if not actions or "format" in regex:
            continue
        template = "/api/" + re.sub(r"\(\?P<pk>[^)]*\)", "{pk}", regex.strip("^$"))
        for method, action in actions.items():
            if method not in pattern.callback.cls.http_method_names:
                continue  # refused (405) before any lookup
            found.append((pattern.callback.cls.__name__, template, method, action))
    return found


@pytest.fixture
def two_pools(db):
    malaysia = PoolFactory(name="Malaysia")
    indonesia = PoolFactory(name="Indonesia")
    mine = open_session(virtual_number=VirtualNumberFactory(pool=malaysia), a=A, b=B)
    theirs = open_session(virtual_number=VirtualNumberFactory(pool=indonesia), a=A, b=B)
    Call.objects.create(
        provider_session_id="theirs",
        virtual_number=str(theirs.virtual_number.number),
        caller=A,
        masking_session=theirs,
        outcome="connect",
    )
    for name, session in (("mine", mine), ("theirs", theirs)):
        Callback.objects.create(
            webhook_id=f"msg_{name}",
            event_type="session.closed",
            session=session,
            pool=session.virtual_number.pool,
            payload={"data": {"virtual_number": str(session.virtual_number.number)}},
        )
    user = User.objects.create_user("malaysia-backend")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["masking", "callflows"])
    )
    malaysia.users.add(user)
    return client_for(user), mine, theirs


def snapshot():
    return (
        list(MaskingSession.objects.values_list("id", "status", "reference", "closed_at")),
        list(VirtualNumber.objects.values_list("id", "number", "label", "status", "pool_id")),
        list(Callback.objects.values_list("webhook_id", "status", "attempts", "next_attempt_at")),
    )


def theirs_id(viewset, theirs):
    return {
        "SessionViewSet": theirs.pk,
        "CallViewSet": Call.objects.get(provider_session_id="theirs").pk,
        "VirtualNumberViewSet": theirs.virtual_number_id,
        "EventViewSet": "msg_theirs",
    }[viewset]


@pytest.mark.parametrize(
    ("viewset", "template", "method", "action"), [r for r in routes() if r[0] not in UNPOOLED]
)
def test_a_user_of_pool_a_reaches_nothing_of_pool_b_by_any_route(
    two_pools, viewset, template, method, action
):
    client, mine, theirs = two_pools
    before = snapshot()
    if "{pk}" in template:
        path = template.format(pk=theirs_id(viewset, theirs))
        response = getattr(client, method)(path, BODIES.get((viewset, action)), format="json")
        assert response.status_code == 404, (path, response.content)
        assert snapshot() == before
        return
    response = getattr(client, method)(template, BODIES.get((viewset, action)), format="json")
    if (viewset, action) == ("EventViewSet", "redeliver"):
        assert response.status_code == 400 and "No such event" in str(response.json())
        assert snapshot() == before
        return
    assert response.status_code in (200, 201), response.content
    if method == "get":
        body = str(response.json())
        assert str(theirs.virtual_number.number) not in body
        assert str(mine.virtual_number.number) in body or viewset == "CallViewSet"
    else:
        created = response.json()
        if viewset == "SessionViewSet":  # allocation chose among pool A's numbers only
            number = VirtualNumber.objects.get(number=created["virtual_number"])
        else:
            number = VirtualNumber.objects.get(number=created["number"])
        assert number.pool.name == "Malaysia"


def test_every_pooled_viewset_declares_its_path_to_the_pool():
    viewsets = {cls for _, cls, _ in router.registry}
    for cls in viewsets:
        assert hasattr(cls, "pool_path"), cls.__name__
        assert (cls.pool_path is None) == (cls.__name__ in UNPOOLED), cls.__name__


def test_opening_on_another_pools_number_is_answered_as_a_number_that_does_not_exist(two_pools):
    client, mine, theirs = two_pools
    body = {"participant_a": "+6598761205", "participant_b": "+6598761206"}
    refused = client.post(
        "/api/sessions/", {**body, "virtual_number": str(theirs.virtual_number.number)}
    )
    unknown = client.post("/api/sessions/", {**body, "virtual_number": "+6531509999"})
    assert refused.status_code == unknown.status_code == 400
    assert list(refused.json()["fields"]) == ["virtual_number"]
    message = refused.json()["fields"]["virtual_number"][0]
    assert message == unknown.json()["fields"]["virtual_number"][0].replace(
        "+6531509999", str(theirs.virtual_number.number)
    )


def test_allocation_says_exhausted_when_only_another_pool_has_room(two_pools):
    client, mine, theirs = two_pools
    VirtualNumber.objects.filter(pk=mine.virtual_number_id).update(status="retired")
    response = client.post(
        "/api/sessions/", {"participant_a": "+6598761205", "participant_b": "+6598761206"}
    )
    assert response.status_code == 409
    assert MaskingSession.objects.count() == 2


def test_a_user_given_no_pool_sees_every_pool(two_pools):
    user = User.objects.create_user("deployment-backend")
    user.user_permissions.set(Permission.objects.filter(codename="view_maskingsession"))
    ids = {s["id"] for s in client_for(user).get("/api/sessions/").json()["results"]}
    _, mine, theirs = two_pools
    assert ids == {mine.pk, theirs.pk}
    assert not Pool.objects.filter(users=user).exists()
    assert RecordingOptIn  # consent: shared by every pool (UNPOOLED)


def test_setup_api_user_limits_a_backend_to_the_pools_named(two_pools):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("setup_api_user", "my-backend", "--pool", "Malaysia", stdout=out)
    assert "in Malaysia" in out.getvalue()
    user = User.objects.get(username="my-backend")
    assert list(user.masking_pools.values_list("name", flat=True)) == ["Malaysia"]
    out = StringIO()
    call_command("setup_api_user", "my-backend", "--full-numbers", stdout=out)  # its pools kept
    assert "in Malaysia" in out.getvalue()
    assert list(user.masking_pools.values_list("name", flat=True)) == ["Malaysia"]
    with pytest.raises(CommandError, match="not both"):
        call_command("setup_api_user", "my-backend", "--pool", "Malaysia", "--every-pool")
    call_command("setup_api_user", "my-backend", "--every-pool", stdout=StringIO())  # explicit
    assert not user.masking_pools.exists()
    with pytest.raises(CommandError, match="No pool is named Atlantis"):
        call_command("setup_api_user", "my-backend", "--pool", "Atlantis", stdout=StringIO())
