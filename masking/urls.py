from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("callflows/", include("callflows.urls")),
    path("api/", include("masking.api.urls")),
]
