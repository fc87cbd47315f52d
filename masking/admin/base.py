"""The base of every ModelAdmin in the project: lists that are no oracle, by construction.

Django lets any query-string lookup through to any local field (`?answer__icontains=...65`,
`?caller__startswith=+65811`): "0 results" or not tells a hidden digit each time. A list built on
`ProjectAdmin` answers only the parameters its own filters declare (`list_filter`,
`date_hierarchy`, and the admin's own: search, order, page, popup), plus an exact match on a field
a filter is declared for (`?status=pending`); anything else is refused with 400 before a row is
read, for every viewer, through the list and every export built on it.

Search: fields holding a person's number (`masking.privacy.personal_number`) are matched only by
whole number, whichever of `search_fields` or `number_search_fields` names them; fields holding
free text that may spell numbers (`number_text`) are never searched. Each whole-number search is a
lookup: limited per user and audited (`masking.services.lookups`).

Pools: staff given pools see their pools' rows only, in every list, change page, export and
autocomplete, because each of those reads `get_queryset`, which applies `masking.pool_access`
along the path each admin declares (`pool_path`; masking.E031 refuses an admin that does not).
Foreign-key choices (a session's virtual number) are limited the same way.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Q
from django.utils.html import format_html
from django.utils.translation import gettext as _

from masking.admin.paging import CappedCountPaginator
from masking.admin.search import related_condition, text_search
from masking.numbers import whole_numbers
from masking.pool_access import sees_every_pool, within_pools
from masking.privacy import holds_numbers, is_personal_number, may_see_full_numbers
from masking.services.audit import ADMIN
from masking.services.lookups import number_lookup

# Where a list's search leaves the list as it was before it, for the changelist (a request's).
BEFORE_SEARCH = "_masking_list_before_search"


class DeclaredLookupsChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        searched = super().get_queryset(request, exclude_parameters)
        # The date drill-down's span (masking/templatetags/staff_lists.py) is the list's before
        # its search: a term matching nothing made PostgreSQL walk ten million calls in date
        # order looking for a first one (MIN over an index, 7 s), since it guesses a thousand.
        self.unsearched_queryset = request.__dict__.pop(BEFORE_SEARCH, searched)
        return searched

    def get_filters(self, request):
        sent = set(self.get_filters_params())
        specs, has_filters, remaining, duplicates, active = super().get_filters(request)
        # Every declared filter took its own parameters out; the date hierarchy turned its
        # year/month/day into a range. What is left was asked of no filter.
        hierarchy = self.date_hierarchy
        derived = set()
        if hierarchy and f"{hierarchy}__year" in sent:
            derived = {f"{hierarchy}__gte", f"{hierarchy}__lt"}
        undeclared = sorted(set(remaining) - derived - self._declared_fields())
        if undeclared:
            raise DisallowedModelAdminLookup(
                f"Filtering by {', '.join(undeclared)} is not offered: use the filters shown."
            )
        return specs, has_filters, remaining, duplicates, active

    def apply_select_related(self, qs):
        """Every relation a column shows, joined in the list's one query. Django's default
        (`select_related()` with no names) follows only non-null keys, so a nullable one (an audit
        entry's actor, who recorded an opt-in) cost a query a row (issue 28)."""
        if self.list_select_related is False:
            related = [
                name
                for name in self.list_display
                if isinstance(name, str)
                and (field := _field_at(self.model, name)) is not None
                and field.many_to_one
            ]
            if related:
                return qs.select_related(*related)
        return super().apply_select_related(qs)

    def _declared_fields(self) -> set[str]:
        """`?status=pending`: an exact match on a field a filter is declared for, as bookmarks and
        links have it; never on a person's number or free text that may spell one."""
        declared = set()
        for entry in self.list_filter:
            path = entry[0] if isinstance(entry, (tuple, list)) else entry
            if not isinstance(path, str):
                continue
            field = _field_at(self.model, path)
            if field is not None and not (is_personal_number(field) or holds_numbers(field)):
                declared.add(path)
        return declared


def _field_at(model, path: str):
    try:
        return get_fields_from_path(model, path.lstrip("^=@"))[-1]
    except (FieldDoesNotExist, admin.utils.NotRelationField):
        return None


NOT_DECLARED = object()


class EveryPoolWrites:
    """Writes (`add`, `change`, `delete`) an admin keeps for staff who see every pool.

    Given no pool is every pool (masking.pool_access): a member given pools who could delete
    their only pool, make a user, or repoint what every pool shares would widen someone to
    every pool, or reach every pool's data. An admin names such writes in `every_pool_writes`;
    the check is here, once, for the project's admins and Django's user admin alike."""

    every_pool_writes: tuple[str, ...] = ()

    def _write_allowed(self, request, write: str) -> bool:
        return write not in self.every_pool_writes or sees_every_pool(request.user)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and self._write_allowed(request, "add")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._write_allowed(
            request, "change"
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._write_allowed(
            request, "delete"
        )


class ProjectAdmin(EveryPoolWrites, admin.ModelAdmin):
    """Every project list: declared lookups only; people's numbers found by whole number only;
    rows of the staff member's pools only."""

    # People's number fields to match by whole number, beyond those `search_fields` names.
    number_search_fields: list[str] = []
    # Staff who see numbers whole may also find them by a part (three digits or more). A list of
    # millions turns it off: no index serves a part of a number, so each such search reads them all.
    partial_number_search = True
    # Lists of millions of rows: no second COUNT(*) of the whole table, and the count of the
    # filtered rows stops at 10,000 (masking/admin/paging.py).
    show_full_result_count = False
    paginator = CappedCountPaginator
    # How a row reaches its pool (masking.pool_access.PoolPath), or None for rows shared by every
    # pool. Each admin declares it (masking.E031).
    pool_path = NOT_DECLARED

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.pool_path is None or self.pool_path is NOT_DECLARED:
            return queryset
        return within_pools(queryset, user=request.user, path=self.pool_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        paths = {"masking.pool": "pk", "masking.virtualnumber": "pool"}
        path = paths.get(db_field.related_model._meta.label_lower)
        if path and "queryset" not in kwargs:
            choices = db_field.related_model._default_manager.all()
            kwargs["queryset"] = within_pools(choices, user=request.user, path=path)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changelist(self, request, **kwargs):
        return DeclaredLookupsChangeList

    def action_checkbox(self, obj):
        # Django's box, written out: it rendered each row's through the form templates, a fifth
        # of a hundred-row list's time (issue 28).
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def _search_paths(self, request) -> tuple[list[str], list[str]]:
        """(text paths Django may search by part, paths of people's numbers)."""
        text, numbers = [], list(self.number_search_fields)
        for path in super().get_search_fields(request):
            field = _field_at(self.model, path)
            if field is not None and is_personal_number(field):
                numbers.append(path.lstrip("^=@"))
            elif field is None or not holds_numbers(field):
                text.append(path)
        return text, numbers

    def get_search_fields(self, request):
        return self._search_paths(request)[0]

    def get_search_results(self, request, queryset, search_term):
        # Each condition on this list's own table (masking/admin/search.py): no join to repeat
        # a row, so no DISTINCT or EXISTS around the list.
        request.__dict__[BEFORE_SEARCH] = queryset
        text_paths, number_paths = self._search_paths(request)
        term = search_term.strip()
        if not term or not (text_paths or number_paths):
            return queryset, False
        text = text_search(self.model, paths=text_paths, term=search_term) if text_paths else None
        wanted = Q()
        numbers = whole_numbers(term) if number_paths else set()
        if numbers:
            number_lookup(
                user=request.user, numbers=numbers, via=ADMIN, where=self.opts.label_lower
            )
        for number in numbers:
            for path in number_paths:
                wanted |= related_condition(self.model, path=path, lookup="exact", value=number)
        digits = "".join(ch for ch in term if ch.isdigit())
        if (
            number_paths
            and self.partial_number_search
            and may_see_full_numbers(request.user)
            and len(digits) >= 3
            and digits == term.lstrip("+")
        ):
            # Staff who see numbers whole learn nothing from a partial match.
            for path in number_paths:
                wanted |= related_condition(self.model, path=path, lookup="contains", value=digits)
        if not wanted:
            return (queryset.filter(text) if text is not None else queryset), False
        # Either the text fields matched or a number did.
        return queryset.filter(wanted if text is None else text | wanted), False
