"""Retiring a number from its page, confirmed first, naming the sessions it will end.

Status → retired → Save ends every open session on the number (reason: number retired). Like
End's confirmation, that Save first shows what will happen: how many sessions, the first few by
name, a link to all of them; only the confirmed POST (the form's data sent again, with
`confirm_retire`) saves. The service refuses a retirement without that word anyway
(`RetirementNotConfirmed`), so a path that forgot to ask cannot end conversations.
"""

from django.contrib import messages
from django.template.response import TemplateResponse
from django.urls import reverse

from masking.models import VirtualNumber
from masking.services.numbers import RetirementNotConfirmed
from masking.timezones import zone_label

CONFIRM = "confirm_retire"
SHOWN = 20  # sessions named on the page; the link lists them all


def retirement_confirmed(request) -> bool:
    return request.POST.get(CONFIRM) == "yes"


class NumberRetirementMixin:
    """For VirtualNumberAdmin: a confirmation between Save and retiring a number in use."""

    retirement_template = "admin/masking/virtualnumber/retire_confirmation.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if (
            request.method == "POST"
            and object_id
            and request.POST.get("status") == VirtualNumber.Status.RETIRED
            and not retirement_confirmed(request)
        ):
            number = self.get_object(request, object_id)
            if number is not None and self.has_change_permission(request, number):
                response = self._ask_before_retiring(request, number)
                if response is not None:
                    return response
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RetirementNotConfirmed as exc:
            # A session opened after the page was shown, or a path that skipped it: nothing saved.
            self.message_user(request, f"Nothing was saved: {exc.messages[0]}", messages.ERROR)
            return self._ask_before_retiring(request, self.get_object(request, object_id))

    def _ask_before_retiring(self, request, number):
        open_sessions = number.sessions.open()
        count = open_sessions.count()
        if not count:
            return None
        form = self.get_form(request, number, change=True)(
            request.POST, request.FILES, instance=self.get_object(request, number.pk)
        )
        if not form.is_valid():
            return None  # the change form shows its errors; nothing is saved
        sessions_url = reverse("admin:masking_maskingsession_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": number,
            "title": f"Retire {number}?",
            "count": count,
            "sessions": list(open_sessions.order_by("started_at", "id")[:SHOWN]),
            "more": max(count - SHOWN, 0),
            "all_url": f"{sessions_url}?number={number.pk}&state=open",
            "fields": [
                (key, value)
                for key in request.POST
                if key not in ("csrfmiddlewaretoken", CONFIRM)
                for value in request.POST.getlist(key)
            ],
            "cancel_url": reverse("admin:masking_virtualnumber_change", args=[number.pk]),
            "confirm": CONFIRM,
            "zone": zone_label(),
        }
        return TemplateResponse(request, self.retirement_template, context)
