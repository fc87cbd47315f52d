"""The admin's search at size: every condition on the list's own table, where an index serves it.

Django's search ORs each search field's `icontains` into one WHERE over the list's joins
(`reference LIKE '%x%' OR virtual_number.number LIKE '%x%'`). An OR that spans two tables can use
no index of either, so PostgreSQL read a million sessions for every search (3.4 s, issue 28).
Here a search field across a relation is asked of its own table first (10,000 numbers, or an index
there) and the list keeps the rows whose key is among the ids found; every condition is then on
the list's table, where PostgreSQL combines their indexes (a BitmapOr of the reference's trigram
index and the foreign key's) and no join can repeat a row. A term with a letter is never looked
for in a phone number field: E.164 holds none. The rows found are those Django's search finds.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.text import smart_split, unescape_string_literal
from phonenumber_field.modelfields import PhoneNumberField

# Past this many ids found in the related table, the list reads them as a subquery: a longer list
# of ids costs more to send than the subquery.
ID_CAP = 1000

PREFIX_LOOKUPS = {"^": "istartswith", "=": "iexact", "@": "search"}


def _fields_and_lookup(model, path: str) -> tuple[list, str]:
    """The fields `path` walks ("virtual_number__number") and its lookup (Django's rules:
    a prefix, a lookup named at the end, else icontains)."""
    lookup = PREFIX_LOOKUPS.get(path[:1], "")
    parts = (path[1:] if lookup else path).split("__")
    fields, opts = [], model._meta
    for i, part in enumerate(parts):
        try:
            field = opts.get_field(opts.pk.name if part == "pk" else part)
        except FieldDoesNotExist:
            lookup = "__".join(parts[i:])
            break
        fields.append(field)
        if field.is_relation:
            opts = field.related_model._meta
    return fields, lookup or "icontains"


def related_condition(model, *, path: str, lookup: str, value) -> Q:
    """`path__lookup=value` as a condition on `model`'s own table: across a relation, the ids
    the related table holds for it (pk__in for a reverse relation, the key for a forward one)."""
    fields, _ = _fields_and_lookup(model, path)
    first = fields[0]
    if len(fields) == 1 or first.many_to_many:
        return Q(**{f"{path}__{lookup}": value})
    rest = "__".join(field.name for field in fields[1:])
    related = first.related_model._default_manager.filter(**{f"{rest}__{lookup}": value})
    if first.many_to_one or (first.one_to_one and first.concrete):
        key, column = first.name, first.target_field.attname
    else:  # a reverse relation: the related rows name ours
        key, column = first.field.target_field.attname, first.field.attname
    ids = related.order_by().values_list(column, flat=True).distinct()
    found = list(ids[: ID_CAP + 1])
    if len(found) > ID_CAP:
        # Too many to send: the related rows as a subquery, which (unlike a join) repeats no row.
        return Q(**{f"{key}__in": related.order_by().values(column)})
    return Q(**{f"{key}__in": found})


def _may_hold(field, bit: str) -> bool:
    return not (isinstance(field, PhoneNumberField) and any(ch.isalpha() for ch in bit))


def text_search(model, *, paths: list[str], term: str) -> Q:
    """Django's search of `term` over `paths` (every word found in one of the fields), as
    conditions on `model`'s table."""
    words = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        either = Q(pk__in=[])  # a word no field may hold finds nothing
        for path in paths:
            fields, lookup = _fields_and_lookup(model, path)
            if not _may_hold(fields[-1], bit):
                continue
            named = "__".join(field.name for field in fields)
            either |= related_condition(model, path=named, lookup=lookup, value=bit)
        words.append(either)
    return Q.create(words)
