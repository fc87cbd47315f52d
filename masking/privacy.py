"""Phone numbers are personal data: who may see them whole, and how they appear otherwise.

The disclosure policy is one decision, `may_see_full_numbers(user)`, asked by every exit: admin
lists, pages, inlines, search, exports, the simulator, the API's serializers. Everything else
shows `mask()` ("+65 •••• •201"): enough to recognise a number on the phone with its owner, not
to dial it or to guess it. When no viewer is known the answer is "masked", so a new exit is safe
by default. Logs get `redact()` ("+65 ••••••01"), through a filter on every handler.

A person's number is a kind of field: model fields wrapped in `personal_number()` carry the policy
(the admin base matches them only by whole number, never by part), and fields wrapped in
`number_text()` hold text that may spell numbers (a stored callflow, an error body, a file URL,
audit changes): shown through `numbers_in_text_for()` and never searched or filtered.
"""

import logging
import re
import traceback
from collections.abc import Callable
from contextvars import ContextVar
from urllib.parse import unquote_plus

import phonenumbers
from django.http import HttpResponse

# How many national digits `mask()` shows: the last 3. An 8-digit national number then keeps 5
# hidden digits, 100,000 completions, 30,790 of them valid Singapore numbers (counted with
# phonenumbers), so a viewer with a whole-number lookup (50 an hour, `masking.services.lookups`)
# cannot try them all. Four would leave 10,000 completions of which 3,079 are valid numbers,
# under the bound of 10,000; two would tell a number less well to its owner on the phone. The log
# form (`redact()`) keeps 2.
MASK_SHOWN_DIGITS = 3


def personal_number(field):
    """Mark a model field as holding a person's number: searched only by whole number, shown as
    `number_for()` allows. Not part of the field's deconstruction, so no migration."""
    field.personal_number = True
    return field


def number_text(field):
    """Mark a model field as text that may spell numbers: shown redacted to viewers without the
    permission (`numbers_in_text_for`), never searched or filtered by the admin."""
    field.holds_numbers = True
    return field


def is_personal_number(field) -> bool:
    return getattr(field, "personal_number", False)


def holds_numbers(field) -> bool:
    return getattr(field, "holds_numbers", False)


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


# A stored number as written in E.164: "+", a country code, and up to 17 national digits (the
# most phonenumbers reads). Its country code is read from phonenumbers' table of codes alone.
_E164 = re.compile(r"\+[1-9][0-9]{7,19}")


def _e164_country(text: str) -> str | None:
    """The country code of an E.164 string, as `phonenumbers.parse` reads it, without parsing
    (a parse costs ~40 us, a row of an export two of them): country codes are a prefix code, so
    the one of 1 to 3 digits in phonenumbers' table is the number's. None when `text` is not
    plainly E.164, or its national part is one parse would refuse or `mask` would redact."""
    if not _E164.fullmatch(text):
        return None
    for length in (1, 2, 3):
        if int(text[1 : 1 + length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = len(text) - 1 - length
            return text[1 : 1 + length] if 7 <= national <= 17 else None
    return None


def mask(number) -> str:
    """For staff screens: enough to recognise a number on the phone with its owner, not to dial
    or guess it. "+6591230001" -> "+65 •••• •001" (the last `MASK_SHOWN_DIGITS` national
    digits, grouped as the number is)."""
    if number is None or number == "":
        return "-"
    text = str(number)
    country = _e164_country(text)
    if country is not None:
        digits = text[1:]
    else:
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
    shown = "•" * (len(national) - MASK_SHOWN_DIGITS) + national[-MASK_SHOWN_DIGITS:]
    return f"+{country} {shown[:4]} {shown[4:]}"


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


def _whole(number) -> str:
    return str(number) if number else "-"


def numbers_shown_to(user=None) -> Callable[[object], str]:
    """`number_for` with the viewer's disclosure decided once: for a page or an export showing
    thousands of numbers to one viewer (the permission check costs more than the masking)."""
    user = user if user is not None else current_viewer.get()
    return _whole if may_see_full_numbers(user) else mask


def number_for(number, user=None) -> str:
    """The number as the viewer may see it: whole with the permission, masked without."""
    return numbers_shown_to(user)(number)


class ViewerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_viewer.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            current_viewer.reset(token)

    def process_exception(self, request, exception):
        # A whole-number lookup past the hour's limit, from any admin page or export: say so.
        from masking.services.lookups import LookupLimitReached  # services use this module

        if isinstance(exception, LookupLimitReached):
            return HttpResponse(str(exception), status=429, content_type="text/plain")
        return None


# Numbers as people and systems write them: E.164, 8x8's digits, and with separators ("+65 9123
# 0001", "(65) 9123-0001", "9123.0001", URL-encoded "%2B65+9123+0001"): 8 to 15 digits in all,
# with any run of separators between two digits: every lookup reads a term by its digits alone,
# so "+65  9123  0001", or one with thin spaces, finds the person just the same. Separators are
# horizontal whitespace, Unicode's included (thin, no-break, ideographic; not line breaks),
# zero-width characters, ASCII and Unicode dashes, . + / ( ), and their URL-encoded forms outside
# a query string (a query string is decoded first). Ids are matched first and kept whole: UUIDs,
# our webhook and secret ids (`msg_…`, `whsec_…`), hex runs with a letter in them; and dates and
# IP addresses are not numbers. A run glued to letters ("rec_6591230001.wav") is still a number.
_SEPARATOR = (
    r"(?:[^\S\r\n\v\f\x1c-\x1e\x85\u2028\u2029]"
    r"|[.\-+/()\u200b-\u200d\u2060\ufeff\u2010-\u2015\u2212]"
    r"|%20|%2[BbDdEeFf89]|%C2%A0|%E2%80%[89AaBb][0-9A-Fa-f]|%E2%81%A0|%E2%88%92|%E3%80%80)*"
)
_TEXT_PATTERN = re.compile(
    r"(?P<keep>"
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"|\b(?:msg|whsec|evt|tok)_[0-9A-Za-z]+"
    r"|(?<![0-9A-Za-z])[0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*(?![0-9A-Za-z])"
    r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?"
    r")"
    r"|(?P<number>(?<!\d)(?:\+|%2[Bb])?\(?\d(?:" + _SEPARATOR + r"\d){7,14}(?!\d))"
)
# A URL's query string: decoded before it is read, so "%2B65+9123+0001" is seen as a number.
_QUERY = re.compile(r"\?[^\s\"']*")


def _international(written: str, digits: str) -> bool:
    """Whether a run of digits in text is a number with its country code: written with "+", or
    valid as one. Otherwise ("9765 4321") its first digits are no country code to show."""
    if written.startswith(("+", "%2B", "%2b")):
        return True
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(f"+{digits}"))
    except phonenumbers.NumberParseException:
        return False


# A cheap necessary condition, for the logging filter's sake (one call per log line): with every
# separator character (and %-encoding's letters) removed, a number is a run of 8 digits. Most lines
# have none and skip the full pattern (~100 us a line) for ~2 us.
# URL-encoded separators lose their "%" and hex letters, leaving digits: still a run of 8 or more.
_SEPARATOR_CHARS = str.maketrans(
    "",
    "",
    ".-+/()%ABCDEFabcdef\u200b\u200c\u200d\u2060\ufeff\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
    + "".join(chr(c) for c in range(0x3001) if chr(c).isspace()),
)
_EIGHT_DIGITS = re.compile(r"\d{8}")


def _numbers_in(text: str, shown, keep=frozenset()) -> str:
    if not _EIGHT_DIGITS.search(text.translate(_SEPARATOR_CHARS)):
        return text

    def one(match):
        if match.group("keep") is not None:
            return match.group("keep")
        written = match.group("number")
        digits = "".join(ch for ch in written if ch.isdigit())
        if f"+{digits}" in keep:
            return written
        if _international(written, digits):
            return shown(f"+{digits}")
        return "•" * (len(digits) - 2) + digits[-2:]

    text = _QUERY.sub(lambda m: unquote_plus(m.group(0)), text)
    return _TEXT_PATTERN.sub(one, text)


def _ours(text: str) -> frozenset[str]:
    """The pool's numbers spelt in `text`: ours, not a person's, so shown whole (one query)."""
    from masking.models import VirtualNumber  # the models use this module

    spelt = {
        "+" + "".join(ch for ch in m.group("number") if ch.isdigit())
        for m in _TEXT_PATTERN.finditer(text)
        if m.group("number")
    }
    if not spelt:
        return frozenset()
    return frozenset(
        str(n)
        for n in VirtualNumber.objects.filter(number__in=spelt).values_list("number", flat=True)
    )


def numbers_in_text_for(text: str, user=None) -> str:
    """Every person's number in `text` as the viewer may see it; the pool's numbers whole."""
    if not text:
        return text
    user = user if user is not None else current_viewer.get()
    if may_see_full_numbers(user):
        return text
    return _numbers_in(text, mask, keep=_ours(text))


def numbers_in_text_kept(text: str) -> str:
    """Text to keep (an audit entry): people's numbers masked for everyone, the pool's whole."""
    if not text:
        return text
    return _numbers_in(text, mask, keep=_ours(text))


def redact_text(text: str) -> str:
    """Redact every phone-number-like run in free text, in any of the forms above. For logs: no
    database, so the pool's numbers are redacted too."""
    if not text:
        return text
    return _numbers_in(text, redact)


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
