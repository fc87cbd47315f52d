"""The staff UI: one module per concept, registered on import."""

from masking.admin import (  # noqa: F401
    audit,
    callbacks,
    consent,
    numbers,
    pin_access,
    prompts,
    sessions,
)
