"""Review of the merge of issues 28 and 31: the staff pages built beside pools (the replay
simulator, the dashboard) hold a staff member given pools to those pools, as every admin list
does (README, pools: "staff of a pool see its rows only")."""

import pytest
from django.contrib.auth.models import User

from callflows.models import Call
from tests.factories import PoolFactory, VirtualNumberFactory, open_session

pytestmark = pytest.mark.django_db
MINE, THEIRS = "+60312345678", "+622150001234"
A, B = "+6598761201", "+6598761202"


@pytest.fixture
def malaysia_staff(client):
    malaysia = PoolFactory(name="Malaysia")
    indonesia = PoolFactory(name="Indonesia", pin_length=5)
    open_session(virtual_number=VirtualNumberFactory(number=MINE, pool=malaysia), a=A, b=B)
    theirs = open_session(
        virtual_number=VirtualNumberFactory(number=THEIRS, pool=indonesia),
        a=A,
        b=B,
        reference="indonesia-ride-7",
    )
    call = Call.objects.create(
        provider_session_id="theirs",
        virtual_number=THEIRS,
        caller=A,
        masking_session=theirs,
        outcome="connect",
    )
    staff = User.objects.create_superuser("malaysia-lead", password="pw")
    malaysia.users.add(staff)
    client.force_login(staff)
    return client, call, indonesia


def test_the_simulator_does_not_replay_another_pools_call(malaysia_staff):
    client, call, _ = malaysia_staff
    page = client.get("/admin/simulator/", {"call": call.pk})
    assert page.context["result"] is None
    assert "indonesia-ride-7" not in page.content.decode()


def test_the_simulator_does_not_answer_for_another_pools_number(malaysia_staff):
    client, _, indonesia = malaysia_staff
    page = client.get(
        "/admin/simulator/",
        {"virtual_number": indonesia.numbers.get().pk, "caller": A},
    )
    assert page.context["result"] is None
    assert "virtual_number" in page.context["form"].errors


def test_the_dashboard_counts_only_the_staff_members_pools(malaysia_staff):
    client, _, _ = malaysia_staff
    page = client.get("/admin/")
    dashboard = page.context["dashboard"]
    assert dashboard["open_sessions"] == 1
    assert dashboard["pool_size"] == 1
    assert dashboard["calls_today_total"] == 0  # the one call today is Indonesia's


def test_the_simulator_replays_a_pools_call_for_its_staff(malaysia_staff):
    client, _, _ = malaysia_staff
    mine = Call.objects.create(
        provider_session_id="mine", virtual_number=MINE, caller=A, outcome="connect"
    )
    page = client.get("/admin/simulator/", {"call": mine.pk})
    assert page.context["result"]["outcome"] == "connect"


def test_the_simulators_pin_step_names_the_numbers_pool_pin_length(malaysia_staff, client):
    _, _, indonesia = malaysia_staff
    number = VirtualNumberFactory(number="+622150001299", pool=indonesia)
    open_session(virtual_number=number, a=A, b=B, pin_a="12345", pin_b="56789")
    client.force_login(User.objects.create_superuser("regional-lead", password="pw"))
    page = client.get("/admin/simulator/", {"virtual_number": number.pk, "caller": "+6598761277"})
    assert page.context["result"]["outcome"] == "ask_pin"
    assert "(5 digits)" in page.context["result"]["pin_step"]


@pytest.mark.parametrize("model", ["masking/maskingsession", "callflows/call"])
def test_streamed_exports_hold_only_the_staff_members_pools(malaysia_staff, model):
    client, _, _ = malaysia_staff
    Call.objects.create(
        provider_session_id="mine", virtual_number=MINE, caller=A, outcome="connect"
    )
    response = client.get(f"/admin/{model}/export/")
    assert response.status_code == 200
    export = b"".join(response.streaming_content).decode()
    assert MINE in export and THEIRS not in export and "indonesia-ride-7" not in export


def test_the_simulator_lists_no_session_of_another_pool_as_elsewhere(malaysia_staff):
    client, _, indonesia = malaysia_staff
    open_session(virtual_number=indonesia.numbers.get(), a="+6598761255", b="+6598761256")
    mine = VirtualNumberFactory(number="+60312345600", pool=PoolFactory(name="Malaysia"))
    page = client.get("/admin/simulator/", {"virtual_number": mine.pk, "caller": "+6598761255"})
    assert page.context["result"]["outcome"] == "no_session"
    assert page.context["result"]["elsewhere"] == []
