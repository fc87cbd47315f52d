"""The management REST API for the business backend: sessions, their calls, the pool, consent.

Every endpoint needs a token (or a staff login) of a user holding the model's permission for
what the request does (`ActionPermissions`): view to read, add to open or create, change for
PATCH and every action. People's numbers are answered as `masking.privacy` lets the user see them.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from callflows.models import Call
from masking.api import serializers as s
from masking.api.cursors import FeedPagination
from masking.api.errors import Conflict
from masking.api.params import StrictQueryParams
from masking.models import (
    Callback,
    MaskingSession,
    Participant,
    RecordingOptIn,
    VirtualNumber,
)
from masking.numbers import whole_numbers
from masking.parsers import SafeJSONParser
from masking.pool_access import PoolPath, granted_pools, within_pools
from masking.services import audit
from masking.services.callbacks import callbacks_redeliver
from masking.services.consent import consent_record, consent_revoke
from masking.services.lookups import number_lookup, refusal_lookup
from masking.services.numbers import number_set_status
from masking.services.sessions import (
    session_close,
    session_create,
    session_reopen,
    session_update,
)
from masking.session_rules import default_rules


class ActionPermissions(permissions.BasePermission):
    """The model permission each viewset action needs, checked before anything is looked up.

    By action, not by HTTP method: closing is a POST but a change, not an addition. HEAD and
    OPTIONS need *view* like GET, so neither a status, a length nor a timing tells a user without
    it whether a number is paired. An action missing from the table is refused. An entry is a kind
    of permission on the viewset's model ("view"), or several, each a kind or a whole permission
    ("callflows.view_call") when the action shows another model too.
    """

    needs = {
        "list": "view",
        "retrieve": "view",
        "metadata": "view",
        "create": "add",
        "partial_update": "change",
        "update": "change",
        "close": "change",
        "reopen": "change",
        "revoke": "change",
        "calls": ("view", "callflows.view_call"),
        "redeliver": "change",
    }

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        action = view.action
        if request.method == "OPTIONS":
            # Describes the route, so it needs what reading the route needs (a session's calls:
            # view on calls too), else view.
            action = getattr(view, "action_map", {}).get("get") or "metadata"
        needs = self.needs.get(action)
        if needs is None:
            return False
        opts = view.queryset.model._meta
        return all(
            user.has_perm(need if "." in need else f"{opts.app_label}.{need}_{opts.model_name}")
            for need in ((needs,) if isinstance(needs, str) else needs)
        )


class PoolScoped:
    """A viewset whose rows belong to pools: a user given pools reaches only theirs
    (`masking.pool_access`), by every route, before any row is looked up. Each viewset declares
    `pool_path`; None says its rows belong to no pool (a person's consent holds in every pool)."""

    pool_path: PoolPath | None

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.pool_path is None:
            return queryset
        return within_pools(queryset, user=self.request.user, path=self.pool_path)


class SessionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=MaskingSession.Status.choices)
    participant = django_filters.CharFilter(
        method="filter_participant",
        label="A participant's whole number (+6591230001, 6591230001, or national). Part of a "
        "number matches nothing.",
    )
    reference = django_filters.CharFilter()
    virtual_number = django_filters.CharFilter(field_name="virtual_number__number")

    class Meta:
        model = MaskingSession
        fields = ["status", "participant", "reference", "virtual_number"]

    def filter_participant(self, queryset, name, value):
        numbers = whole_numbers(value)
        number_lookup(
            user=self.request.user, numbers=numbers, via=audit.API, where="api:sessions", field=name
        )
        return queryset.filter(
            pk__in=Participant.objects.filter(number__in=numbers).values("session_id")
        )


class SessionViewSet(
    StrictQueryParams,
    PoolScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Masking sessions: open (with or without a chosen number), list, read, change, close."""

    pool_path = "virtual_number__pool"
    permission_classes = [ActionPermissions]
    serializer_class = s.SessionSerializer
    filterset_class = SessionFilter
    pagination_class = FeedPagination
    queryset = (
        MaskingSession.objects.select_related("virtual_number")
        .prefetch_related("participants")
        .order_by("-id")
    )

    def _answer(self, session, code=status.HTTP_200_OK):
        session = self.get_queryset().get(pk=session.pk)
        return Response(self.get_serializer(session).data, status=code)

    @extend_schema(request=s.SessionCreateSerializer, responses={201: s.SessionSerializer})
    def create(self, request):
        serializer = s.SessionCreateSerializer(data=request.data)
        # A number of another pool is answered as one that does not exist.
        numbers = serializer.fields["virtual_number"]
        numbers.queryset = within_pools(numbers.queryset, user=request.user, path="pool")
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data["rules"] = s.rules_from(data.pop("rules", None) or {}, base=default_rules())
        try:
            session = session_create(
                **data, pools=granted_pools(request.user), actor=request.user, via=audit.API
            )
        except ValidationError as exc:
            # "+65... is already paired on ..." tells whether a number is in a session: a lookup.
            refusal_lookup(
                user=request.user,
                error=exc,
                codes={"routing_key_taken"},
                fields={f: data[f] for f in ("participant_a", "participant_b")},
                via=audit.API,
                where="api:sessions",
            )
            raise
        response = self._answer(session, status.HTTP_201_CREATED)
        if data.get("generate_pins"):
            # Shown once: only their keyed hashes are stored, so no later read can return them.
            response.data.update(pin_a=session.issued_pins["a"], pin_b=session.issued_pins["b"])
        return response

    @extend_schema(request=s.SessionUpdateSerializer, responses=s.SessionSerializer)
    def partial_update(self, request, pk=None):
        session = self.get_object()
        data = self._valid(s.SessionUpdateSerializer, request.data)
        session_update(
            session=session,
            recording_requested=data.get("recording_requested"),
            reference=data.get("reference"),
            expires_at=data.get("expires_at"),
            clear_expiry="expires_at" in data and data["expires_at"] is None,
            rules=s.rules_from(data.get("rules"), base=session.rules),
            actor=request.user,
            via=audit.API,
        )
        return self._answer(session)

    @extend_schema(request=None, responses=s.SessionSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close now and free the routing keys. Closing a closed session changes nothing."""
        session = session_close(
            session=self.get_object(),
            reason=MaskingSession.CloseReason.API,
            actor=request.user,
            via=audit.API,
        )
        return self._answer(session)

    @extend_schema(request=None, responses={200: s.SessionSerializer, 409: None})
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Open a closed session again. 409 when it cannot be: its `error` says why (expired,
        number_inactive, number_full, routing_key_taken)."""
        try:
            session = session_reopen(session=self.get_object(), actor=request.user, via=audit.API)
        except ValidationError as exc:
            raise Conflict(exc.messages[0], code=exc.code or "conflict") from exc
        return self._answer(session)

    @extend_schema(responses=s.CallSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, serializer_class=s.CallSerializer)
    def calls(self, request, pk=None, format=None):
        """The session's calls, newest first (needs view on calls as well as on sessions)."""
        session = self.get_object()
        page = self.paginate_queryset(CallViewSet.queryset.filter(masking_session=session))
        serializer = s.CallSerializer(page, many=True, context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    def _valid(self, serializer_class, data):
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number the database can hold (the fuzzer sent 10**30, which SQLite
    refuses to bind: a 500 instead of a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class CallFilter(django_filters.FilterSet):
    session = IdFilter(field_name="masking_session_id", label="A session's id.")
    reference = django_filters.CharFilter(
        field_name="masking_session__reference", label="A session's reference."
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Calls from then on (ISO 8601)."
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Calls before then (ISO 8601)."
    )
    outcome = django_filters.ChoiceFilter(
        field_name="status", choices=Call.Status.choices, label="8x8's outcome."
    )
    decision = django_filters.ChoiceFilter(
        field_name="outcome", choices=Call.Outcome.choices, label="What we answered."
    )

    class Meta:
        model = Call
        fields = ["session", "reference", "since", "until", "outcome", "decision"]


class CallViewSet(StrictQueryParams, PoolScoped, viewsets.ReadOnlyModelViewSet):
    """Calls through our numbers, newest first: our decision, 8x8's outcome, who called."""

    pool_path = "pool"  # the pool that answered the call (`Call.pool`)
    permission_classes = [ActionPermissions]
    serializer_class = s.CallSerializer
    filterset_class = CallFilter
    pagination_class = FeedPagination
    queryset = (
        Call.objects.select_related("masking_session")
        .prefetch_related("masking_session__participants")
        .order_by("-created_at", "-id")
    )


class VirtualNumberViewSet(
    StrictQueryParams,
    PoolScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The pool. Setting `status` to `retired` closes the number's open sessions, only with
    `end_open_sessions: true` when it holds any (else 400 naming `status`)."""

    pool_path = "pool"
    permission_classes = [ActionPermissions]
    serializer_class = s.VirtualNumberSerializer
    filterset_fields = ["status", "country"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = VirtualNumber.objects.order_by("number")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("end_open_sessions", None)
        number = VirtualNumber(**data)
        # A user limited to pools adds to the first of them (by name); others, to the
        # deployment's pool.
        pools = granted_pools(self.request.user)
        if pools is not None:
            number.pool = pools.order_by("name").first()
        number.full_clean()
        number.save()
        serializer.instance = self.get_queryset().get(pk=number.pk)

    def perform_update(self, serializer):
        number = serializer.instance
        data = dict(serializer.validated_data)
        new_status = data.pop("status", number.status)
        end_open_sessions = data.pop("end_open_sessions", False)
        for field, value in data.items():
            setattr(number, field, value)
        number_set_status(
            number=number,
            status=new_status,
            actor=self.request.user,
            via=audit.API,
            end_open_sessions=end_open_sessions,
        )
        serializer.instance = self.get_queryset().get(pk=number.pk)


class OptInFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        method="filter_number",
        label="The person's whole number (+6591230001, 6591230001, or national). Part of a "
        "number matches nothing.",
    )

    class Meta:
        model = RecordingOptIn
        fields = ["number", "method"]

    def filter_number(self, queryset, name, value):
        numbers = whole_numbers(value)
        number_lookup(
            user=self.request.user, numbers=numbers, via=audit.API, where="api:opt-ins", field=name
        )
        return queryset.filter(number__in=numbers)


class RecordingOptInViewSet(
    StrictQueryParams,
    PoolScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Recording consent. Revoking keeps the record of what was agreed and when."""

    pool_path = None  # a person's consent, whichever pool's number they are called on
    permission_classes = [ActionPermissions]
    serializer_class = s.RecordingOptInSerializer
    filterset_class = OptInFilter
    queryset = RecordingOptIn.objects.order_by("-opted_in_at", "-id")

    def perform_create(self, serializer):
        try:
            serializer.instance = consent_record(
                method=RecordingOptIn.Method.API,
                recorded_by=self.request.user,
                **serializer.validated_data,
            )
        except ValidationError as exc:
            # "Already opted in" tells whether the number is known: a lookup. (The one-active
            # constraint's message carries no code.)
            refusal_lookup(
                user=self.request.user,
                error=exc,
                codes={None, "unique"},
                fields={"number": serializer.validated_data["number"]},
                via=audit.API,
                where="api:opt-ins",
            )
            raise

    @extend_schema(request=None, responses=s.RecordingOptInSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        opt_in = consent_revoke(opt_in=self.get_object(), actor=request.user, via="api")
        return Response(self.get_serializer(opt_in).data)


class EventFilter(django_filters.FilterSet):
    type = django_filters.ChoiceFilter(
        field_name="event_type", choices=Callback.EventType.choices, label="The event's type."
    )
    status = django_filters.ChoiceFilter(
        choices=Callback.Status.choices, label="Delivery state: pending, delivering, ..."
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label="Events from then on (ISO 8601)."
    )
    until = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label="Events before then (ISO 8601)."
    )

    class Meta:
        model = Callback
        fields = ["type", "status", "since", "until"]


class EventViewSet(
    StrictQueryParams,
    PoolScoped,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The events the product sent to the business backend (its callbacks), with their delivery
    state and attempts: follow them by cursor (`after=0`), and ask for any again."""

    # A user given pools reads and redelivers the events written for their pools only
    # (`Callback.pool`: the pool of the session, call or number reported, when it was written;
    # a number moving later takes none of its events along).
    pool_path = "pool"

    permission_classes = [ActionPermissions]
    serializer_class = s.EventSerializer
    filterset_class = EventFilter
    pagination_class = FeedPagination
    lookup_field = "webhook_id"
    lookup_url_kwarg = "pk"
    queryset = Callback.objects.prefetch_related("attempt_log").order_by("-created_at", "-id")

    @extend_schema(
        request=s.RedeliverSerializer,
        responses={202: s.RedeliveredSerializer},
    )
    # JSON only: a form would carry a long list of ids as that many fields (Django refuses past
    # DATA_UPLOAD_MAX_NUMBER_FIELDS, before DRF could answer in JSON).
    @action(detail=False, methods=["post"], filterset_class=None, parser_classes=[SafeJSONParser])
    def redeliver(self, request):
        """Send events again, from their first try and with the same ids: a list of `ids`, or
        the events that happened between `since` and `until`."""
        data = self._valid(s.RedeliverSerializer, request.data)
        answer = callbacks_redeliver(
            ids=data.get("ids"),
            since=data.get("since"),
            until=data.get("until"),
            within=self.get_queryset(),
        )
        return Response(answer, status=status.HTTP_202_ACCEPTED)

    def _valid(self, serializer_class, data):
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
