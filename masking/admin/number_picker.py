"""Picking a virtual number among a thousand: autocomplete everywhere, with each number's room.

One widget (`NumberPicker`, Django's select2 autocomplete) for the session form, the list filters
and the simulator. Its searches go to `NumberAutocomplete`, Django's autocomplete view with two
additions: each number is labelled with its state and free room, and the session form's picker
(scope "new-session") offers only numbers that can take a new session, so staff never pick one
the form will refuse.
"""

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from masking.models import MaskingSession, VirtualNumber

NEW_SESSION = "new-session"


def number_label(number: VirtualNumber) -> str:
    """ "+6531500101 (SG pool 1) · 997 of 1,000 free", or its state when it takes no session."""
    if number.status != VirtualNumber.Status.ACTIVE:
        return f"{number} · {number.get_status_display()}"
    free = max(settings.MASKING_NUMBER_CAPACITY - number.open_sessions, 0)
    room = f"{free:,} of {settings.MASKING_NUMBER_CAPACITY:,} free" if free else "full"
    return f"{number} · {room}"


class NumberAutocomplete(AutocompleteJsonView):
    def get_queryset(self):
        queryset = super().get_queryset()
        if self.model_admin.model is VirtualNumber and self.request.GET.get("scope") == NEW_SESSION:
            queryset = queryset.allocatable().filter(
                open_sessions__lt=settings.MASKING_NUMBER_CAPACITY, unlisted_since__isnull=True
            )
        return queryset

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, VirtualNumber):
            result["text"] = number_label(obj)
        return result


def _is_id(value) -> bool:
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18  # within a bigint


class NumberPicker(AutocompleteSelect):
    """Autocomplete over the pool; `scope="new-session"` offers only numbers with room."""

    def __init__(self, *, scope: str = "", attrs=None):
        super().__init__(MaskingSession._meta.get_field("virtual_number"), admin.site, attrs=attrs)
        self.scope = scope

    def get_url(self):
        url = reverse("admin:autocomplete")
        return f"{url}?{urlencode({'scope': self.scope})}" if self.scope else url

    def optgroups(self, name, value, attr=None):
        # Only values that can be ids: Django's widget looks the chosen ones up, and a typed
        # ?virtual_number=abc (re-shown with the form's error) would make that lookup a 500.
        value = [v for v in value or [] if _is_id(v)]
        groups = super().optgroups(name, value, attr)
        # The chosen number's label, as the searches show it.
        labels = {str(n.pk): number_label(n) for n in VirtualNumber.objects.filter(pk__in=value)}
        for _, options, _ in groups:
            for option in options:
                option["label"] = labels.get(str(option["value"]), option["label"])
        return groups


def picker_media():
    return NumberPicker().media


class NumberFilterForm(forms.Form):
    number = forms.ModelChoiceField(
        queryset=VirtualNumber.objects.all(), required=False, widget=NumberPicker()
    )


class NumberListFilter(admin.SimpleListFilter):
    """ "By virtual number" as a search box, not a list of every number in the pool."""

    title = "virtual number"
    parameter_name = "number"
    template = "admin/masking/number_filter.html"

    def lookups(self, request, model_admin):
        return []

    def has_output(self):
        return True

    def selected(self) -> VirtualNumber | None:
        value = self.value()
        return VirtualNumber.objects.filter(pk=value).first() if value and value.isdigit() else None

    def queryset(self, request, queryset):
        number = self.selected()
        if self.value() and number is None:
            return queryset.none()
        return self.filter_by(queryset, number) if number else queryset

    def filter_by(self, queryset, number: VirtualNumber):
        return queryset.filter(virtual_number=number)

    def choices(self, changelist):
        keep = [
            (key, value)
            for key, values in changelist.params.items()
            if key not in (self.parameter_name, "p")
            for value in (values if isinstance(values, list) else [values])
        ]
        number = self.selected()
        form = NumberFilterForm(initial={"number": number.pk if number else None})
        yield {
            "widget": form["number"],
            "hidden": format_html_join("", '<input type="hidden" name="{}" value="{}">', keep),
            "clear": changelist.get_query_string(remove=[self.parameter_name]),
            "selected": number,
            "label": format_html("{}", number_label(number)) if number else "",
        }
