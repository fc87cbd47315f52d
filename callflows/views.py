"""The 8x8 webhooks. Views only authenticate, validate, ask a selector, decide and render."""

import logging

from django.conf import settings
from django.db import DatabaseError
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from callflows.answer import answer_call_action
from callflows.authentication import ProviderAuthentication
from callflows.builders import callflow_for
from callflows.decision import Decision, Outcome
from callflows.parsing import CallActionSerializer, error_fields
from masking.privacy import redact
from masking.routing import PromptFacts
from masking.selectors import prompts_for_language

logger = logging.getLogger(__name__)


class ProviderView(APIView):
    """Base for 8x8 webhooks: provider authentication, JSON only, JSON errors."""

    authentication_classes = [ProviderAuthentication]
    # Authentication raises for strangers, so whoever gets this far is the provider.
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    throttle_classes = []
    # The provider's contract is 8x8's, documented in README, not part of our management API.
    schema = None

    def handle_exception(self, exc):
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


class CallActionView(ProviderView):
    """VCA: 8x8 asks what to do with an incoming call; the answer is the callflow.

    The caller hears silence until we answer, and anything but a runnable callflow ends their
    call, so every failure after validation becomes the apology prompt and `hangup` with HTTP 200.
    """

    def post(self, request):
        serializer = CallActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payload = serializer.validated_data["payload"]
        caller, virtual_number = payload["source"], payload["destination"]
        try:
            answer = answer_call_action(caller=caller, virtual_number=virtual_number)
            decision, body = answer.decision, answer.body
        except Exception as exc:
            logger.exception(
                "call action failed, answering apology: %s -> %s",
                redact(caller),
                redact(virtual_number),
            )
            decision = Decision(Outcome.APOLOGY)
            body = apology_callflow(virtual_number=virtual_number, failure=exc)
        logger.info(
            "call action %s: %s -> %s", decision.outcome, redact(caller), redact(virtual_number)
        )
        return Response(body)


def apology_callflow(*, virtual_number: str, failure: Exception) -> dict:
    """The apology and `hangup`, with the staff's apology prompt when the database can give it."""
    prompts = {}
    if not isinstance(failure, DatabaseError):
        try:
            prompts = prompts_for_language(language=settings.MASKING_DEFAULT_LANGUAGE)
        except Exception:
            logger.exception("could not read the apology prompt")
    fallback = PromptFacts(
        text=settings.MASKING_FALLBACK_APOLOGY, language="en", voice_profile="generic-en-female"
    )
    return callflow_for(
        Decision(Outcome.APOLOGY),
        virtual_number=virtual_number,
        prompts=prompts,
        fallback_apology=fallback,
    )
