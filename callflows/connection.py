"""Connecting this deployment to an 8x8 sub-account, and keeping its pool in step.

`connect` first reads everything it needs from 8x8 (webhooks, numbers, speech profiles,
recording push configuration), so a refused key or an outage changes nothing anywhere. Then it
sets 8x8's side: each webhook that is missing is created; one with another URL, disabled, or
without an auth header is deleted and created again (8x8 has no update: its own guide does
that). It reads the webhooks back to verify them and, only then, changes our database (the pool
through `callflows.pool`, the voice catalogue) in one transaction. A second run finds nothing to
change. `dry_run` stops after the reads and says what would change.

8x8 never shows a webhook's auth header, only whether one is set, so a changed
WEBHOOK_AUTH_HEADER cannot be seen from here: `force` registers every webhook again.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from callflows.pool import NOT_LISTED, pool_resync
from callflows.voice_api import WEBHOOK_TYPES, RecordingPushConfig, VoiceApi, VoiceApiError
from masking.checks import voice_catalogue_messages
from masking.models import SpeechProfile
from masking.services.voices import speech_profiles_replace

WEBHOOK_ROUTES = {
    "VCA": "callflows:call-action",
    "VCS": "callflows:call-status",
    "VSS": "callflows:session-summary",
    "VRU": "callflows:recording",
    "VNU": "callflows:number-update",
}


@dataclass
class Report:
    """What a run did (or, dry, would do), line by line, for a terminal or an admin page."""

    dry_run: bool
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: int = 0

    def change(self, text: str) -> None:
        self.lines.append(("would " if self.dry_run else "") + text)
        self.changes += 1

    def note(self, text: str) -> None:
        self.lines.append(text)


@dataclass(frozen=True)
class RecordingTarget:
    """Where 8x8 should push recordings, from the EIGHTX8_RECORDING_* settings."""

    protocol: str
    host: str
    port: int
    username: str
    password: str
    path: str

    @classmethod
    def from_settings(cls) -> "RecordingTarget | None":
        if not settings.EIGHTX8_RECORDING_PROTOCOL:
            return None
        return cls(
            protocol=settings.EIGHTX8_RECORDING_PROTOCOL.upper(),
            host=settings.EIGHTX8_RECORDING_HOST,
            port=settings.EIGHTX8_RECORDING_PORT,
            username=settings.EIGHTX8_RECORDING_USERNAME,
            password=settings.EIGHTX8_RECORDING_PASSWORD,
            path=settings.EIGHTX8_RECORDING_PATH,
        )

    def matches(self, config: RecordingPushConfig | None) -> bool:
        if config is None:
            return False
        ours = (self.protocol, self.host, self.port, self.username, self.path, bool(self.password))
        theirs = (config.protocol.upper(), config.host, config.port, config.username, config.path)
        return ours == (*theirs, config.password_set)

    def describe(self) -> str:
        return _describe(self.protocol, self.host, self.port, self.username, self.path)


def _describe(protocol, host, port, username, path) -> str:
    return f"{protocol} {host}:{port} as {username or '-'} into {path or '/'}"


def webhook_urls(base_url: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {kind: base + reverse(WEBHOOK_ROUTES[kind]) for kind in WEBHOOK_TYPES}


def _check_inputs(base_url: str, auth_header: str) -> None:
    if not base_url.startswith("https://"):
        raise VoiceApiError(
            "The public base URL must start with https:// (8x8 posts calls and numbers to it). "
            "Pass --base-url or set MASKING_PUBLIC_BASE_URL."
        )
    if not auth_header:
        raise VoiceApiError(
            "WEBHOOK_AUTH_HEADER is empty: 8x8's webhooks would reach us unauthenticated and be "
            "refused. Set it first (README, “Security”)."
        )


def connect(
    *,
    api: VoiceApi,
    base_url: str,
    auth_header: str,
    recording: RecordingTarget | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> Report:
    _check_inputs(base_url, auth_header)
    report = Report(dry_run=dry_run)
    # 1. Every read first: a failure here leaves everything as it was.
    hooks = api.webhooks()
    listed = api.numbers()
    profiles = api.speech_profiles()
    push = api.recording_push_config()

    # 2. Plan 8x8's side.
    webhook_plan = _plan_webhooks(report, hooks, webhook_urls(base_url), force=force)
    push_wanted = _plan_recording(report, push, recording, force=force)
    # 3. Plan ours (a dry resync reads our pool and writes nothing).
    _report_pool(report, pool_resync(listed=listed, dry_run=True))
    catalogue = frozenset(p.code for p in profiles)
    _report_catalogue(report, catalogue)
    report.warnings += [f"{m.msg} {m.hint}" for m in voice_catalogue_messages(catalogue=catalogue)]
    if dry_run:
        return report

    # 4. 8x8's side, then verify it, then ours.
    for kind, (url, replace) in webhook_plan.items():
        if replace:
            api.webhook_delete(type=kind)
        api.webhook_create(type=kind, url=url, auth_header=auth_header)
    if push_wanted:
        api.recording_push_config_set(
            protocol=recording.protocol,
            host=recording.host,
            port=recording.port,
            username=recording.username,
            password=recording.password,
            path=recording.path,
        )
    _verify_webhooks(api.webhooks(), webhook_urls(base_url))
    with transaction.atomic():
        pool_resync(listed=listed)
        speech_profiles_replace(profiles=profiles)
    return report


def resync(*, api: VoiceApi, dry_run: bool = False) -> Report:
    """Only the pool: numbers 8x8 lists, their health, and numbers it no longer lists."""
    listed = api.numbers()
    report = Report(dry_run=dry_run)
    _report_pool(report, pool_resync(listed=listed, dry_run=dry_run))
    return report


def _plan_webhooks(report, hooks, urls, *, force) -> dict[str, tuple[str, bool]]:
    """{type: (url, replace)} for the webhooks to (re)register."""
    plan = {}
    for kind, url in urls.items():
        hook = hooks.get(kind)
        if hook is None:
            report.change(f"create the {kind} webhook: {url}")
            plan[kind] = (url, False)
            continue
        why = [
            reason
            for wrong, reason in [
                (hook.url != url, f"it points at {hook.url or '(nothing)'}"),
                (not hook.enabled, "it is disabled"),
                (not hook.auth_header_set, "it has no auth header"),
                (force, "--force"),
            ]
            if wrong
        ]
        if why:
            report.change(f"replace the {kind} webhook ({'; '.join(why)}): {url}")
            plan[kind] = (url, True)
        else:
            report.note(f"{kind} webhook: in place ({url})")
    return plan


def _verify_webhooks(hooks, urls) -> None:
    wrong = [
        kind
        for kind, url in urls.items()
        if kind not in hooks
        or hooks[kind].url != url
        or not hooks[kind].enabled
        or not hooks[kind].auth_header_set
    ]
    if wrong:
        raise VoiceApiError(
            f"8x8 did not keep the webhooks as registered ({', '.join(wrong)}); nothing was "
            "changed here. Run again, or check them in 8x8's portal."
        )


def _plan_recording(report, push, recording, *, force) -> bool:
    if push is None:
        report.note("Recording push: not configured at 8x8 (recorded calls have nowhere to go).")
    else:
        shown = _describe(push.protocol, push.host, push.port, push.username, push.path)
        secret = "password set" if push.password_set else "no password"
        report.note(f"Recording push: {shown} ({secret}).")
    if recording is None:
        return False
    if recording.matches(push) and not force:
        return False
    report.change(f"set the recording push to {recording.describe()}")
    return True


def _report_pool(report, resync) -> None:
    report.note(f"Numbers: 8x8 lists {resync.listed}.")
    for change in resync.changes:
        number = change.msisdn  # a number of our pool, not a person's
        if not change.before:
            report.change(f"add {number} to the pool ({change.after}): {change.reason}")
        elif change.provider_status == NOT_LISTED:
            report.change(f"flag {number} ({change.before} -> {change.after}): {change.reason}")
        else:
            report.change(f"set {number} {change.before} -> {change.after}: {change.reason}")
    for problem in resync.skipped:
        report.warnings.append(f"8x8's number list, {problem}: skipped")
    if not resync.changes:
        report.note("Numbers: the pool is in step with 8x8.")


def _report_catalogue(report, catalogue: frozenset[str]) -> None:
    stored = SpeechProfile.objects.codes()
    added, gone = len(catalogue - stored), len(stored - catalogue)
    if added or gone:
        report.change(f"store 8x8's voice catalogue: {len(catalogue)} speech profiles "
                      f"({added} new, {gone} gone)")  # fmt: skip
    else:
        report.note(f"Voice catalogue: {len(catalogue)} speech profiles, unchanged.")
