"""One error shape for the whole management API, the same as the webhooks':

    {"error": "invalid_request", "detail": "...", "fields": {"participant_a": ["..."]}}

so the business backend can show `fields` beside its own inputs and branch on `error`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from callflows.parsing import error_fields
from masking.services.allocation import PoolExhausted
from masking.services.lookups import LookupLimitReached


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def exception_handler(exc, context):
    if isinstance(exc, PoolExhausted):
        return Response({"error": exc.code, "detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, LookupLimitReached):
        return Response(
            {
                "error": "lookup_limit",
                "detail": str(exc),
                "fields": {exc.field: [str(exc)]} if exc.field else {},
            },
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": "3600"},
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, OperationalError):
        # A lock wait or timeout under load: the request changed nothing and may be retried.
        return Response(
            {"error": "busy", "detail": "The database is busy; nothing was changed. Retry."},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "error": "invalid_request",
            "detail": "Some fields are not valid.",
            "fields": error_fields(exc.detail),
        }
    else:
        codes = exc.get_codes()
        response.data = {
            "error": codes if isinstance(codes, str) else exc.default_code,
            "detail": str(exc.detail),
        }
    return response
