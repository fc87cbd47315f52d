"""Request bodies sent without a length (`Transfer-Encoding: chunked`), read like any other.

Django reads exactly CONTENT_LENGTH bytes of a body, so a chunked body, which comes without one,
read as empty: every endpoint answered 400 to it. gunicorn decodes chunked bodies and marks its
input as ending where the body ends (`wsgi.input_terminated`), so the body can be read to its end.
"""

from io import BytesIO

from django.conf import settings
from django.http import JsonResponse


def largest_body() -> int:
    """The largest body any endpoint accepts (each still applies its own limit)."""
    return max(
        settings.MASKING_PROVIDER_MAX_BODY_BYTES,
        settings.MASKING_NUMBER_UPDATE_MAX_BODY_BYTES,
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0,
    )


class ChunkedBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if (
            "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
            and not meta.get("CONTENT_LENGTH")
            and meta.get("wsgi.input_terminated")
        ):
            limit = largest_body()
            body = meta["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return JsonResponse(
                    {"error": "too_large", "detail": "The body is larger than any we accept."},
                    status=413,
                )
            # As if it had come with its length: the endpoints' own limits and parsers apply.
            request._stream = BytesIO(body)
            meta["CONTENT_LENGTH"] = str(len(body))
        return self.get_response(request)
