"""Reading a list as a feed, by cursor: what a backend that syncs uses (README, "Syncing").

Two feeds over the same list, each in the order writes became visible (masking/changes.py):

- `after=<cursor>`: rows created after the cursor, each row once;
- `updated_after=<cursor>`: rows written (created or changed) after the cursor; a row comes again
  each time it changes (a call's outcome, its recording, anonymisation; a callback's delivery).

`after=0` / `updated_after=0` start at the beginning; `limit` (1-500, default 50) is the page
size. Every answer carries `next_cursor`, the position after its last row (the same cursor again
when there was nothing new), to pass in the next request: a poller never skips nor repeats a row.
Each page is one index range (keyset), so the millionth row costs what the first does.

Without `after` or `updated_after`, a list is the page-numbered listing it always was.
"""

import base64
import binascii

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from masking.changes import CHANGED, CREATED, Position, feed

START = "0"
DEFAULT_LIMIT, MAX_LIMIT = 50, 500
_KINDS = {"after": ("c", CREATED), "updated_after": ("u", CHANGED)}


def encode(param: str, position: Position) -> str:
    raw = f"{_KINDS[param][0]}.{position.tx}.{position.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(param: str, value: str) -> Position | None:
    """The position a cursor names (None: the beginning); ValidationError naming `param`."""
    if value == START:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        kind, tx, pk = raw.split(".")
        position = Position(tx=int(tx), id=int(pk))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        position, kind = None, ""
    if kind != _KINDS[param][0] or position is None or not (0 <= position.tx < 2**63):
        raise serializers.ValidationError(
            {param: [f"Not a cursor of this feed: pass {START} or a next_cursor it answered."]}
        )
    return position


class FeedPagination(PageNumberPagination):
    """Page numbers for browsing; `after` / `updated_after` for following (module docstring)."""

    page_size = DEFAULT_LIMIT
    query_params = ("page", "after", "updated_after", "limit")

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        given = [name for name in _KINDS if name in params]
        if not given:
            if "limit" in params:
                raise serializers.ValidationError(
                    {"limit": ["limit goes with after or updated_after (a feed's page size)."]}
                )
            self.param = None
            return super().paginate_queryset(queryset, request, view)
        if len(given) > 1:
            raise serializers.ValidationError(
                {"updated_after": ["Follow one feed at a time: after or updated_after."]}
            )
        self.param = given[0]
        self.request = request
        after = decode(self.param, params[self.param])
        limit = self._limit(params.get("limit"))
        rows = list(feed(queryset, column=_KINDS[self.param][1], after=after)[:limit])
        last = rows[-1] if rows else None
        column = _KINDS[self.param][1]
        self.position = Position(tx=getattr(last, column), id=last.pk) if last else after
        self.full = len(rows) == limit
        return rows

    @staticmethod
    def _limit(value: str | None) -> int:
        if value is None:
            return DEFAULT_LIMIT
        try:
            limit = int(value)
        except ValueError:
            limit = 0
        if not 1 <= limit <= MAX_LIMIT:
            raise serializers.ValidationError({"limit": [f"A whole number from 1 to {MAX_LIMIT}."]})
        return limit

    def get_paginated_response(self, data):
        if self.param is None:
            return super().get_paginated_response(data)
        cursor = START if self.position is None else encode(self.param, self.position)
        url = self.request.build_absolute_uri()
        return Response(
            {
                "next_cursor": cursor,
                # Null once caught up (a page less than full): poll next_cursor again later.
                "next": replace_query_param(url, self.param, cursor) if self.full else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        # One schema for both answers: a page number's (count, previous) or a feed's
        # (next_cursor); results and next in both.
        base = super().get_paginated_response_schema(schema)
        base["required"] = ["results"]
        base["properties"]["next_cursor"] = {
            "type": "string",
            "description": "Feeds only: pass it as after (or updated_after) next time.",
            "example": "Yy40ODIxMy4xMjM",
        }
        return base

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "Feed of new rows: 0 to start, then the last next_cursor.",
                "schema": {"type": "string"},
            },
            {
                "name": "updated_after",
                "in": "query",
                "required": False,
                "description": "Feed of every write (new and changed rows): 0 to start, then "
                "the last next_cursor.",
                "schema": {"type": "string"},
            },
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"A feed's page size, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
            },
        ]
