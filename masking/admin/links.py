"""Links between admin pages that several admins show."""

from django.urls import reverse
from django.utils.html import format_html


def session_link(session) -> str:
    """A link to `session`'s admin page, named by its reference (or its id when it has none)."""
    return format_html(
        '<a href="{}">{}</a>',
        reverse("admin:masking_maskingsession_change", args=[session.pk]),
        session.reference or f"#{session.pk}",
    )
