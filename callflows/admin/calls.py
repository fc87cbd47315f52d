import json
import re
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from callflows import voice_api
from callflows.models import Call, CallAction, CallEvent, OutOfSessionAnswer
from callflows.words import DECISIONS, OUTCOMES, decision_words, outcome_words
from masking.admin.base import ProjectAdmin
from masking.admin.links import session_link
from masking.admin.number_picker import NumberListFilter, picker_media
from masking.pool_access import within_pools
from masking.privacy import number_for, numbers_in_text_for, numbers_shown_to
from masking.spreadsheets import csv_stream
from masking.timezones import iso_times, staff_time

RECORDING_STATUS_PERMISSION = "callflows.view_recording_status"
# Fields that say where a recording is stored: shown only with RECORDING_STATUS_PERMISSION.
LOCATIONS = {"shown_recording_path"}
UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
# What 8x8's recording statuses mean for the file (provider document, section 10.4).
RECORDING_STATUSES = {
    "PROCESSING": "8x8 is still processing it; the file is not pushed yet",
    "PROCESSING_FAILED": "8x8 could not process it: no file will arrive",
    "UPLOAD_COMPLETED": "pushed to our storage",
    "UPLOAD_FAILED": "8x8 could not push it to our storage: check the recording push "
    "configuration (connect_8x8 shows it)",
    "CALLBACK_COMPLETED": "pushed to our storage, and 8x8 notified our recording webhook",
    "CALLBACK_FAILED": "pushed to our storage, but 8x8 could not notify our recording webhook",
    "UNKNOWN": "8x8 does not know",
}


WITHHELD_WORDS = {
    "no_push_config": "The session asked for recording, but 8x8 had no recording push "
    "configuration known when the call came (8x8 records only where it has somewhere to push "
    "the file), so the call connected unrecorded. The settings page says what is known now.",
}


def recording_withheld_words(call: Call) -> str:
    if call.recording_withheld:
        return WITHHELD_WORDS.get(call.recording_withheld, call.recording_withheld)
    return "-"


def recording_at_8x8(call: Call):
    """The recording's status as 8x8 reports it now, so a missing recording is explained."""
    if call.recording_withheld:
        return f"Not recorded: {recording_withheld_words(call)}"
    if not (call.recorded or call.recording_id):
        return "Not recorded: no recording was asked for this call."
    if not UUID.match(call.provider_session_id):
        return "Not an 8x8 session id: nothing to ask 8x8."
    try:
        # One quick try: a staff page must not hang on 8x8.
        with voice_api.VoiceApi.from_settings(attempts=1, read_timeout=5.0) as api:
            recordings = api.recordings(call.provider_session_id)
    except voice_api.VoiceApiError as exc:
        return str(exc)
    if not recordings:
        return "8x8 has no recording for this call (yet)."
    return format_html_join(
        "",
        "<p><strong>{}</strong>: {}.<br>Recording {}{}<br>Landed at: {}</p>",
        (
            (
                r.status,
                RECORDING_STATUSES.get(r.status, "a status 8x8 has not documented"),
                r.recording_id or "-",
                f", {r.duration} s" if r.duration is not None else "",
                # A file URL may be named after the caller: redacted as the viewer may see it.
                numbers_in_text_for(r.external_file_url) or "(nowhere yet)",
            )
            for r in recordings
        ),
    )


class CallNumberFilter(NumberListFilter):
    """Calls keep the number dialled as text (a call may reach a number we never had)."""

    def filter_by(self, queryset, number):
        return queryset.filter(virtual_number=str(number.number))


class ReadOnlyAdmin(ProjectAdmin):
    """Records of what happened: staff read them, nobody edits them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallEventInline(admin.TabularInline):
    model = CallEvent
    fields = ["occurred_at", "kind", "leg", "status", "sip_code", "unreadable", "received_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "timeline"

    def has_add_permission(self, request, obj=None):
        return False


class CallActionInline(admin.TabularInline):
    """Each Call Action event of the call, once, with the answer it got (and redeliveries got)."""

    model = CallAction
    fields = ["answered_at", "event_id", "outcome", "answer_json"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "call actions (what 8x8 asked, what we answered)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="callflow answered")
    def answer_json(self, obj):
        if not obj.answer:
            return "-"
        return format_html("<pre>{}</pre>", numbers_in_text_for(json.dumps(obj.answer, indent=2)))


@admin.register(Call)
class CallAdmin(ReadOnlyAdmin):
    pool_path = "pool"  # the pool that answered the call (`Call.pool`)
    # Narrow columns, so the session and 8x8's id stay in view on a 1366 px laptop.
    list_display = [
        "when",
        "shown_caller",
        "virtual_number",
        "decision",
        "provider_outcome",
        "talk_time",
        "session",
        "provider_id",
    ]
    list_display_links = ["when"]
    list_filter = ["outcome", "status", "recorded", CallNumberFilter, "created_at"]
    list_select_related = ["masking_session"]
    # Ten million calls: each search is an index's (issue 28). 8x8's ids and the number dialled
    # are matched whole (8x8's session id, any Call Action event id of the call, the recording
    # id); a session's reference by any part, through the sessions' trigram index; a caller by
    # the whole number in any spacing, never by a part.
    search_fields = [
        "provider_session_id__exact",
        "actions__event_id__exact",
        "recording_id__exact",
        "virtual_number__exact",
        "masking_session__reference",
    ]
    number_search_fields = ["caller"]
    partial_number_search = False
    date_hierarchy = "created_at"
    inlines = [CallActionInline, CallEventInline]
    change_list_template = "admin/callflows/call/change_list.html"

    @property
    def media(self):
        return super().media + picker_media()

    csv_header = [
        "time",
        "caller",
        "virtual_number",
        "decision",
        "outcome",
        "talk_seconds",
        "recorded",
        "session_reference",
        "provider_session_id",
    ]
    fieldsets = [
        (
            "What we answered",
            {
                "fields": [
                    "provider_session_id",
                    "created_at",
                    "shown_caller",
                    "virtual_number",
                    "masking_session",
                    "outcome",
                    "replay",
                    "recorded",
                    "why_not_recorded",
                    "answered_at",
                    "answer_json",
                    "business_answer",
                ]
            },
        ),
        (
            "What 8x8 reported",
            {
                "fields": [
                    "status",
                    "started_at",
                    "ended_at",
                    "caller_seconds",
                    "callee_seconds",
                    "caller_mos",
                    "callee_mos",
                    "last_action",
                    "error_code",
                    "shown_error_message",
                    "summary_received_at",
                ]
            },
        ),
        (
            "Recording",
            {"fields": ["recording_id", "shown_recording_path", "recording_seconds"]},
        ),
    ]

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="callflows_call_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """The call log as CSV, filtered and searched as the list is (its query string)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            calls = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect("../")
        # Values, not instances: a day's calls are a few hundred thousand rows (issue 28).
        decisions = {code: decision_words(code) for code in DECISIONS}
        outcomes = {code: outcome_words(code) for code in OUTCOMES}
        values = calls.values_list(
            "created_at",
            "caller",
            "virtual_number",
            "outcome",
            "status",
            "callee_seconds",
            "recorded",
            "masking_session__reference",
            "provider_session_id",
        )

        shown = numbers_shown_to(request.user)  # the viewer's disclosure, decided once
        when = iso_times()

        def rows():
            for row in values.iterator(chunk_size=2000):
                created, caller, number, outcome, status, seconds, recorded, reference, id_ = row
                yield [
                    when(created),
                    shown(caller) if caller else "(anonymised)",
                    number,
                    decisions.get(outcome) or decision_words(outcome),
                    outcomes.get(status) or outcome_words(status),
                    seconds or 0,
                    "yes" if recorded else "no",
                    reference or "",
                    id_,
                ]

        return csv_stream(filename="calls.csv", header=self.csv_header, rows=rows())

    @admin.display(description="why")
    def replay(self, call):
        """Support's question about a past call, answered by the simulator's replay."""
        url = reverse("admin-simulator") + "?" + urlencode({"call": call.pk})
        return format_html(
            '<a id="replay-call" href="{}">Replay this call in the simulator</a>: the decision '
            "from what the database held then, beside 8x8's outcome",
            url,
        )

    @admin.display(description="why not recorded")
    def why_not_recorded(self, call):
        return recording_withheld_words(call)

    # Not sortable by caller: the order of hidden numbers beside known ones tells their digits.
    @admin.display(description="caller")
    def shown_caller(self, obj):
        return number_for(obj.caller) if obj.caller else "(anonymised)"

    # Free text written by 8x8 or by the business's storage: it may spell a number (a recording
    # file named after the caller), so it is shown as the policy allows.
    @admin.display(description="error message")
    def shown_error_message(self, obj):
        return numbers_in_text_for(obj.error_message) or "-"

    @admin.display(description="recording path")
    def shown_recording_path(self, obj):
        return numbers_in_text_for(obj.recording_path) or "-"

    @admin.display(description="time", ordering="created_at")
    def when(self, obj):
        return staff_time(obj.created_at)

    @admin.display(description="the business's answer")
    def business_answer(self, obj):
        """For a call from a phone in no session: what the business answered, how long it took,
        and the session it had opened (README, "Calls outside a session")."""
        answer = OutOfSessionAnswer.objects.filter(call=obj).first()
        if answer is None:
            return "not asked"
        parts = [f"{answer.get_answer_display()}, in {answer.elapsed_ms} ms"]
        if answer.detail:
            parts.append(answer.detail)
        if answer.opened_session_id:
            parts.append(
                format_html(
                    'opened <a href="{}">session #{}</a>',
                    reverse("admin:masking_maskingsession_change", args=[answer.opened_session_id]),
                    answer.opened_session_id,
                )
            )
        return format_html_join("; ", "{}", ((part,) for part in parts))

    @admin.display(description="decision", ordering="outcome")
    def decision(self, obj):
        return decision_words(obj.outcome)

    # Not named `outcome`: that is the model field holding our decision, and Django reads a field
    # before a method of the same name, so the column showed our decision twice (issue 28).
    @admin.display(description="outcome", ordering="status")
    def provider_outcome(self, obj):
        return outcome_words(obj.status) if obj.status else "–"

    @admin.display(description="session", ordering="masking_session")
    def session(self, obj):
        return "–" if obj.masking_session is None else session_link(obj.masking_session)

    # 8x8's ids are 36 characters: the first 8 tell calls apart; the whole id is in the tooltip
    # and on the call's page, and the search takes it whole.
    @admin.display(description="8x8 id", ordering="provider_session_id")
    def provider_id(self, obj):
        value = obj.provider_session_id
        if len(value) <= 12:
            return value
        return format_html('<span title="{}">{}…</span>', value, value[:8])

    @admin.display(description="talk time", ordering="callee_seconds")
    def talk_time(self, obj):
        seconds = obj.callee_seconds or 0
        return f"{seconds // 60}:{seconds % 60:02d}"

    @admin.display(description="callflow answered")
    def answer_json(self, obj):
        if not obj.answer:
            return "-"
        return format_html("<pre>{}</pre>", numbers_in_text_for(json.dumps(obj.answer, indent=2)))

    @admin.display(description="Recording at 8x8")
    def recording_at_8x8(self, obj):
        return recording_at_8x8(obj)

    def get_fieldsets(self, request, obj=None):
        # Where a recording is stored is for staff granted recording locations (README,
        # "Security"), not for the Support and Operations groups.
        if request.user.has_perm(RECORDING_STATUS_PERMISSION):
            return [*self.fieldsets, ("Recording at 8x8", {"fields": ["recording_at_8x8"]})]
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in LOCATIONS]})
            for name, options in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fieldsets = self.get_fieldsets(request, obj)
        return [f for fieldset in fieldsets for f in fieldset[1]["fields"]]


class SessionCallsInline(admin.TabularInline):
    """The calls of a masking session, on the session's page."""

    model = Call
    fk_name = "masking_session"
    fields = ["created_at", "shown_caller", "outcome", "status", "callee_seconds", "recording_id"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "calls"

    @admin.display(description="caller")
    def shown_caller(self, obj):
        return number_for(obj.caller) if obj.caller else "(anonymised)"

    def get_queryset(self, request):
        # A session follows its number's pool, a call stays with the pool that answered it
        # (`Call.pool`): after the number moved, the session's page shows staff of the new pool
        # none of the old pool's calls, as the call log and the API do not.
        return within_pools(super().get_queryset(request), user=request.user, path="pool")

    def has_add_permission(self, request, obj=None):
        return False
