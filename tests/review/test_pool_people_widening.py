"""Review (issue 31): the pool page's *people and API users* for a staff member given pools. Given
no pool means every pool, so taking someone's last pool away widens them to every pool, and
adding someone who sees every pool narrows them to this one (the deployment's backend would get a
404 on every other pool's sessions). A staff member limited to pools may do neither: the page
refuses it and nothing changes. Staff who see every pool decide who does."""

import pytest
from django.contrib.auth.models import User

from tests.factories import PoolFactory

pytestmark = pytest.mark.django_db
PAGE = "/admin/masking/pool/{}/change/"


@pytest.fixture
def malaysia_lead(client):
    malaysia, indonesia = PoolFactory(name="Malaysia"), PoolFactory(name="Indonesia")
    lead = User.objects.create_superuser("malaysia-lead", password="pw")
    colleague = User.objects.create_user("malaysia-agent")
    backend = User.objects.create_user("backend")  # given no pool: every pool
    malaysia.users.add(lead, colleague)
    client.force_login(lead)
    return client, malaysia, indonesia, {"lead": lead, "colleague": colleague, "backend": backend}


def save_people(client, pool, users):
    return client.post(
        PAGE.format(pool.pk),
        {
            "name": pool.name,
            "subaccount_id": pool.subaccount_id,
            "api_key_variable": "",
            "users": [u.pk for u in users],
        },
    )


@pytest.mark.parametrize(
    "people",
    [
        ["colleague"],  # the lead takes their own last pool away
        ["lead"],  # the colleague's last pool
        ["lead", "colleague", "backend"],  # the deployment's backend narrowed to Malaysia
    ],
)
def test_a_pools_staff_cannot_widen_or_narrow_who_sees_every_pool(malaysia_lead, people):
    client, malaysia, indonesia, users = malaysia_lead
    response = save_people(client, malaysia, [users[name] for name in people])
    assert response.status_code == 200
    assert "users" in response.context["adminform"].form.errors
    assert set(malaysia.users.values_list("username", flat=True)) == {
        "malaysia-lead",
        "malaysia-agent",
    }
    assert client.get(PAGE.format(indonesia.pk)).status_code != 200


def test_a_pools_staff_may_add_a_colleague_of_another_pool(malaysia_lead):
    client, malaysia, indonesia, users = malaysia_lead
    other = User.objects.create_user("indonesia-agent")
    indonesia.users.add(other)
    response = save_people(client, malaysia, [users["lead"], users["colleague"], other])
    assert response.status_code == 302
    assert malaysia.users.filter(pk=other.pk).exists()
