"""Storing the 8x8 sub-account's voice catalogue (speech profiles), as connect_8x8 reads it."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from masking.models import SpeechProfile


def speech_profiles_replace(*, profiles: Iterable, now: datetime | None = None) -> tuple[int, int]:
    """Make the stored catalogue exactly `profiles` (objects with code, locale, description,
    gender). Returns (added, removed)."""
    now = now or timezone.now()
    wanted = {p.code: p for p in profiles}
    with transaction.atomic():
        stored = {p.code: p for p in SpeechProfile.objects.all()}
        removed, _ = SpeechProfile.objects.exclude(code__in=wanted).delete()
        for code, profile in wanted.items():
            row = stored.get(code) or SpeechProfile(code=code)
            row.locale = profile.locale[:16]
            row.description = profile.description[:100]
            row.gender = profile.gender[:8]
            row.read_at = now
            row.full_clean()
            row.save()
    return len(set(wanted) - set(stored)), removed
