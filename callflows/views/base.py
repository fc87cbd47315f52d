"""What every 8x8 webhook shares: provider authentication, JSON in and out, JSON errors."""

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from callflows.authentication import FromProviderNetwork, ProviderAuthentication
from callflows.parsing import error_fields
from masking.parsers import SafeJSONParser


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The body is larger than a provider event can be."


class ProviderView(APIView):
    """Base for 8x8 webhooks: provider authentication, JSON only, JSON errors."""

    authentication_classes = [ProviderAuthentication]
    # Authentication raises for strangers, so whoever gets this far is the provider.
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [SafeJSONParser]
    throttle_classes = []
    # The provider's contract is 8x8's, documented in README, not part of our management API.
    schema = None

    def body_limit(self) -> int:
        """The largest body this webhook reads, in bytes."""
        return settings.MASKING_PROVIDER_MAX_BODY_BYTES

    def perform_content_negotiation(self, request, force=False):
        # JSON whatever the Accept header says: 8x8 runs nothing else, and negotiating costs the
        # hot path a parse of the header on every call.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def initial(self, request, *args, **kwargs):
        # Before authentication and parsing: strangers' networks and oversized bodies cost us
        # nothing beyond this check.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > self.body_limit():
            raise BodyTooLarge
        if not FromProviderNetwork().has_permission(request, self):
            raise exceptions.PermissionDenied(FromProviderNetwork.message)
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, BodyTooLarge | exceptions.PermissionDenied):
            return Response(
                {"error": exc.default_code, "detail": str(exc.detail)}, status=exc.status_code
            )
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            response = Response(
                {"error": "unauthorized", "detail": str(exc.detail)},
                status=status.HTTP_401_UNAUTHORIZED,
            )
            response["WWW-Authenticate"] = ProviderAuthentication().authenticate_header(
                self.request
            )
            return response
        if isinstance(exc, exceptions.ParseError):
            return Response(
                {
                    "error": "invalid_json",
                    "detail": "The body is not JSON.",
                    "fields": {"body": [str(exc.detail)]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if isinstance(exc, exceptions.ValidationError):
            return Response(
                {
                    "error": "invalid_request",
                    "detail": "The body is not a valid event.",
                    "fields": error_fields(exc.detail),
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return super().handle_exception(exc)
