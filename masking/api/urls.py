from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from masking.api import views

router = DefaultRouter()
router.register("sessions", views.SessionViewSet, basename="session")
router.register("calls", views.CallViewSet, basename="call")
router.register("virtual-numbers", views.VirtualNumberViewSet, basename="virtual-number")
router.register("events", views.EventViewSet, basename="event")
router.register("recording-opt-ins", views.RecordingOptInViewSet, basename="recording-opt-in")


class DocsView(SpectacularSwaggerView):
    # An HTML page: OPTIONS would ask DRF to render metadata with a template it has not (a 500).
    http_method_names = ["get", "head"]


urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="docs"),
    *router.urls,
]
