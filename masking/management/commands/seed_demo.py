"""Load a small demo data set: a pool, a few pairings, prompts, and a staff login.

Idempotent: running it again changes nothing that is already there, so `make run` can call it on
every start.
"""

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from masking.models import MaskingSession, Prompt, RecordingOptIn, VirtualNumber
from masking.services.consent import consent_record
from masking.services.prompts import prompt_save
from masking.services.sessions import session_close, session_open

NUMBERS = [
    ("+6531500101", "Singapore riders 1", VirtualNumber.Status.ACTIVE),
    ("+6531500102", "Singapore riders 2", VirtualNumber.Status.ACTIVE),
    ("+6531500103", "Singapore riders 3 (degraded)", VirtualNumber.Status.UNHEALTHY),
    ("+6531500199", "Old number", VirtualNumber.Status.RETIRED),
]

PROMPTS = [
    ("connecting", "en", "generic-en-female", "Please hold while we connect your call."),
    (
        "recording_notice",
        "en",
        "generic-en-female",
        "This call may be recorded. Please hold while we connect you.",
    ),
    (
        "no_session",
        "en",
        "generic-en-female",
        "Sorry, we could not find a booking for your number. Goodbye.",
    ),
    ("not_in_service", "en", "generic-en-female", "This number is not in service. Goodbye."),
    (
        "apology",
        "en",
        "generic-en-female",
        "Sorry, we cannot connect your call right now. Please try again later.",
    ),
    ("connecting", "zh", "generic-zn-female", "请稍候，正在为您接通电话。"),
]

# (reference, virtual number, A, B, recording, hours until expiry or None, closed)
SESSIONS = [
    ("booking-1001", "+6531500101", "+6591230001", "+6591230002", False, 4, False),
    ("booking-1002", "+6531500101", "+6591230003", "+6591230004", True, 4, False),
    ("booking-1003", "+6531500102", "+6591230001", "+6591230005", False, None, False),
    ("booking-0999", "+6531500102", "+6591230006", "+6591230007", False, 1, True),
]

DEMO_USER = "admin"


class Command(BaseCommand):
    help = "Load demo numbers, sessions and prompts, and create the `admin` superuser if missing."

    @transaction.atomic
    def handle(self, *args, **options):
        for number, label, status in NUMBERS:
            VirtualNumber.objects.get_or_create(
                number=number, defaults={"label": label, "status": status}
            )
        for purpose, language, voice, text in PROMPTS:
            if not Prompt.objects.filter(purpose=purpose, language=language).exists():
                prompt_save(
                    prompt=Prompt(
                        purpose=purpose, language=language, voice_profile=voice, text=text
                    )
                )
        for number in ["+6591230003", "+6591230004"]:
            if not RecordingOptIn.objects.active().filter(number=number).exists():
                consent_record(number=number, method="admin", evidence="demo booking form")
        now = timezone.now()
        for reference, vn, a, b, recording, hours, closed in SESSIONS:
            if MaskingSession.objects.filter(reference=reference).exists():
                continue
            pins = {"pin_a": "482193", "pin_b": "903417"} if reference == "booking-1001" else {}
            session = session_open(
                **pins,
                virtual_number=VirtualNumber.objects.get(number=vn),
                participant_a=a,
                participant_b=b,
                recording_requested=recording,
                reference=reference,
                expires_at=now + timedelta(hours=hours) if hours else None,
            )
            if closed:
                session_close(session=session, reason=MaskingSession.CloseReason.STAFF)
        self.stdout.write(
            f"Demo data: {VirtualNumber.objects.count()} virtual numbers, "
            f"{MaskingSession.objects.open().count()} open sessions, "
            f"{Prompt.objects.count()} prompts."
        )
        self._ensure_superuser()

    def _ensure_superuser(self):
        User = get_user_model()
        if User.objects.filter(username=DEMO_USER).exists():
            self.stdout.write(
                f"Log in at /admin/ as “{DEMO_USER}” with the password printed "
                "when it was created (or run `manage.py changepassword admin`)."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_USER, "admin@example.com", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created superuser “{DEMO_USER}” with password: {password}  (shown once)"
            )
        )
