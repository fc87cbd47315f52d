"""Issue 31: the admin's connect page per pool: connect_8x8 --pool NAME for staff, with its
preview, the pool's sub-account's state, and scoping (a pool's staff reach their pool's page
only)."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from masking.models import AuditEntry, VirtualNumber
from tests.callflows.fake_8x8 import API_KEY
from tests.factories import PoolFactory

pytestmark = pytest.mark.django_db
BASE_URL = "https://masking.example.com"
DEPLOYMENT_AUTH = "Bearer deployment-secret-0001"


@pytest.fixture
def pools(settings, fake_8x8):
    """Malaysia is the fake's sub-account; Indonesia another pool."""
    settings.EIGHTX8_SUBACCOUNT_ID = "acme-sg"
    settings.EIGHTX8_API_KEY = "the-deployments-key"
    settings.WEBHOOK_AUTH_HEADER = DEPLOYMENT_AUTH
    settings.MASKING_PUBLIC_BASE_URL = BASE_URL
    malaysia = PoolFactory(name="Malaysia", subaccount_id=fake_8x8.subaccount)
    malaysia.set_api_key(API_KEY)
    malaysia.save()
    return malaysia, PoolFactory(name="Indonesia")


def url(pool):
    return reverse("admin-connect-8x8-pool", args=[pool.pk])


def test_a_pools_page_previews_then_connects_its_sub_account(admin_client, pools, fake_8x8):
    malaysia, _ = pools
    page = admin_client.get(url(malaysia)).content.decode()
    assert "Pool Malaysia and its 8x8 sub-account" in page and fake_8x8.subaccount in page
    assert "Voices are unchecked" in page and "none yet: connecting makes one" in page
    preview = admin_client.post(url(malaysia), {"preview": "1"}).content.decode()
    assert "would create the VCA webhook" in preview and "Dry run: nothing changed" in preview
    assert fake_8x8.writes == [] and not VirtualNumber.objects.exists()
    done = admin_client.post(url(malaysia), {"connect": "1"}).content.decode()
    assert "Done." in done and len(fake_8x8.webhooks) == 5
    registered = fake_8x8.auth_headers["VCA"]
    assert registered != DEPLOYMENT_AUTH
    malaysia.refresh_from_db()
    assert malaysia.accepts_webhook(registered)
    assert VirtualNumber.objects.get().pool == malaysia
    for secret in (API_KEY, registered, DEPLOYMENT_AUTH):
        assert secret not in done
    assert "stored (as a hash)" in done and "4 speech profiles" in done
    entry = AuditEntry.objects.get(action="connected 8x8")
    assert (entry.object_id, entry.via, entry.changes["changes"]) == (str(malaysia.pk), "admin", 7)


def test_a_pool_without_an_api_key_says_so_and_offers_no_connect(admin_client, pools):
    _, indonesia = pools
    page = admin_client.get(url(indonesia)).content.decode()
    assert "8x8 is not connected for this pool" in page and 'name="connect"' not in page


def test_the_deployments_page_links_every_pools_page(admin_client, pools):
    page = admin_client.get(reverse("admin-connect-8x8")).content.decode()
    for pool in pools:
        assert url(pool) in page
    assert (
        url(pools[0])
        in admin_client.get(f"/admin/masking/pool/{pools[0].pk}/change/").content.decode()
    )


def test_a_pools_staff_reach_their_pools_page_only(client, pools, fake_8x8):
    malaysia, indonesia = pools
    staff = User.objects.create_user("malaysia-ops", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="connect_8x8"))
    malaysia.users.add(staff)
    client.force_login(staff)
    assert client.get(url(malaysia)).status_code == 200
    assert client.get(url(indonesia)).status_code == 404
    assert client.post(url(indonesia), {"connect": "1"}).status_code == 404
    assert client.get(reverse("admin-connect-8x8")).status_code == 404
    assert fake_8x8.writes == []


def test_the_connect_permission_is_needed(client, pools, fake_8x8):
    staff = User.objects.create_user("support", password="x", is_staff=True)
    client.force_login(staff)
    assert client.post(url(pools[0]), {"connect": "1"}).status_code == 403
    assert fake_8x8.writes == []
