from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from callflows.admin.connect import connect_view, pool_connect_view
from callflows.admin.reports import reports_view
from callflows.admin.simulator import simulator_view
from masking.admin.caller_settings import settings_view
from masking.admin.number_picker import NumberAutocomplete
from masking.admin.pages import dashboard_index
from masking.metrics import MetricsView

urlpatterns = [
    # Staff pages beside the model admins, behind the admin's login.
    path("admin/", admin.site.admin_view(dashboard_index), name="admin-dashboard"),
    path("admin/reports/", admin.site.admin_view(reports_view), name="admin-reports"),
    path("admin/simulator/", admin.site.admin_view(simulator_view), name="admin-simulator"),
    path("admin/8x8/", admin.site.admin_view(connect_view), name="admin-connect-8x8"),
    path(
        "admin/8x8/pools/<int:pool_id>/",
        admin.site.admin_view(pool_connect_view),
        name="admin-connect-8x8-pool",
    ),
    path("admin/settings/", admin.site.admin_view(settings_view), name="admin-settings"),
    # Django's autocomplete, with the pool's numbers labelled by their room (number_picker.py).
    path(
        "admin/autocomplete/",
        admin.site.admin_view(NumberAutocomplete.as_view(admin_site=admin.site)),
        name="admin-number-autocomplete",
    ),
    path("admin/", admin.site.urls),
    path("callflows/", include("callflows.urls")),
    path("api/", include("masking.api.urls")),
    path("metrics", MetricsView.as_view(), name="metrics"),
]

if settings.MASKING_BENCH_FLOOR:
    from callflows.floor import database_floor, floor

    urlpatterns += [
        path("bench/floor/", floor),
        path("bench/database-floor/", database_floor),
    ]

handler403 = "masking.errors.permission_denied"
handler404 = "masking.errors.not_found"
handler500 = "masking.errors.server_error"
