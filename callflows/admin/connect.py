"""The admin's "Connect to 8x8" page: connect_8x8 for staff, with a preview (the dry run).

Only staff with *Can connect this deployment to 8x8* (`masking.connect_8x8`) reach it. It shows
whether credentials are set, never their values: the API key, the webhook auth header and the
recording password stay out of the page, as they stay out of the command's output.

Each pool has its page too (`admin/8x8/pools/<id>/`): `connect_8x8 --pool NAME` for staff, its
sub-account's state, and a new webhook credential on each connect (kept as a hash only). Staff
given pools reach their pools' pages only (another's is a 404, as for any id); the deployment's
page is for staff who see every pool.
"""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Max
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from callflows.connection import RecordingTarget, connect
from callflows.pool_connection import connect_pool
from callflows.provider_state import provider_facts
from callflows.voice_api import VoiceApi, VoiceApiError, configured
from masking.models import Pool, SpeechProfile, VirtualNumber
from masking.pool_access import sees_every_pool, within_pools
from masking.services.audit import audit_record

PERMISSION = "masking.connect_8x8"


class ConnectForm(forms.Form):
    # No base URL field: 8x8's webhooks carry our credential and every caller's number, so where
    # they point is the environment's MASKING_PUBLIC_BASE_URL, never what staff type.
    force = forms.BooleanField(
        required=False,
        label="Register every webhook again",
        help_text="After changing WEBHOOK_AUTH_HEADER: 8x8 never shows the value it has.",
    )
    keep_dialect = forms.BooleanField(
        required=False,
        label="Keep the forced dialect",
        help_text="Go on although 8x8's voice catalogue lacks voices the dialect forced by "
        "MASKING_CALLFLOW_DIALECT sends (8x8 would refuse those prompts).",
    )


def connection_state() -> dict:
    facts = provider_facts()
    catalogue = SpeechProfile.objects.aggregate(read_at=Max("read_at"))
    return {
        "configured": configured(),
        "subaccount": settings.EIGHTX8_SUBACCOUNT_ID,
        "api_base": settings.EIGHTX8_API_BASE_URL,
        "auth_header_set": bool(settings.WEBHOOK_AUTH_HEADER),
        "recording_from_env": RecordingTarget.from_settings() is not None,
        "dialect": facts.dialect,
        "dialect_reason": facts.dialect_reason,
        "recording": facts.recording_reason,
        "base_url": settings.MASKING_PUBLIC_BASE_URL,
        "profiles": SpeechProfile.objects.count(),
        "catalogue_read_at": catalogue["read_at"],
        "unlisted": VirtualNumber.objects.filter(unlisted_since__isnull=False).count(),
    }


def pool_state(pool: Pool) -> dict:
    """What the pool's page shows: as `connection_state`, for the pool's own sub-account."""
    rule = pool.rules.callflow_dialect
    if rule != "auto":
        dialect, why = rule, "set by the pool's rule or MASKING_CALLFLOW_DIALECT"
    elif pool.catalogue_dialect:
        dialect, why = pool.catalogue_dialect, f"auto: {pool.catalogue_dialect_reason}"
    else:
        dialect, why = "seed", "auto: the pool's voice catalogue not read yet"
    return {
        "pool": pool,
        "configured": bool(pool.api_key() and pool.effective_subaccount_id),
        "subaccount": pool.effective_subaccount_id,
        "api_base": settings.EIGHTX8_API_BASE_URL,
        "credential_stored": bool(pool.webhook_credential_hash),
        "recording_from_env": RecordingTarget.from_settings() is not None,
        "dialect": dialect,
        "dialect_reason": why,
        "base_url": settings.MASKING_PUBLIC_BASE_URL,
        "profiles": len(pool.voice_catalogue),
        "catalogue_read_at": pool.catalogue_read_at,
        "numbers": pool.numbers.count(),
        "unlisted": pool.numbers.filter(unlisted_since__isnull=False).count(),
    }


def pool_connect_view(request, pool_id: int):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    pool = get_object_or_404(
        within_pools(Pool.objects.all(), user=request.user, path="pk"), pk=pool_id
    )
    form = ConnectForm(request.POST or None)
    report = error = None
    if request.method == "POST" and form.is_valid():
        dry_run = "connect" not in request.POST
        try:
            report = connect_pool(
                pool=pool,
                base_url=settings.MASKING_PUBLIC_BASE_URL,
                dry_run=dry_run,
                force=form.cleaned_data["force"],
                keep_dialect=form.cleaned_data["keep_dialect"],
            )
        except VoiceApiError as exc:
            error = f"{exc} Nothing was changed here."
        if report and not dry_run:
            audit_record(
                obj=pool,
                action="connected 8x8",
                via="admin",
                actor=request.user,
                changes={"changes": report.changes, "base_url": settings.MASKING_PUBLIC_BASE_URL},
            )
            pool.refresh_from_db()
    context = {
        **admin.site.each_context(request),
        "title": f"Connect pool {pool.name} to 8x8",
        "form": form,
        "state": pool_state(pool),
        "report": report,
        "error": error,
    }
    return TemplateResponse(request, "admin/callflows/connect_pool.html", context)


def connect_view(request):
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    if not sees_every_pool(request.user):
        raise Http404("The deployment's connection is for staff who see every pool.")
    form = ConnectForm(request.POST or None)
    base_url = settings.MASKING_PUBLIC_BASE_URL
    report = error = None
    if request.method == "POST" and form.is_valid():
        dry_run = "connect" not in request.POST
        try:
            with VoiceApi.from_settings() as api:
                report = connect(
                    api=api,
                    base_url=base_url,
                    auth_header=settings.WEBHOOK_AUTH_HEADER,
                    recording=RecordingTarget.from_settings(),
                    dry_run=dry_run,
                    force=form.cleaned_data["force"],
                    keep_dialect=form.cleaned_data["keep_dialect"],
                )
        except VoiceApiError as exc:
            error = f"{exc} Nothing was changed here."
        if report and not dry_run:
            # The audit trail keys entries by record; the connection has none of its own, so the
            # entry hangs on the voice catalogue, which carries the connect permission too.
            audit_record(
                obj=SpeechProfile(pk=0, code=f"8x8 sub-account {settings.EIGHTX8_SUBACCOUNT_ID}"),
                action="connected 8x8",
                via="admin",
                actor=request.user,
                changes={"changes": report.changes, "base_url": base_url},
            )
    context = {
        **admin.site.each_context(request),
        "title": "Connect to 8x8",
        "form": form,
        "state": connection_state(),
        "report": report,
        "error": error,
        "pools": Pool.objects.order_by("name"),
    }
    return TemplateResponse(request, "admin/callflows/connect.html", context)
