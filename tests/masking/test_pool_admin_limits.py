"""Staff given pools change their pools; adding or deleting a pool is for staff who see every
pool. Given no pool means every pool (masking.pool_access), so a limited member who deleted their
only pool would see every pool after it, and one who added a pool could put a colleague who sees
every pool in it, limiting them to it (the users check on a pool's page ran on changes only)."""

import pytest
from django.contrib.auth.models import Permission, User

from masking.models import Pool
from tests.factories import PoolFactory

pytestmark = pytest.mark.django_db


def staff(name: str, *pools) -> User:
    user = User.objects.create_user(name, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="masking",
            codename__in=["add_pool", "change_pool", "delete_pool", "view_pool"],
        )
    )
    for pool in pools:
        pool.users.add(user)
    return user


NEW_POOL = {
    "name": "Vietnam",
    "subaccount_id": "acme-vn-01",
    "users": [],
}


@pytest.mark.parametrize(
    ("limited", "allowed"), [(True, False), (False, True)], ids=["given-a-pool", "every-pool"]
)
def test_only_staff_who_see_every_pool_add_or_delete_pools(client, limited, allowed):
    malaysia = PoolFactory(name="Malaysia")
    user = staff("member", malaysia) if limited else staff("lead")
    client.force_login(user)

    add = client.get("/admin/masking/pool/add/")
    assert (add.status_code == 200) is allowed
    assert (add.status_code == 403) is not allowed
    changelist = client.get("/admin/masking/pool/")
    assert ('href="/admin/masking/pool/add/"' in changelist.content.decode()) is allowed
    client.post("/admin/masking/pool/add/", NEW_POOL)
    assert Pool.objects.filter(name="Vietnam").exists() is allowed

    delete = client.post(f"/admin/masking/pool/{malaysia.pk}/delete/", {"post": "yes"})
    assert Pool.objects.filter(pk=malaysia.pk).exists() is not allowed, delete.status_code
    if limited:
        assert list(user.masking_pools.all()) == [malaysia]  # still limited to it
