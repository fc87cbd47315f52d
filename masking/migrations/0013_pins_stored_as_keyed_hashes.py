"""PINs become secrets: each stored PIN is replaced by its keyed hash (masking.pins.pin_hash), the
digits dropped. Nobody can read a PIN afterwards; callers keying it still connect."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models


def pin_hash(*, virtual_number: str, pin: str) -> str:
    """masking.pins.pin_hash as of this migration (kept here: a migration must not change)."""
    message = f"{virtual_number}:{pin}".encode()
    return hmac.new(settings.MASKING_PIN_KEY.encode(), message, hashlib.sha256).hexdigest()


def hash_existing_pins(apps, schema_editor):
    Participant = apps.get_model("masking", "Participant")
    rows = Participant.objects.exclude(pin="").values_list("pk", "pin", "virtual_number__number")
    for pk, pin, number in rows.iterator():
        Participant.objects.filter(pk=pk).update(
            pin_hash=pin_hash(virtual_number=str(number), pin=pin)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("masking", "0012_pin_lockout_one_current_per_scope"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="participant",
            name="masking_participant_unique_open_pin",
        ),
        migrations.AddField(
            model_name="participant",
            name="pin_hash",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Empty: no PIN access. Otherwise the PIN's keyed hash, never the PIN.",
                max_length=64,
                verbose_name="PIN (keyed hash)",
            ),
        ),
        # One way: the digits are gone once hashed.
        migrations.RunPython(hash_existing_pins, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(
            model_name="participant",
            name="pin",
        ),
        migrations.AddConstraint(
            model_name="participant",
            constraint=models.UniqueConstraint(
                condition=models.Q(("holds_routing_key", True), models.Q(("pin_hash", ""), _negated=True)),
                fields=("virtual_number", "pin_hash"),
                name="masking_participant_unique_open_pin",
                violation_error_code="pin_taken",
                violation_error_message="This PIN is already used on this virtual number.",
            ),
        ),
    ]
