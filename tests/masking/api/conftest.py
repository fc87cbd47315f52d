import pytest
from django.contrib.auth.models import Permission, User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import VirtualNumberFactory


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def api(db):
    """The business backend: a token of a user with every masking permission."""
    user = User.objects.create_user("backend", is_staff=False)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="masking"))
    return client_for(user)


@pytest.fixture
def reader(db):
    """A token that may only look."""
    user = User.objects.create_user("analyst")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="masking", codename__startswith="view_")
    )
    return client_for(user)


@pytest.fixture
def sg_pool(db):
    return [VirtualNumberFactory(number=f"+653150010{i}") for i in range(1, 4)]
