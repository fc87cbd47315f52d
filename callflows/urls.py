from django.urls import path

from callflows import views

app_name = "callflows"

urlpatterns = [
    path("8x8/call-action/", views.CallActionView.as_view(), name="call-action"),
    path("8x8/call-status/", views.CallStatusView.as_view(), name="call-status"),
    path("8x8/session-summary/", views.SessionSummaryView.as_view(), name="session-summary"),
    path("8x8/recording-uploaded/", views.RecordingUploadedView.as_view(), name="recording"),
    path("8x8/virtual-number-updated/", views.NumberUpdateView.as_view(), name="number-update"),
]
