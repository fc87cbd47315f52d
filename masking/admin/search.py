"""Admin search that finds people by their whole number, and never by part of it.

A substring search over numbers is an oracle: staff who see "+65 9123 ••01" could try the 100
completions and learn the hidden digits. So people's number fields are not in `search_fields`;
they are listed in `number_search_fields` and matched exactly, against the term read as a whole
number: "+6591230001", "6591230001", or "9123 0001" in the pool's countries. Staff who may see
numbers in full (`masking.privacy.may_see_full_numbers`) also find them by any run of digits.
"""

from django.db.models import Q

from masking.numbers import whole_numbers
from masking.privacy import may_see_full_numbers


class NumberSearchMixin:
    """For a ModelAdmin: `number_search_fields` are searched by whole number (see above)."""

    number_search_fields: list[str] = []

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if not term or not self.number_search_fields:
            return results, may_have_duplicates
        wanted = Q()
        for number in whole_numbers(term):
            for field in self.number_search_fields:
                wanted |= Q(**{field: number})
        digits = "".join(ch for ch in term if ch.isdigit())
        if may_see_full_numbers(request.user) and len(digits) >= 3 and digits == term.lstrip("+"):
            for field in self.number_search_fields:
                wanted |= Q(**{f"{field}__contains": digits})
        if not wanted:
            return results, may_have_duplicates
        # Either the text fields matched (Django's own search; with none, it filters nothing) or
        # a number did.
        text = Q(pk__in=results.values("pk")) if self.get_search_fields(request) else Q(pk=None)
        return queryset.filter(text | wanted), True

    def lookup_allowed(self, lookup, value, request=None):
        # Django allows any lookup on a local field from the query string
        # (`?caller__startswith=+65912`): the same oracle as a partial search.
        if not may_see_full_numbers(getattr(request, "user", None)) and any(
            lookup == field or lookup.startswith(f"{field}__")
            for field in self.number_search_fields
        ):
            return False
        return super().lookup_allowed(lookup, value, request)
