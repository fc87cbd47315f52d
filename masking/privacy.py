"""Phone numbers are personal data: who may see them whole, and how they appear otherwise.

The disclosure policy is one decision, `may_see_full_numbers(user)`, asked by every exit: admin
lists, pages, inlines, search, exports, the simulator, the API's serializers. Everything else
shows `mask()` ("+65 9123 ••01"): enough to recognise a number on the phone with its owner, not to
dial it. When no viewer is known the answer is "masked", so a new exit is safe by default.
Logs get `redact()` ("+65 ••••••01"), through a filter on every handler.
"""

import logging
import re
import traceback
from contextvars import ContextVar

import phonenumbers


def redact(number) -> str:
    """Keep the country code and the last two digits: "+6591230001" -> "+65 ••••••01".

    Accepts a PhoneNumber, a string in any format, or None. Enough is left to tell two numbers
    of one conversation apart in a log, not enough to call anybody.
    """
    if number is None or number == "":
        return "-"
    text = str(number)
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) < 6:
        return "•" * len(digits)
    try:
        parsed = phonenumbers.parse(text if text.startswith("+") else f"+{digits}")
        country = str(parsed.country_code)
    except phonenumbers.NumberParseException:
        country = digits[:2]
    national = digits[len(country) :]
    return f"+{country} {'•' * (len(national) - 2)}{national[-2:]}"


FULL_NUMBERS_PERMISSION = "masking.view_full_numbers"


def mask(number) -> str:
    """For staff screens: enough to recognise a number on the phone with its owner, not to dial
    it. "+6591230001" -> "+65 9123 ••01" (the first four and last two national digits)."""
    if number is None or number == "":
        return "-"
    text = str(number)
    digits = "".join(ch for ch in text if ch.isdigit())
    try:
        country = str(
            phonenumbers.parse(text if text.startswith("+") else f"+{digits}").country_code
        )
    except phonenumbers.NumberParseException:
        return redact(number)
    national = digits[len(country) :]
    if len(national) < 7:
        return redact(number)
    return f"+{country} {national[:4]} {'•' * (len(national) - 6)}{national[-2:]}"


def may_see_full_numbers(user) -> bool:
    """The disclosure policy: a person's number is shown whole only to an active user holding
    `masking.view_full_numbers` (superusers hold every permission). Everyone else, including an
    unknown viewer, sees it masked."""
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and user.has_perm(FULL_NUMBERS_PERMISSION)
    )


# Who is looking, for the admin's display methods, which Django calls without the request.
# Set per request by `ViewerMiddleware`; a ContextVar keeps threads and requests apart.
current_viewer: ContextVar = ContextVar("current_viewer", default=None)


def number_for(number, user=None) -> str:
    """The number as the viewer may see it: whole with the permission, masked without."""
    user = user if user is not None else current_viewer.get()
    if may_see_full_numbers(user):
        return str(number) if number else "-"
    return mask(number)


def numbers_in_text_for(text: str, user=None) -> str:
    """Every phone-number-like run in `text`, as the viewer may see it."""
    user = user if user is not None else current_viewer.get()
    if may_see_full_numbers(user):
        return text
    return _NUMBER_PATTERN.sub(lambda m: mask(m.group(0)), text)


class ViewerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_viewer.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            current_viewer.reset(token)


# Contiguous runs of 8 to 15 digits, with or without "+": how numbers appear in E.164 and in 8x8's
# digit form. Dates and times have separators and are left alone.
_NUMBER_PATTERN = re.compile(r"\+?\d{8,15}")


def redact_text(text: str) -> str:
    """Redact every phone-number-like run of digits in free text."""
    return _NUMBER_PATTERN.sub(lambda m: redact(m.group(0)), text)


class RedactPhoneNumbersFilter(logging.Filter):
    """A logging filter that redacts numbers from messages and tracebacks.

    Code logs numbers through `redact()` already; this is the net under it, for the text we do not
    write ourselves (a database error quoting a row, an exception message).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)))
        return True


def redact_every_handler() -> None:
    """Put the redaction filter on every handler of every logger configured so far.

    LOGGING (settings) configures ours; this covers handlers that libraries or servers add on
    their own, whatever DEBUG says."""
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactPhoneNumbersFilter) for f in handler.filters):
                handler.addFilter(RedactPhoneNumbersFilter())
