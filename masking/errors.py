"""Site-wide error pages: JSON for machine paths, Django's pages for people."""

from django.http import JsonResponse
from django.views import defaults

MACHINE_PATHS = ("/api/", "/callflows/")


def not_found(request, exception):
    if request.path.startswith(MACHINE_PATHS):
        return JsonResponse({"error": "not_found", "detail": "No such resource."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(MACHINE_PATHS):
        return JsonResponse({"error": "server_error", "detail": "Something failed."}, status=500)
    return defaults.server_error(request)
