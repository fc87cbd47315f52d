from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import CharField, FilteredRelation, Prefetch, Q
from django.db.models.functions import Cast
from django.forms.models import construct_instance
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from phonenumber_field.formfields import PhoneNumberField

from callflows.admin.calls import SessionCallsInline
from masking.admin.base import ProjectAdmin
from masking.admin.csv_io import EXPORT_CHUNK, CsvImportExportMixin, RowCheck, error_lines
from masking.admin.number_picker import NEW_SESSION, NumberListFilter, NumberPicker, picker_media
from masking.admin.session_actions import SessionActionsMixin
from masking.models import MaskingSession, Participant, VirtualNumber
from masking.models.sessions import session_state
from masking.pool_access import granted_pools
from masking.privacy import number_for, numbers_shown_to
from masking.services.allocation import PoolExhausted, number_allocate
from masking.services.audit import ADMIN
from masking.services.lookups import LookupLimitReached, refusal_lookup
from masking.services.sessions import (
    pin_room_error,
    pin_room_left,
    session_create,
    session_update,
    session_validate,
)
from masking.session_rules import SessionRules, default_rules
from masking.timezones import (
    iso_times,
    parse_staff_time,
    staff_time,
    time_examples,
    typed_time_formats,
)


class ConcurrentChange(Exception):
    """The pairing was valid when the form checked it, but another request took a key since."""


STATE_COLOURS = {
    "open": "#1a7f37",
    "scheduled": "#0969da",
    "expired": "#9a6700",
    "closed": "#6e7781",
}


RULE_FIELDS = [
    "one_way",
    "calling_hours_start",
    "calling_hours_end",
    "calling_hours_time_zone",
    "max_calls",
]


def rules_of(data: dict) -> SessionRules:
    """The rules a session form's cleaned data sets."""
    return SessionRules(**{field: data.get(field) for field in RULE_FIELDS})


class SessionAddForm(forms.ModelForm):
    """A new pairing: the session's fields plus the two participants' real numbers.

    Validation is the service's (`session_validate`), so the admin shows exactly the errors the
    API would, each beside its field, instead of an IntegrityError page.
    """

    participant_a = PhoneNumberField(
        label="Participant A",
        help_text="A real number, in international format. Example: +6591230001.",
    )
    participant_b = PhoneNumberField(
        label="Participant B", help_text="The other party's real number. Example: +6591230002."
    )

    # No typed PINs: a typed PIN that collided had to be refused, and that refusal told staff
    # (uncounted, unaudited) which PINs are live on the number. Generated PINs cannot be probed.
    generate_pins = forms.BooleanField(
        label="Generate PINs",
        required=False,
        help_text="Give both participants a PIN to call from any phone, shown once after saving.",
    )

    user = None  # who is asking: set by the admin's get_form

    class Meta:
        model = MaskingSession
        fields = [
            "virtual_number",
            "participant_a",
            "participant_b",
            "recording_requested",
            "reference",
            "started_at",
            "expires_at",
            "generate_pins",
            *RULE_FIELDS,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A new session's rules start as the settings' defaults.
            for field, value in default_rules().as_fields().items():
                self.fields[field].initial = value
        self.fields["virtual_number"].required = False
        # The length in force, not the setting's name: staff read a number.
        self.fields["generate_pins"].help_text = (
            f"Give both participants a {settings.MASKING_PIN_LENGTH}-digit PIN to call from any "
            "phone, shown once after saving."
        )
        self.fields["virtual_number"].help_text = (
            "Only numbers that can take this session are offered, with their free room. Leave "
            "blank and one is chosen for you: in the participants' country, not one either of "
            "them already uses, the least busy."
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        virtual_number = data.get("virtual_number")
        if virtual_number is None:
            # The same choice the save will make (session_create), so errors show on the form.
            try:
                virtual_number = number_allocate(
                    participant_a=data["participant_a"],
                    participant_b=data["participant_b"],
                    pins=bool(data.get("generate_pins")),
                    pools=granted_pools(self.user),
                )
            except PoolExhausted as exc:
                self.add_error("virtual_number", str(exc))
                return data
        try:
            session_validate(
                virtual_number=virtual_number,
                participant_a=data["participant_a"],
                participant_b=data["participant_b"],
                recording_requested=data.get("recording_requested", False),
                reference=data.get("reference", ""),
                started_at=data.get("started_at"),
                expires_at=data.get("expires_at"),
                rules=rules_of(data),
            )
            if data.get("generate_pins") and not pin_room_left(virtual_number):
                # The PINs are drawn on save; their room is known now, so say it on the form.
                raise ValidationError({"virtual_number": pin_room_error(virtual_number)})
        except ValidationError as exc:
            try:
                refusal_lookup(
                    user=self.user,
                    error=exc,
                    codes={"routing_key_taken"},
                    fields={f: data[f] for f in ("participant_a", "participant_b")},
                    via=ADMIN,
                    where="admin:session add",
                )
            except LookupLimitReached as limit:
                # Past the hour's lookups: refuse without saying whether the number is paired.
                self.add_error(limit.field, str(limit))
                return data
            for field, errors in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return data

    def _post_clean(self):
        # Fill the instance for the admin (history, messages) without validating it again: the
        # model's validation already ran inside session_validate, together with the participants.
        construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class ParticipantInline(admin.TabularInline):
    model = Participant
    fields = ["role", "shown_number", "pin_access", "preferred_language", "holds_routing_key"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False

    # The participants are part of the session: whoever may see the session sees them (numbers
    # as the disclosure policy allows), without a separate right on participants.
    def has_view_permission(self, request, obj=None):
        return self.parent_model_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def parent_model_admin(self):
        return self.admin_site._registry[MaskingSession]

    @admin.display(description="number")
    def shown_number(self, obj):
        return number_for(obj.number)

    @admin.display(description="PIN")
    def pin_access(self, obj):
        # Only its keyed hash is stored: the PIN was shown once, when the session was saved.
        return "yes (shown once, when issued)" if obj.pin_hash else "no"


class StateFilter(admin.SimpleListFilter):
    """What staff ask first: does this pairing route calls right now?"""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", "open (routing)"),
            ("expiring", "expiring within the hour"),
            ("scheduled", "scheduled"),
            ("expired", "expired"),
            ("closed", "closed"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        return {
            "open": lambda: queryset.live(now),
            "expiring": lambda: queryset.live(now).filter(expires_at__lte=now + timedelta(hours=1)),
            "scheduled": lambda: queryset.scheduled(now),
            "expired": lambda: queryset.expired(now),
            "closed": lambda: queryset.closed(),
        }.get(self.value(), lambda: queryset)()


@admin.register(MaskingSession)
class MaskingSessionAdmin(SessionActionsMixin, CsvImportExportMixin, ProjectAdmin):
    pool_path = "virtual_number__pool"
    # Narrow columns, so all of them fit a 1366 px laptop beside the filters: the session's own
    # name (its number has a column), both participants stacked, and its times in one cell.
    list_display = [
        "session_label",
        "state_badge",
        "virtual_number",
        "participant_numbers",
        "recorded",
        "times",
    ]
    list_display_links = ["session_label"]
    list_filter = [StateFilter, NumberListFilter, "recording_requested", "close_reason"]
    list_select_related = ["virtual_number"]
    search_fields = ["reference", "virtual_number__number"]
    number_search_fields = ["participants__number"]
    date_hierarchy = "started_at"
    actions = ["end_sessions", "reopen_sessions", "extend_sessions", "export_csv"]
    csv_columns = [
        "participant_a",
        "participant_b",
        "virtual_number?",
        "reference?",
        "expires_at?",
        "recording_requested?",
    ]
    csv_export_extra_columns = ["state", "started_at", "closed_at", "close_reason"]
    csv_number_columns = {"participant_a", "participant_b"}
    autocomplete_fields = ["virtual_number"]
    inlines = [ParticipantInline, SessionCallsInline]

    def get_queryset(self, request):
        # The participants' numbers as their stored text, in role order: no phone number parsed
        # per row (a fifth of the list's time), no join back to sessions to order them.
        participants = (
            Participant.objects.order_by("role")
            .annotate(number_text=Cast("number", CharField()))
            .only("session_id", "role")
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("participants", queryset=participants))
        )

    def has_delete_permission(self, request, obj=None):
        # Sessions are closed, never deleted: a deleted open session would leave its number's
        # open-session counter one too high, and a closed one is the history of its calls.
        return False

    @property
    def media(self):
        return super().media + picker_media()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "virtual_number":
            kwargs["widget"] = NumberPicker(scope=NEW_SESSION)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def add_view(self, request, form_url="", extra_context=None):
        try:
            return super().add_view(request, form_url, extra_context)
        except ConcurrentChange as exc:
            # Rare (two staff pairing the same person at once): nothing was saved, say why.
            self.message_user(request, f"Nothing was saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_add(self, request, obj, post_url_continue=None):
        if not getattr(obj, "issued_pins", None):
            return super().response_add(request, obj, post_url_continue)
        # The only time anyone sees the PINs: on this answer, not after a redirect (that would
        # carry them in the messages cookie), and kept out of every cache.
        response = TemplateResponse(
            request,
            "admin/masking/maskingsession/pins_once.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "session": obj,
                "pins": obj.issued_pins,
            },
        )
        add_never_cache_headers(response)
        return response

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            # The form counts a refusal that tells whether a number is paired as a lookup by
            # this user (masking.services.lookups), so it needs to know who is asking.
            kwargs["form"] = type("SessionAddForm", (SessionAddForm,), {"user": request.user})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return SessionAddForm.Meta.fields
        return [
            "virtual_number",
            "state_badge",
            "recording_requested",
            "reference",
            "started_at",
            "expires_at",
            "status",
            "closed_at",
            "close_reason",
            "rules_in_force",
            *RULE_FIELDS,
        ]

    @admin.display(description="rules")
    def rules_in_force(self, obj):
        """Each rule in force, in words (the simulator explains the same ones)."""
        lines = obj.rules.described()
        if not lines:
            return "none: calls route both ways, at any hour, as often as the people like"
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        # Who is paired on which number is fixed once open: a new pairing is a new session.
        return [
            "virtual_number",
            "state_badge",
            "started_at",
            "status",
            "closed_at",
            "close_reason",
            "rules_in_force",
        ]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            session_update(
                session=obj,
                recording_requested=data["recording_requested"],
                reference=data["reference"],
                expires_at=data["expires_at"],
                clear_expiry=data["expires_at"] is None,
                rules=rules_of(data),
                actor=request.user,
                via=ADMIN,
            )
            return
        try:
            session = session_create(
                virtual_number=data["virtual_number"],
                participant_a=data["participant_a"],
                participant_b=data["participant_b"],
                recording_requested=data["recording_requested"],
                reference=data["reference"],
                started_at=data["started_at"],
                expires_at=data["expires_at"],
                generate_pins=bool(data.get("generate_pins")),
                rules=rules_of(data),
                pools=granted_pools(request.user),
                actor=request.user,
                via=ADMIN,
            )
        except (PoolExhausted, ValidationError) as exc:
            # Lost a race after the form validated: say so instead of an error page.
            raise ConcurrentChange(str(exc)) from exc
        obj.virtual_number = session.virtual_number
        # Shown by response_add on its own answer: never through messages, whose storage is a
        # signed (readable) cookie. Only their keyed hashes are stored.
        pins = getattr(session, "issued_pins", {})
        obj.issued_pins = pins if pins.get("a") else {}
        # The admin goes on with the form's instance (redirect, history): make it the saved row.
        obj.pk = session.pk
        obj._state.adding = False

    def csv_column_help(self) -> dict[str, str]:
        return {
            "participant_a": "a real number in international format: +6591230001",
            "participant_b": "the other party's real number: +6591230002",
            "virtual_number": "a number of the pool (+6531500101); blank: one is chosen",
            "reference": "your booking or order id, up to 100 characters: booking-1001",
            "expires_at": f"blank (until ended), or {typed_time_formats()}",
            "recording_requested": "true or false (yes/no, 1/0); blank: false",
        }

    def _csv_fields(self, row) -> tuple[dict, dict]:
        """A CSV row as session_create's arguments, and the errors of the columns that could not
        be read (column -> messages); an unreadable column's argument is None."""
        errors, fields = {}, {}
        for column in ("participant_a", "participant_b"):
            try:
                fields[column] = PhoneNumberField().clean(row.get(column, ""))
            except ValidationError as exc:
                fields[column] = None
                errors[column] = exc.messages
        vn = row.get("virtual_number", "")
        fields["virtual_number"] = VirtualNumber.objects.filter(number=vn).first() if vn else None
        if vn and fields["virtual_number"] is None:
            errors["virtual_number"] = ["not a number of the pool"]
        expires = row.get("expires_at", "")
        fields["expires_at"] = parse_staff_time(expires) if expires else None
        if expires and fields["expires_at"] is None:
            errors["expires_at"] = [f"“{expires}” is not a date and time: write {time_examples()}"]
        flag = row.get("recording_requested", "").lower()
        if flag not in ("", "true", "false", "yes", "no", "1", "0"):
            errors["recording_requested"] = ["expected true or false"]
        fields["recording_requested"] = flag in ("true", "yes", "1")
        fields["reference"] = row.get("reference", "")  # too long: the preview says so
        return fields, errors

    def csv_check(self, rows):
        checks, keys = [], set()
        for line, row in enumerate(rows, start=2):
            check = RowCheck(line, row)
            fields, errors = self._csv_fields(row)
            if fields["expires_at"]:
                check.understood["expires_at"] = staff_time(fields["expires_at"])
            # Every error of the row: the columns read so far are validated together even when
            # another column could not be read, which keeps its own error.
            try:
                paired = fields["participant_a"] and fields["participant_b"]
                vn = fields["virtual_number"]
                if vn is None and paired:
                    vn = number_allocate(
                        participant_a=fields["participant_a"],
                        participant_b=fields["participant_b"],
                    )
                session_validate(**{**fields, "virtual_number": vn})
                if fields["virtual_number"] is not None and paired:
                    mine = {(vn.pk, str(fields[p])) for p in ("participant_a", "participant_b")}
                    if mine & keys:
                        errors.setdefault(NON_FIELD_ERRORS, []).append(
                            "pairs a number already paired earlier in the file"
                        )
                    keys |= mine
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    if key not in errors:  # an unreadable column's own error says it better
                        errors[key] = messages
            except PoolExhausted as exc:
                errors.setdefault("virtual_number", []).append(str(exc))
            if errors:
                check.errors += error_lines(ValidationError(errors))
            checks.append(check)
        return checks

    def csv_write(self, row, request):
        fields, errors = self._csv_fields(row)
        if errors:
            raise ValidationError(errors)
        try:
            session_create(**fields, actor=request.user, via=ADMIN)
        except PoolExhausted as exc:
            raise ValidationError(str(exc)) from exc

    def csv_export_rows(self, queryset):
        # Values, not instances: 5,000 sessions took 4 s as models (issue 28). The participants'
        # numbers come as text (no phone number parsed) from two joins in the same statement,
        # one row each (`masking_participant_one_per_role`), not a subquery per row and role.
        role_a = FilteredRelation("participants", condition=Q(participants__role="a"))
        role_b = FilteredRelation("participants", condition=Q(participants__role="b"))
        reasons = {value: str(label) for value, label in MaskingSession.CloseReason.choices}
        now = timezone.now()
        when = iso_times()
        values = (
            queryset.prefetch_related(None)
            .annotate(role_a=role_a, role_b=role_b)
            .annotate(
                a=Cast("role_a__number", CharField()),
                b=Cast("role_b__number", CharField()),
                vn=Cast("virtual_number__number", CharField()),
            )
            .values_list(
                "a",
                "b",
                "vn",
                "reference",
                "expires_at",
                "recording_requested",
                "status",
                "started_at",
                "closed_at",
                "close_reason",
            )
        )
        for (
            a,
            b,
            vn,
            reference,
            expires,
            recorded,
            status,
            started,
            closed,
            reason,
        ) in values.iterator(chunk_size=EXPORT_CHUNK):
            yield [
                a,
                b,
                vn,
                reference,
                expires.isoformat() if expires else "",
                str(recorded).lower(),
                session_state(status=status, started_at=started, expires_at=expires, now=now),
                when(started),
                when(closed),
                reasons.get(reason, reason),
            ]

    def csv_export_row(self, obj):
        when = iso_times()
        numbers = {p.role: p.number_text for p in obj.participants.all()}
        return [
            numbers.get("a"),
            numbers.get("b"),
            obj.virtual_number.number,
            obj.reference,
            obj.expires_at.isoformat() if obj.expires_at else "",
            str(obj.recording_requested).lower(),
            obj.state(),
            when(obj.started_at),
            when(obj.closed_at),
            obj.get_close_reason_display(),
        ]

    @admin.display(description="state")
    def state_badge(self, obj):
        state = obj.state()
        return format_html(
            '<strong class="session-state session-state-{}" style="color:{}">{}</strong>',
            state,
            STATE_COLOURS[state],
            state,
        )

    @admin.display(description="participants")
    def participant_numbers(self, obj):
        shown = numbers_shown_to()
        return format_html_join(
            mark_safe("<br>"), "{}", ((shown(p.number_text),) for p in obj.participants.all())
        )

    @admin.display(description="session", ordering="reference")
    def session_label(self, obj):
        return obj.reference or f"#{obj.pk}"

    @admin.display(description="recorded", boolean=True, ordering="recording_requested")
    def recorded(self, obj):
        return obj.recording_requested

    @admin.display(description="starts / expires / closed", ordering="expires_at")
    def times(self, obj):
        when = staff_time
        lines = [("from", when(obj.started_at))]
        lines.append(("until", when(obj.expires_at) if obj.expires_at else "ended by hand"))
        if obj.closed_at:
            lines.append(("closed", when(obj.closed_at)))
        return format_html(
            '<span class="session-times">{}</span>',
            format_html_join(mark_safe("<br>"), "{} {}", lines),
        )
