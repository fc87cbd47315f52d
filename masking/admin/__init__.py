"""The staff UI: one module per concept, registered on import."""

from django.contrib import admin as _admin  # noqa: E402

from masking.admin import (  # noqa: F401
    audit,
    callbacks,
    consent,
    numbers,
    pin_access,
    pools,
    prompts,
    sessions,
    users,
)

# The app list is on the home page and every page has breadcrumbs: the side navigation would take
# a third of a 1366 px laptop's width from the lists staff read.
_admin.site.enable_nav_sidebar = False
