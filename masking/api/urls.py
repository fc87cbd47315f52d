from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from masking.api import views

router = DefaultRouter()
router.register("sessions", views.SessionViewSet, basename="session")
router.register("virtual-numbers", views.VirtualNumberViewSet, basename="virtual-number")
router.register("recording-opt-ins", views.RecordingOptInViewSet, basename="recording-opt-in")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    *router.urls,
]
