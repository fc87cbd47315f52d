"""Admin pages beyond the model admins."""

from django.contrib import admin

from masking.dashboard import figures


def dashboard_index(request):
    """The admin index with the operations dashboard above the app list."""
    return admin.site.index(request, extra_context={"dashboard": figures(user=request.user)})
