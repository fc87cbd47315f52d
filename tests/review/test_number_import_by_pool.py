"""Review of issues 28 and 31 together: numbers imported from CSV by staff given a pool land in
their pool, as numbers they add one at a time or through the API do, never in another
sub-account's (the deployment's) where they could neither see nor use them."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from masking.models import VirtualNumber
from tests.factories import PoolFactory

pytestmark = pytest.mark.django_db
URL = "/admin/masking/virtualnumber/import/"


def test_numbers_imported_by_a_pools_staff_join_their_pool(client):
    malaysia = PoolFactory(name="Malaysia")
    staff = User.objects.create_superuser("malaysia-lead", password="pw")
    malaysia.users.add(staff)
    client.force_login(staff)
    file = SimpleUploadedFile("rows.csv", b"number,label\n+6531500777,kl\n")
    page = client.post(URL, {"file": file})
    assert [c.errors for c in page.context["bad"]] == []
    done = client.post(URL, {"confirm": "1", "payload": page.context["payload"]})
    assert done.status_code == 302
    assert VirtualNumber.objects.get(number="+6531500777").pool == malaysia
