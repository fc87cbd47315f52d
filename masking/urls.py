from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from callflows.admin.reports import reports_view

urlpatterns = [
    # Staff pages beside the model admins, behind the admin's login.
    path("admin/reports/", admin.site.admin_view(reports_view), name="admin-reports"),
    path("admin/", admin.site.urls),
    path("callflows/", include("callflows.urls")),
    path("api/", include("masking.api.urls")),
]

if settings.MASKING_BENCH_FLOOR:
    from callflows.floor import floor

    urlpatterns.append(path("bench/floor/", floor))

handler404 = "masking.errors.not_found"
handler500 = "masking.errors.server_error"
