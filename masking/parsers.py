"""JSON parsing that turns every malformed body into a 400, never a 500, and hands the rest of
the code only values the database can store as they were sent."""

import codecs
import json
import math
import re
from functools import lru_cache

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# A lone surrogate arrives as a \uD800-\uDFFF escape, or from a body in a declared charset that
# decodes to one (UTF-7 does; raw surrogate bytes are not UTF-8 and fail decoding). Most bodies
# have neither, so most bodies are never walked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
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


@lru_cache(maxsize=32)
def _text_encoding(charset: str | None) -> str:
    """`charset`'s codec name if it is a text encoding Python knows, else UTF-8 (JSON's own)."""
    try:
        codec = codecs.lookup(charset or "utf-8")
        # LookupError for codecs of bytes to bytes (base64, rot13, zlib): Django takes any codec.
        b"\0\0\0\0".decode(codec.name)
    except LookupError:
        return "utf-8"
    except ValueError:
        pass  # a text encoding in which those bytes mean nothing
    return codec.name


def decode(body: bytes, charset: str | None = None) -> str:
    """A request body as text: in the charset its Content-Type declares when that is a text
    encoding (DRF read bodies so; 8x8 sends UTF-8), else UTF-8. A UTF-8 byte order mark is
    ignored, as RFC 8259 (8.1) lets a parser do. Raises ValueError (UnicodeDecodeError)."""
    encoding = _text_encoding(charset)
    if encoding == "utf-8" and body[:3] == codecs.BOM_UTF8:
        body = body[3:]
    return body.decode(encoding)


def loads(text: str):
    """Parse JSON text strictly (no NaN or Infinity) into storable values. Raises ValueError."""
    data = json.loads(text, parse_float=_number_or_text, parse_constant=_refuse_constant)
    if _SURROGATE_ESCAPE.search(text):
        data = _without_lone_surrogates(data)
    return data


class NotJSON(ValueError):
    """A body that is not JSON; the message says why, for the 400 that names it."""


def parse_json_body(body: bytes, charset: str | None = None):
    """A request body parsed as JSON (`decode`, then `loads`). Raises NotJSON, also for nesting
    deep enough to exhaust Python's recursion limit (a few kilobytes of "[[[[" does it)."""
    try:
        return loads(decode(body, charset))
    except RecursionError as exc:
        raise NotJSON("JSON parse error - nested too deeply.") from exc
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise NotJSON(f"JSON parse error - {exc}") from exc


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, made total: a body that is not JSON is a ParseError (400), including
    nesting deep enough to exhaust Python's recursion limit (a few kilobytes of "[[[[" does it),
    and what parses holds only values the database stores as sent (see `loads`)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return parse_json_body(stream.read(), encoding)
        except NotJSON as exc:
            raise ParseError(str(exc)) from exc
