"""The two staff groups an administrator puts people in: Support and Operations.

Support reads everything and runs the call simulator; Operations also manages sessions (open,
change, end, reopen, extend), the pool and recording consent, writes the prompts, clears PIN
lockouts and redelivers callbacks (the week's jobs, issue 28). Neither may delete, see people's
numbers in full, connect to 8x8 or read recording locations: an administrator grants those to a
person, on purpose, on the user's page.

Kept in code and applied by `manage.py setup_staff_groups` (which `make run` runs), not by a data
migration: permissions only exist after migrate's post_migrate step, and the groups must follow
the models later releases add (run it again after an upgrade; it sets each group's permissions to
exactly this list).
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

SUPPORT = "Support"
OPERATIONS = "Operations"
APPS = ["masking", "callflows"]
MANAGED = {
    "masking": ["maskingsession", "virtualnumber", "recordingoptin", "prompt"],
}
# Records nobody adds by hand, whose one change is an action: clearing a lockout early,
# redelivering a callback (each audited or logged by its service).
ACTED_ON = {
    "masking": ["pinlockout", "callback"],
}


# Outside both groups: the callback endpoint holds the secret callbacks are signed with (anyone
# who reads it can forge `session.closed` to the business), so an administrator manages it.
SECRETS = ["callbackendpoint"]


def _every_view() -> Q:
    return (
        Q(content_type__app_label__in=APPS, codename__startswith="view_")
        & ~Q(codename__in=["view_full_numbers", "view_recording_status"])
        & ~Q(content_type__model__in=SECRETS)
    )


def _manage() -> Q:
    q = Q(pk__in=[])
    for app, models in MANAGED.items():
        for model in models:
            q |= Q(
                content_type__app_label=app,
                content_type__model=model,
                codename__in=[f"add_{model}", f"change_{model}"],
            )
    for app, models in ACTED_ON.items():
        for model in models:
            q |= Q(
                content_type__app_label=app,
                content_type__model=model,
                codename=f"change_{model}",
            )
    return q


@transaction.atomic
def staff_groups_setup() -> dict[str, list[str]]:
    """Create or update both groups; return each one's permissions as "app.codename"."""
    wanted = {
        SUPPORT: Permission.objects.filter(_every_view()),
        OPERATIONS: Permission.objects.filter(_every_view() | _manage()),
    }
    applied = {}
    for name, permissions in wanted.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)
        applied[name] = sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in permissions.select_related("content_type")
        )
    return applied
