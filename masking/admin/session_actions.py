"""End, Reopen and Extend a session where staff look at it, and in bulk, each confirmed first.

Like Django's delete confirmation: the first request shows what will happen and asks; only the
confirmed POST changes anything, through the session services, which write the session's history
(who, when, how, why). Bulk actions then say what they did and what they did not do, and why.
Sessions are never deleted from the admin: ending one keeps the record and frees its numbers.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from masking.models import AuditEntry, MaskingSession
from masking.services.audit import ADMIN
from masking.services.sessions import session_close, session_extend, session_reopen
from masking.timezones import zone_label


class EndForm(forms.Form):
    note = forms.CharField(
        label="Why",
        max_length=200,
        required=False,
        help_text="Kept in the session's history. Example: “booking cancelled by the rider”.",
    )


class ExtendForm(forms.Form):
    """Any duration (hours and minutes), or a time: staff think "two more hours", not 18:40."""

    hours = forms.IntegerField(
        label="Extend by: hours",
        required=False,
        min_value=0,
        max_value=24 * 366,
        widget=forms.NumberInput(attrs={"size": 5, "placeholder": "0"}),
        help_text="Example: 2 (hours), or 48 for two days.",
    )
    minutes = forms.IntegerField(
        label="and minutes",
        required=False,
        min_value=0,
        max_value=59,
        widget=forms.NumberInput(attrs={"size": 3, "placeholder": "0"}),
        help_text="Added with the hours to the current expiry (or to now, if it has passed).",
    )
    until = forms.DateTimeField(
        label="Or until",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "until"
        ].help_text = f"A date and time in {zone_label()}. Example: 2026-12-01 18:00."

    def duration(self) -> timedelta:
        data = self.cleaned_data
        return timedelta(hours=data.get("hours") or 0, minutes=data.get("minutes") or 0)

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if bool(self.duration()) == bool(data.get("until")):
            raise ValidationError("Choose a duration or a time, one of the two.")
        return data

    def new_expiry(self, session: MaskingSession):
        if self.cleaned_data.get("until"):
            return self.cleaned_data["until"]
        now = timezone.now()
        base = session.expires_at if session.expires_at and session.expires_at > now else now
        return base + self.duration()


@dataclass
class Outcome:
    """What a bulk action did and did not do, to tell staff plainly."""

    done: list = field(default_factory=list)
    skipped: dict[str, list] = field(default_factory=dict)  # reason -> sessions

    def skip(self, reason: str, session) -> None:
        self.skipped.setdefault(reason, []).append(session)


@dataclass(frozen=True)
class SessionAction:
    name: str  # URL and action name: "end", "reopen", "extend"
    verb: str  # "End"
    past: str  # "Ended"
    form_class: type[forms.Form] | None
    explanation: str
    # Only ending takes something away: its button is red like Delete, the others neutral.
    destructive: bool = False


ACTIONS = {
    "end": SessionAction(
        "end",
        "End",
        "Ended",
        EndForm,
        "Calls between its participants through its number stop at once; the session is kept, "
        "with its calls and history, and can be reopened while it has not expired.",
        destructive=True,
    ),
    "reopen": SessionAction(
        "reopen",
        "Reopen",
        "Reopened",
        None,
        "Its participants can call each other through its number again, until it expires.",
    ),
    "extend": SessionAction(
        "extend",
        "Extend",
        "Extended",
        ExtendForm,
        "Its expiry moves later. An expired session that is still open routes calls again.",
    ),
}


def _describe(session: MaskingSession) -> str:
    return session.reference or f"#{session.pk}"


def apply(action: str, session: MaskingSession, form, request) -> str | None:
    """Do `action` to `session`; None when done, else why it was not done."""
    if action == "end":
        if session.status == MaskingSession.Status.CLOSED:
            return "already closed"
        session_close(
            session=session,
            reason=MaskingSession.CloseReason.STAFF,
            actor=request.user,
            via=ADMIN,
            note=form.cleaned_data["note"],
        )
        return None
    if action == "reopen":
        if session.status == MaskingSession.Status.OPEN:
            return "already open"
        try:
            session_reopen(session=session, actor=request.user, via=ADMIN)
        except ValidationError as exc:
            return " ".join(exc.messages).rstrip(".")
        return None
    if session.status == MaskingSession.Status.CLOSED:
        return "closed (reopen it first)"
    if session.expires_at is None and not form.cleaned_data.get("until"):
        return "has no expiry: it lasts until ended"
    try:
        session_extend(
            session=session, expires_at=form.new_expiry(session), actor=request.user, via=ADMIN
        )
    except ValidationError as exc:
        return " ".join(exc.messages).rstrip(".")
    return None


def refusal(action: str, session: MaskingSession) -> str | None:
    """Why `action` cannot be done to `session` at all, shown before asking."""
    if action == "end" and session.status == MaskingSession.Status.CLOSED:
        return "This session is already closed."
    if action == "reopen" and session.status == MaskingSession.Status.OPEN:
        return "This session is already open."
    if action == "extend" and session.status == MaskingSession.Status.CLOSED:
        return "This session is closed: reopen it first (extend it first if it has expired)."
    return None


class SessionActionsMixin:
    """For MaskingSessionAdmin: the three actions on the session's page, in bulk, and history."""

    session_action_template = "admin/masking/maskingsession/session_action.html"

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self.session_action_view),
                {"action": name},
                name=f"{info}_{name}",
            )
            for name in ACTIONS
        ] + super().get_urls()

    def session_action_view(self, request, object_id, action):
        session = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, session):
            raise PermissionDenied
        spec = ACTIONS[action]
        data = request.POST if request.method == "POST" else None
        form = spec.form_class(data) if spec.form_class else None
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[session.pk]
        )
        problem = refusal(action, session)
        if request.method == "POST" and problem is None and (form is None or form.is_valid()):
            why_not = apply(action, session, form, request)
            if why_not is None:
                self.message_user(
                    request, f"{spec.past} session {_describe(session)}.", messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
            problem = f"Nothing was changed: {why_not}."
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec.verb} session {_describe(session)}?",
            "spec": spec,
            "sessions": [session],
            "form": form,
            "problem": problem,
            "object": session,
            "cancel_url": change_url,
            "zone": zone_label(),
        }
        return TemplateResponse(request, self.session_action_template, context)

    def _bulk(self, request, queryset, action):
        spec = ACTIONS[action]
        form = (
            spec.form_class(request.POST if request.POST.get("post") else None)
            if (spec.form_class)
            else None
        )
        if request.POST.get("post") and (form is None or form.is_valid()):
            outcome = Outcome()
            for session in queryset.select_related("virtual_number"):
                why_not = apply(action, session, form, request)
                if why_not is None:
                    outcome.done.append(session)
                else:
                    outcome.skip(why_not, session)
            self._tell(request, spec, outcome)
            return None  # back to the list, as Django's own actions do
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{spec.verb} {queryset.count()} selected sessions?",
            "spec": spec,
            "sessions": list(queryset.select_related("virtual_number")),
            "form": form,
            "bulk_action": f"{action}_sessions",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "zone": zone_label(),
            "media": self.media,
        }
        return TemplateResponse(request, self.session_action_template, context)

    def _tell(self, request, spec: SessionAction, outcome: Outcome) -> None:
        n = len(outcome.done)
        said = (
            f"{spec.past} {n} session{'s' if n != 1 else ''}: "
            + ", ".join(_describe(s) for s in outcome.done)
            + "."
            if n
            else f"No session was {spec.past.lower()}."
        )
        not_done = [
            f"{len(sessions)} not {spec.past.lower()}, {reason}: "
            + ", ".join(_describe(s) for s in sessions)
            for reason, sessions in outcome.skipped.items()
        ]
        text = " ".join([said, *(f"{line}." for line in not_done)])
        level = messages.WARNING if outcome.skipped or not n else messages.SUCCESS
        self.message_user(request, text, level)

    def end_sessions(self, request, queryset):
        return self._bulk(request, queryset, "end")

    def reopen_sessions(self, request, queryset):
        return self._bulk(request, queryset, "reopen")

    def extend_sessions(self, request, queryset):
        return self._bulk(request, queryset, "extend")

    end_sessions.allowed_permissions = ("change",)
    end_sessions.short_description = "End selected sessions…"
    reopen_sessions.allowed_permissions = ("change",)
    reopen_sessions.short_description = "Reopen selected sessions…"
    extend_sessions.allowed_permissions = ("change",)
    extend_sessions.short_description = "Extend selected sessions…"

    def history_view(self, request, object_id, extra_context=None):
        """The session's history from the audit trail: every change, by whom and how."""
        session = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_view_permission(request, session):
            raise PermissionDenied
        entries = AuditEntry.objects.filter(
            object_type=MaskingSession._meta.label, object_id=str(session.pk)
        ).select_related("actor")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "object": session,
            "title": f"History: {session}",
            "subtitle": None,
            "entries": [history_row(entry) for entry in entries.order_by("at", "id")],
            "zone": zone_label(),
            **(extra_context or {}),
        }
        return TemplateResponse(
            request, "admin/masking/maskingsession/session_history.html", context
        )


VIA_WORDS = {
    "admin": "in the admin",
    "api": "through the API",
    "sweep": "by the expiry sweep",
    "8x8": "by 8x8's number events",
    "system": "by the system",
}


def history_row(entry: AuditEntry) -> dict:
    return {
        "at": entry.at,
        "who": entry.actor.get_username() if entry.actor else "—",
        "how": VIA_WORDS.get(entry.via, entry.via),
        "what": entry.action,
        "details": [(key, readable(value)) for key, value in entry.changes.items()],
    }


def readable(value) -> str:
    """ISO times in the history read in the operations time zone, with minutes and the zone."""
    from masking.timezones import localize_iso

    return " → ".join(localize_iso(part) for part in str(value).split(" → "))
