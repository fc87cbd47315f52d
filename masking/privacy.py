"""Phone numbers are personal data: this is how they appear where they must not be shown whole.

Logs use `redact()`; so does any screen for staff who may not see numbers in full.
"""

import logging
import re
import traceback

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
