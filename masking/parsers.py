"""JSON parsing that turns every malformed body into a 400, never a 500, and hands the rest of
the code only values the database can store as they were sent."""

import json
import math
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A lone surrogate can only arrive as a \uD800-\uDFFF escape: raw surrogate bytes are not UTF-8
# and fail decoding. Most bodies have no such escape, so most bodies are never walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _number_or_text(text: str):
    """A JSON number as a float, or, beyond what a double holds (1e400), as its exact text: no
    column (jsonb, SQLite's JSON) stores Infinity, and turning it into one would change it."""
    value = float(text)
    return value if math.isfinite(value) else text


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _without_lone_surrogates(value):
    """`value` with each unpaired surrogate replaced by U+FFFD, as a UTF-8 decoder replaces an
    invalid sequence. A lone surrogate is no character: no database can store it, and the text
    around it is worth keeping. (A proper pair, "\\ud83d\\ude00", is already one character.)"""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            _without_lone_surrogates(key): _without_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


def loads(text: str):
    """Parse JSON text strictly (no NaN or Infinity) into storable values. Raises ValueError."""
    data = json.loads(text, parse_float=_number_or_text, parse_constant=_refuse_constant)
    if _SURROGATE_ESCAPE.search(text):
        data = _without_lone_surrogates(data)
    return data


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, made total: a body that is not JSON is a ParseError (400), including
    nesting deep enough to exhaust Python's recursion limit (a few kilobytes of "[[[[" does it),
    and what parses holds only values the database stores as sent (see `loads`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads(stream.read().decode(encoding))
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from exc
