from django.urls import path

from . import views

app_name = "manager"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("at-risk/", views.at_risk, name="at-risk"),
    path("export/<slug:name>.csv", views.export, name="export"),
    path(
        "alerts/<int:pk>/acknowledge/",
        views.trend_alert_action,
        {"action": "acknowledge"},
        name="alert-acknowledge",
    ),
    path("alerts/<int:pk>/mute/", views.trend_alert_action, {"action": "mute"}, name="alert-mute"),
]
