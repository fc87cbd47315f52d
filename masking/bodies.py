"""Request bodies: how large each route's may be, enforced before and while reading.

One middleware decides every route's limit once the route is known (`process_view`) and before
anything reads the body (CSRF's check reads the admin's forms right after):

- a view that checks its own credentials before it reads (8x8's webhooks) declares `body_limit()`;
- the API (DRF authenticates before it parses) and signed-in staff get Django's
  DATA_UPLOAD_MAX_MEMORY_SIZE;
- anyone else (the admin's login form) gets MASKING_ANONYMOUS_MAX_BODY_BYTES.

A body that declares a larger Content-Length is refused with 413 unread. A chunked body (gunicorn
decodes it and marks where it ends with `wsgi.input_terminated`) has no length to check: it is
handed to the view as a stream that refuses to give more than the limit, so it is read only when
the view reads it, after its credentials, and never past limit + 1 bytes.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

# Set in a request's META once its body was refused while being read.
REFUSED = "masking.body_refused"


class BodyTooLarge(RequestDataTooBig):
    pass


class BoundedInput:
    """A body stream of unknown length that gives at most `limit` bytes: reading past them marks
    the request refused and raises BodyTooLarge, having taken at most limit + 1 bytes."""

    def __init__(self, stream, *, limit: int, meta: dict):
        self.stream, self.limit, self.meta = stream, limit, meta
        self.taken = 0

    def _take(self, data: bytes) -> bytes:
        self.taken += len(data)
        if self.taken > self.limit:
            self.meta[REFUSED] = self.limit
            raise BodyTooLarge(f"The body is larger than this endpoint's {self.limit} bytes.")
        return data

    def _room(self, size) -> int:
        room = self.limit + 1 - self.taken
        return room if size is None or size < 0 else min(size, room)

    def read(self, size=-1) -> bytes:
        room = self._room(size)
        return self._take(self.stream.read(room) if room > 0 else b"")

    def readline(self, size=-1) -> bytes:
        room = self._room(size)
        return self._take(self.stream.readline(room) if room > 0 else b"")

    def close(self) -> None:
        pass  # the server owns its input

    def __iter__(self):
        while line := self.readline():
            yield line


def too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {
            "error": "too_large",
            "detail": f"The body is larger than this endpoint accepts ({limit} bytes).",
            "limit": limit,
        },
        status=413,
    )


def bad_length() -> JsonResponse:
    return JsonResponse(
        {"error": "bad_content_length", "detail": "Content-Length is not a number of bytes."},
        status=400,
    )


def route_limit(request, view_func) -> int:
    """The largest body `view_func` may be sent by this request's sender."""
    view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    declared = getattr(view_class, "body_limit", None) or getattr(view_func, "body_limit", None)
    if declared is not None:
        return declared()
    if getattr(view_func, "cls", None) is not None:  # DRF: token checked before parsing
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return settings.MASKING_ANONYMOUS_MAX_BODY_BYTES


def _is_chunked(meta: dict) -> bool:
    return (
        "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower()
        and not meta.get("CONTENT_LENGTH")
        and bool(meta.get("wsgi.input_terminated"))
    )


class BodyLimitMiddleware:
    """Place after AuthenticationMiddleware (staff are known) and before CsrfViewMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        refused = request.META.get(REFUSED)
        # Whoever read the body, and whatever they made of the refusal, the answer is a 413.
        return too_large(refused) if refused is not None else response

    def process_view(self, request, view_func, view_args, view_kwargs):
        meta = request.META
        limit = route_limit(request, view_func)
        if _is_chunked(meta):
            request._stream = BoundedInput(meta["wsgi.input"], limit=limit, meta=meta)
            # Django and DRF read no body without a length; this one is an upper bound, the
            # stream ends where the body does.
            meta["CONTENT_LENGTH"] = str(limit)
            return None
        length = meta.get("CONTENT_LENGTH") or "0"
        # ASCII digits only: "²".isdigit() is True and int("²") raises (a 500). Servers such as
        # runserver pass any header through; one that is not a length is a 400.
        if not (length.isascii() and length.isdigit()):
            return bad_length()
        if int(length) > limit:
            return too_large(limit)
        return None
