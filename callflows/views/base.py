"""What every 8x8 webhook shares: provider authentication, JSON in and out, JSON errors.

A plain Django view, not DRF's APIView. The Call Action is the product's hot path (the caller
hears silence while we decide) and 8x8 speaks one dialect, so DRF's request wrapping, content
negotiation and response rendering bought nothing here and cost about a seventh of a call's Python
time (README, "Benchmarks"). Bodies are still validated with DRF serializers, whose
ValidationError names each bad field; the management API (masking/api) stays on DRF.
"""

import json
import logging

from django.conf import settings
from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import ValidationError

from callflows.authentication import AUTHENTICATE_HEADER, from_provider_network, refusal_reason
from callflows.parsing import error_fields
from callflows.subaccounts import webhook_grant
from masking.parsers import NotJSON, parse_json_body

logger = logging.getLogger(__name__)


def json_text(body) -> str:
    """`body` as compact JSON text (the encoding DRF's renderer used, so answers are unchanged)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def json_response(body, *, status: int = 200) -> HttpResponse:
    """`body` (a JSON value, or JSON text already encoded) as a UTF-8 JSON response."""
    content = body if isinstance(body, str) else json_text(body)
    return HttpResponse(content.encode(), status=status, content_type="application/json")


class Refused(Exception):
    """A request answered with a 4xx JSON error before (or instead of) the webhook's work."""

    def __init__(self, status: int, error: str, detail: str, *, headers=None, **extra):
        super().__init__(detail)
        self.status, self.body = status, {"error": error, "detail": detail, **extra}
        self.headers: dict[str, str] = headers or {}

    def response(self) -> HttpResponse:
        response = json_response(self.body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


@method_decorator(csrf_exempt, name="dispatch")
class ProviderView(View):
    """Base for 8x8 webhooks: the checks every request passes, in the order that costs strangers
    least (size, network, credentials), then the body parsed as JSON and handed to `post(request,
    data)`. Every refusal is a JSON error naming what was wrong; a DRF ValidationError raised by
    `post` becomes a 400 naming each bad field."""

    http_method_names = ["post"]
    # The VNU webhook's route also takes the credential that webhook was registered with
    # (callflows.pool_connection): 8x8 will not delete it to give it a new one.
    number_updates = False

    @classmethod
    def body_limit(cls) -> int:
        """The largest body this webhook reads, in bytes (masking.bodies refuses larger ones
        before the view runs, and stops reading a chunked one there)."""
        return settings.MASKING_PROVIDER_MAX_BODY_BYTES

    def dispatch(self, request, *args, **kwargs):
        try:
            self.check(request)
            if request.method != "POST":
                detail = f'Method "{request.method}" not allowed.'
                raise Refused(405, "method_not_allowed", detail, headers={"Allow": "POST"})
            return self.post(request, self.read_json(request))
        except Refused as refused:
            return refused.response()
        except ValidationError as exc:
            return Refused(
                400,
                "invalid_request",
                "The body is not a valid event.",
                fields=error_fields(exc.detail),
            ).response()

    def check(self, request) -> None:
        # Before reading anything (masking.bodies has refused oversized bodies): strangers'
        # networks and wrong credentials cost us nothing more.
        if not from_provider_network(request):
            raise Refused(
                403, "permission_denied", "This address may not call the provider endpoints."
            )
        # The pool this credential opens (callflows.subaccounts): its events act on it only.
        self.grant = webhook_grant(
            request.META.get("HTTP_AUTHORIZATION", ""), number_updates=self.number_updates
        )
        if self.grant is None:
            logger.warning(
                "provider request to %s refused (401): %s", request.path, refusal_reason(request)
            )
            raise Refused(
                401,
                "unauthorized",
                "Missing or wrong Authorization header.",
                headers={"WWW-Authenticate": AUTHENTICATE_HEADER},
            )

    def read_json(self, request):
        """The body as JSON, whatever the Content-Type's media type says (8x8 sends nothing else),
        in the charset it declares (masking.parsers.decode). An empty body is an empty object, so
        the 400 names the fields an event needs."""
        body = request.read()
        if not body:
            return {}
        try:
            return parse_json_body(body, request.encoding)
        except NotJSON as exc:
            raise Refused(
                400, "invalid_json", "The body is not JSON.", fields={"body": [str(exc)]}
            ) from None

    def post(self, request, data):
        raise NotImplementedError
