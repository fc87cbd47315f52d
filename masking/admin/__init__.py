"""The staff UI: one module per concept, registered on import."""

from masking.admin import audit, callbacks, consent, numbers, prompts, sessions  # noqa: F401
