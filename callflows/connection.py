"""Connecting this deployment to an 8x8 sub-account, and keeping its pool in step.

`connect` first reads everything it needs from 8x8 (webhooks, numbers, speech profiles,
recording push configuration), so a refused key or an outage changes nothing anywhere. Then it
sets 8x8's side: each webhook that is missing is created; one with another URL, disabled, or
without an auth header is deleted and created again (8x8 has no update: its own guide does
that). Then it changes our database (the pool through `callflows.pool`, the voice catalogue)
in one transaction: those are facts read from 8x8, true whatever happened to the webhooks. A
second run finds nothing to change. `dry_run` stops after the reads and says what would change.

Call routing is never left cut (issue 27):
- the Call Action webhook (VCA), without which 8x8 has nowhere to ask about a call, is replaced
  last, and only once every other webhook holds;
- a create after a delete is tried until 8x8's list shows it (requests are retried by
  `VoiceApi`, then a second round), and when it never holds, the previous webhook is created
  again (with WEBHOOK_AUTH_HEADER only if its URL is on our base URL, never to another host);
  whatever is left missing is said in capitals, with what to register by hand;
- VNU is never deleted: 8x8's delete endpoint takes VCS, VCA, VSS and VRU only (VOAS
  `delete-a-specific-type-of-webhook`), so one pointing elsewhere is reported for a person to
  change in the portal, and the rest still applies.

8x8 never shows a webhook's auth header, only whether one is set, so a changed
WEBHOOK_AUTH_HEADER cannot be seen from here: `force` registers every webhook again.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from callflows.dialects import AUTO, choose_dialect, refused_voices
from callflows.pool import NOT_LISTED, pool_resync
from callflows.provider_state import provider_connection_record, voices_in_use
from callflows.voice_api import (
    WEBHOOK_TYPES,
    RecordingPushConfig,
    Refused,
    VoiceApi,
    VoiceApiError,
)
from masking.checks import voice_catalogue_messages
from masking.models import Pool, SpeechProfile
from masking.services.pools import pool_catalogue_record
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
    actions_needed: list[str] = field(default_factory=list)  # for a person, in 8x8's portal
    failures: list[str] = field(default_factory=list)  # what this run could not set at 8x8
    changes: int = 0

    def change(self, text: str) -> None:
        self.lines.append(("would " if self.dry_run else "") + text)
        self.changes += 1

    def note(self, text: str) -> None:
        self.lines.append(text)

    def done(self, text: str) -> None:
        """A change made (after planning it with `change`)."""
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
    keep_dialect: bool = False,
    pool=None,
    before_webhooks=None,
) -> Report:
    """`keep_dialect`: go on although 8x8's catalogue lacks voices that a dialect forced by
    MASKING_CALLFLOW_DIALECT sends (otherwise DialectRefused, before anything is written).
    `pool`: the pool connected (the deployment's when not given); its numbers are resynced. The
    voice catalogue and recording push read are recorded for the deployment's pool only.
    `before_webhooks`: run just before the webhooks are registered, with the types about to be
    (a new credential kept)."""
    _check_inputs(base_url, auth_header)
    pool = pool or Pool.objects.deployment()
    report = Report(dry_run=dry_run)
    # 1. Every read first: a failure here leaves everything as it was.
    hooks = api.webhooks()
    listed = api.numbers()
    profiles = api.speech_profiles()
    push = api.recording_push_config()

    # 2. Plan 8x8's side.
    webhook_plan = _plan_webhooks(
        report,
        hooks,
        webhook_urls(base_url),
        force=force,
        generated=auth_header != settings.WEBHOOK_AUTH_HEADER,
    )
    push_wanted = _plan_recording(report, push, recording, force=force)
    # 3. Plan ours (a dry resync reads our pool and writes nothing).
    _report_pool(report, pool_resync(listed=listed, dry_run=True, pool=pool))
    catalogue = frozenset(p.code for p in profiles)
    _report_catalogue(report, catalogue)
    chosen, why = _plan_dialect(report, catalogue, keep_dialect=keep_dialect, pool=pool)
    report.warnings += [
        f"{m.msg} {m.hint}"
        for m in voice_catalogue_messages(
            catalogue=catalogue, dialect=dialect_for(chosen, pool=pool)
        )
    ]
    if dry_run:
        return report

    # 4. 8x8's side, then ours, whatever became of 8x8's side.
    if before_webhooks is not None:
        before_webhooks(set(webhook_plan))
    _apply_webhooks(report, api, hooks, webhook_plan, auth_header=auth_header, base_url=base_url)
    push_set = False
    if push_wanted:
        try:
            api.recording_push_config_set(
                protocol=recording.protocol,
                host=recording.host,
                port=recording.port,
                username=recording.username,
                password=recording.password,
                path=recording.path,
            )
            push_set = True
        except VoiceApiError as exc:
            report.failures.append(f"the recording push was not set: {exc}")
    if push_set:
        push_known, push_described = True, recording.describe()
    elif push is not None:
        push_known, push_described = True, _describe_push(push)
    else:
        push_known, push_described = False, ""
    with transaction.atomic():
        pool_resync(listed=listed, pool=pool)
        # `auto` for this pool's calls: its own sub-account's catalogue.
        pool_catalogue_record(pool=pool, catalogue=catalogue, dialect=chosen, reason=why)
        if not pool.is_deployment_pool:
            return report
        speech_profiles_replace(profiles=profiles)
        provider_connection_record(
            dialect=chosen,
            dialect_reason=why,
            recording_push=push_known,
            recording_push_described=push_described,
        )
    if not push_known:
        report.warnings.append(
            "8x8 has no recording push configuration: calls connect unrecorded, even where a "
            "session asks for recording (set EIGHTX8_RECORDING_* and run again; README, "
            "“Recordings”)."
        )
    return report


class DialectRefused(VoiceApiError):
    """The dialect MASKING_CALLFLOW_DIALECT forces speaks voices 8x8's catalogue lacks."""


def _dialect_rule(pool=None) -> str:
    return pool.rules.callflow_dialect if pool is not None else settings.MASKING_CALLFLOW_DIALECT


def dialect_for(chosen: str, *, pool=None) -> str:
    """The dialect our callflows will be written in once `chosen` is what auto would use (for
    `pool`'s calls: by its dialect rule)."""
    setting = _dialect_rule(pool)
    return chosen if setting == AUTO else setting


def _plan_dialect(report, catalogue, *, keep_dialect, pool=None) -> tuple[str, str]:
    """What auto chooses from `catalogue`, said in the report; a forced dialect whose voices the
    catalogue lacks stops the run (before any write) unless `keep_dialect`. For `pool`: the
    voices its callers can hear, and its dialect rule."""
    in_use = voices_in_use(pool)
    chosen, why = choose_dialect(in_use, catalogue=catalogue)
    setting = _dialect_rule(pool)
    if setting == AUTO:
        report.note(f"Callflow dialect: {chosen} (auto: {why}).")
        return chosen, why
    report.note(
        f"Callflow dialect: {setting} (forced by MASKING_CALLFLOW_DIALECT; auto would choose "
        f"{chosen}: {why})."
    )
    refused = refused_voices(in_use, dialect=setting, catalogue=catalogue)
    if refused and not keep_dialect:
        raise DialectRefused(
            f"MASKING_CALLFLOW_DIALECT={setting} sends voices 8x8's catalogue for this "
            f"sub-account does not list ({', '.join(sorted(set(refused.values())))}): 8x8 would "
            f"refuse the prompts that use them (-1002). Set MASKING_CALLFLOW_DIALECT=auto (it "
            f"would choose {chosen}), or run again with --keep-dialect to go on."
        )
    return chosen, why


# The Call Action webhook last: 8x8 asks it about every call, so it is touched only once the
# others hold (and a failure among them leaves it as it was).
APPLY_ORDER = ("VCS", "VSS", "VRU", "VNU", "VCA")
# Rounds of `VoiceApi`'s retried request before a create is given up (and the previous restored).
CREATE_ROUNDS = 2


def _apply_webhooks(report, api, hooks, plan, *, auth_header, base_url) -> None:
    for kind in sorted(plan, key=APPLY_ORDER.index):
        url, replace = plan[kind]
        if kind == "VCA" and replace and report.failures:
            report.failures.append(
                "the VCA webhook left as it was (it still routes calls to "
                f"{hooks['VCA'].url or '(nothing)'}), since the others did not all hold"
            )
            continue
        if replace:
            _replace_webhook(
                report, api, kind, url, hooks[kind], auth_header=auth_header, base_url=base_url
            )
        else:
            _create_webhook(report, api, kind, url, auth_header=auth_header)


def _held(api, kind: str, url: str, *, with_header: bool) -> bool:
    """Whether 8x8's list shows `kind` at `url`, enabled (with an auth header if asked)."""
    try:
        hook = api.webhooks().get(kind)
    except VoiceApiError:
        return False
    return (
        hook is not None
        and hook.url == url
        and hook.enabled
        and (hook.auth_header_set or not with_header)
    )


def _create_until_held(api, kind: str, url: str, *, auth_header, rounds: int) -> tuple[bool, int]:
    """Create `kind` at `url` until 8x8's list shows it: (held, requests sent). An answer of 5xx
    or a timeout does not say the create failed (it may have landed), so the list decides."""
    tries = 0
    for _ in range(rounds):
        try:
            api.webhook_create(type=kind, url=url, auth_header=auth_header)
            tries += api.last_tries
        except VoiceApiError as exc:
            tries += exc.tries
        # Even a 200 is read back: the list is what 8x8 will use.
        if _held(api, kind, url, with_header=bool(auth_header)):
            return True, tries
    return False, tries


def _tries(count: int) -> str:
    return "1 try" if count == 1 else f"{count} tries"


def _create_webhook(report, api, kind, url, *, auth_header) -> None:
    held, tries = _create_until_held(api, kind, url, auth_header=auth_header, rounds=CREATE_ROUNDS)
    if held:
        report.done(f"created the {kind} webhook" + (f" ({_tries(tries)})" if tries > 1 else ""))
    else:
        report.failures.append(
            f"the {kind} webhook could not be created ({_tries(tries)}): register it at 8x8 "
            f"with URL {url} and httpAuthHeader = WEBHOOK_AUTH_HEADER, or run connect_8x8 again"
        )


def _on_base_url(url: str, base_url: str) -> bool:
    """Whether `url` is on our own deployment: base_url's scheme, host and port, under its path."""
    try:
        ours, theirs = urlsplit(base_url), urlsplit(url)
        same_origin = (ours.scheme, ours.hostname, ours.port) == (
            theirs.scheme,
            theirs.hostname,
            theirs.port,
        )
    except ValueError:
        return False
    base_path = ours.path.rstrip("/") + "/"
    return same_origin and not theirs.username and (theirs.path + "/").startswith(base_path)


def _replace_webhook(report, api, kind, url, previous, *, auth_header, base_url) -> None:
    try:
        api.webhook_delete(type=kind)
    except Refused as exc:
        if getattr(exc, "status", None) != 404:  # 404: already gone, create it
            report.failures.append(f"the {kind} webhook was left as it was: {exc}")
            return
    except VoiceApiError as exc:
        if not _gone(api, kind):
            report.failures.append(f"the {kind} webhook was left as it was: {exc}")
            return
    held, tries = _create_until_held(api, kind, url, auth_header=auth_header, rounds=CREATE_ROUNDS)
    if held:
        report.done(f"replaced the {kind} webhook ({_tries(tries)})")
        return
    # Put back what was there: its URL, and our header only if that URL is ours (on base_url).
    # 8x8 never shows the previous header, so one set for another host cannot be restored, and
    # WEBHOOK_AUTH_HEADER, the one credential 8x8's webhooks carry to us, must not go with
    # calls to someone else: that URL is restored without an auth header.
    restored, restore_tries = False, 0
    with_ours = previous.auth_header_set and _on_base_url(previous.url, base_url)
    if previous.url:
        restored, restore_tries = _create_until_held(
            api,
            kind,
            previous.url,
            auth_header=auth_header if with_ours else None,
            rounds=1,
        )
    if restored:
        report.failures.append(
            f"the {kind} webhook could not be registered at {url} ({_tries(tries)}); "
            f"restored the {kind} webhook to {previous.url} as it was before this run"
            + (" (with WEBHOOK_AUTH_HEADER as its auth header)" if with_ours else "")
            + (
                " but WITHOUT its auth header: it is another host's, 8x8 never shows its value, "
                "and ours is not sent elsewhere; set it again in the 8x8 Connect portal"
                if previous.auth_header_set and not with_ours
                else ""
            )
        )
        return
    report.failures.append(
        f"the {kind} webhook is MISSING at 8x8: deleted by this run, then neither {url} "
        f"({_tries(tries)}) nor the previous {previous.url or '(no URL)'} "
        f"({_tries(restore_tries)}) could be registered."
        + (" 8x8 has nowhere to send calls: NO CALL IS ROUTED" if kind == "VCA" else "")
        + f". Run connect_8x8 again, or in the 8x8 Connect portal create the {kind} webhook "
        f"with URL {url} and httpAuthHeader = WEBHOOK_AUTH_HEADER"
    )


def _gone(api, kind: str) -> bool:
    try:
        return kind not in api.webhooks()
    except VoiceApiError:
        return False


def resync(*, api: VoiceApi, dry_run: bool = False, pool=None) -> Report:
    """Only the pool: numbers 8x8 lists, their health, and numbers it no longer lists."""
    listed = api.numbers()
    report = Report(dry_run=dry_run)
    _report_pool(report, pool_resync(listed=listed, dry_run=dry_run, pool=pool))
    return report


def _plan_webhooks(report, hooks, urls, *, force, generated) -> dict[str, tuple[str, bool]]:
    """{type: (url, replace)} for the webhooks to (re)register. `generated`: the credential is a
    pool's, made for this run (callflows.pool_connection), not WEBHOOK_AUTH_HEADER."""
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
        if why and kind == "VNU" and generated and why == ["--force"]:
            # A pool's new credential: the VNU webhook keeps the one it was registered with,
            # which the pool goes on accepting for number updates (Pool.accepts_webhook).
            report.note(
                f"{kind} webhook: in place ({url}); 8x8 cannot replace it, so it keeps the "
                "credential it was registered with, accepted for number updates only"
            )
        elif why and kind == "VNU":
            header = (
                "keeping its auth header (the pool accepts it for number updates)"
                if generated
                else "with httpAuthHeader = WEBHOOK_AUTH_HEADER"
            )
            report.actions_needed.append(
                f"8x8 cannot delete a VNU webhook (its delete endpoint takes VCS, VCA, VSS and "
                f"VRU only), so this one stays as it is ({'; '.join(why)}). In the 8x8 Connect "
                f"portal, set the sub-account's Virtual Number Updated webhook to {url} "
                f"{header}; until then number changes reach us only through "
                "resync_8x8_numbers."
            )
        elif why:
            report.change(f"replace the {kind} webhook ({'; '.join(why)}): {url}")
            plan[kind] = (url, True)
        else:
            report.note(f"{kind} webhook: in place ({url})")
    return plan


def _describe_push(push: RecordingPushConfig) -> str:
    return _describe(push.protocol, push.host, push.port, push.username, push.path)


def _plan_recording(report, push, recording, *, force) -> bool:
    if push is None:
        report.note("Recording push: not configured at 8x8 (recorded calls have nowhere to go).")
    else:
        shown = _describe_push(push)
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
