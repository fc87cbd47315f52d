from django.urls import path

from callflows import views

app_name = "callflows"

urlpatterns = [
    path("8x8/call-action/", views.CallActionView.as_view(), name="call-action"),
]
