"""The admin's "Connect to 8x8" page: the same run as connect_8x8, for staff with the permission."""

import httpx
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from masking.models import AuditEntry, VirtualNumber
from tests.callflows.fake_8x8 import API_KEY, PREFIX

pytestmark = pytest.mark.django_db
URL = reverse("admin-connect-8x8")
AUTH = "Bearer hook-secret-4e1f0c9a"
PASSWORD = "mypassword-s3cr3t"


@pytest.fixture
def deployment(settings, fake_8x8):
    settings.WEBHOOK_AUTH_HEADER = AUTH
    settings.MASKING_PUBLIC_BASE_URL = "https://masking.example.com"
    settings.EIGHTX8_RECORDING_PROTOCOL = "SFTP"
    settings.EIGHTX8_RECORDING_HOST = "172.30.2.61"
    settings.EIGHTX8_RECORDING_PORT = 22
    settings.EIGHTX8_RECORDING_USERNAME = "myusername"
    settings.EIGHTX8_RECORDING_PASSWORD = PASSWORD
    settings.EIGHTX8_RECORDING_PATH = "/my-recordings-path/"
    return fake_8x8


def form(**extra):
    return {"base_url": "https://masking.example.com", **extra}


def assert_no_secret(html):
    for secret in (API_KEY, AUTH, PASSWORD):
        assert secret not in html


def test_preview_then_connect(admin_client, deployment):
    page = admin_client.get(URL).content.decode()
    assert "acme_nm_01" in page and "API key: set" in page
    assert_no_secret(page)

    preview = admin_client.post(URL, form(preview="1")).content.decode()
    assert "would create the VCA webhook" in preview and "Dry run: nothing changed" in preview
    assert deployment.writes == [] and not VirtualNumber.objects.exists()
    assert_no_secret(preview)

    done = admin_client.post(URL, form(connect="1")).content.decode()
    assert "create the VNU webhook" in done and "Done." in done
    assert len(deployment.webhooks) == 5 and VirtualNumber.objects.count() == 1
    assert_no_secret(done)
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.via) == ("connected 8x8", "admin")


def test_a_refusal_is_shown_and_changes_nothing(admin_client, deployment):
    deployment.router.get(f"{PREFIX}/webhooks").mock(return_value=httpx.Response(401))
    html = admin_client.post(URL, form(connect="1")).content.decode()
    assert "8x8 refused the API key" in html and "Nothing was changed here." in html
    assert deployment.writes == [] and not VirtualNumber.objects.exists()


def test_without_credentials_the_page_says_8x8_is_off(admin_client, settings):
    settings.EIGHTX8_API_KEY = ""
    html = admin_client.get(URL).content.decode()
    assert "8x8 is not connected" in html
    assert "Voices are unchecked" in html


def test_needs_the_connect_permission(client, django_user_model, deployment):
    user = django_user_model.objects.create_user("ops", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    user.user_permissions.remove(Permission.objects.get(codename="connect_8x8"))
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(connect="1")).status_code == 403
    assert deployment.writes == []


def test_the_base_url_comes_from_the_environment_whatever_is_posted(admin_client, deployment):
    """Staff typing another host would have 8x8 post every caller's number, and our webhook
    credential, there (issue 25, finding 3)."""
    admin_client.post(URL, form(connect="1", base_url="https://evil.example"))
    urls = [hook["url"] for hook in deployment.webhooks.values()]
    assert len(urls) == 5
    assert all(url.startswith("https://masking.example.com/callflows/8x8/") for url in urls)
    page = admin_client.get(URL).content.decode()
    assert 'name="base_url"' not in page  # nothing to type
    assert "https://masking.example.com" in page  # shown, read from MASKING_PUBLIC_BASE_URL


def test_without_a_public_base_url_nothing_is_connected(admin_client, deployment, settings):
    settings.MASKING_PUBLIC_BASE_URL = ""
    html = admin_client.post(URL, form(connect="1")).content.decode()
    assert "MASKING_PUBLIC_BASE_URL" in html
    assert deployment.writes == []
