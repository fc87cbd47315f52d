"""Provider authentication: 8x8 sends the webhook's `httpAuthHeader` as `Authorization`."""

import hmac

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

PROVIDER = "8x8"


class ProviderAuthentication(BaseAuthentication):
    """Accept a request only if its Authorization header equals WEBHOOK_AUTH_HEADER.

    Compared in constant time so the header cannot be guessed byte by byte. An empty setting
    accepts nobody: a forgotten configuration fails closed.
    """

    def authenticate(self, request):
        expected = settings.WEBHOOK_AUTH_HEADER.encode()
        given = request.META.get("HTTP_AUTHORIZATION", "").encode("utf-8", "replace")
        if not expected or not hmac.compare_digest(given, expected):
            raise AuthenticationFailed("Missing or wrong Authorization header.")
        return AnonymousUser(), PROVIDER

    def authenticate_header(self, request):
        # Makes DRF answer 401 rather than 403.
        return 'Bearer realm="8x8 webhooks"'
