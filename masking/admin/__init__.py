"""The staff UI: one module per concept, registered on import."""

from masking.admin import audit, consent, numbers, pin_access, prompts, sessions  # noqa: F401
