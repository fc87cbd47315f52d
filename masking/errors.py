"""Site-wide error pages: JSON for machine paths, Django's pages for people."""

from django.contrib import admin
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.views import defaults

MACHINE_PATHS = ("/api/", "/callflows/")
STAFF_PATHS = ("/admin/",)


def permission_denied(request, exception):
    """A staff page refused keeps the admin's header, menu and a way back (issue 28)."""
    if request.path.startswith(MACHINE_PATHS):
        return JsonResponse(
            {"error": "permission_denied", "detail": "You may not do this."}, status=403
        )
    if request.path.startswith(STAFF_PATHS) and getattr(request, "user", None):
        context = {**admin.site.each_context(request), "title": "You may not do this"}
        response = TemplateResponse(request, "admin/403.html", context, status=403)
        return response.render()
    return defaults.permission_denied(request, exception)


def not_found(request, exception):
    if request.path.startswith(MACHINE_PATHS):
        return JsonResponse({"error": "not_found", "detail": "No such resource."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(MACHINE_PATHS):
        return JsonResponse({"error": "server_error", "detail": "Something failed."}, status=500)
    return defaults.server_error(request)
