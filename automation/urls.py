from django.urls import path

from . import views

app_name = "automation"

urlpatterns = [
    path("", views.rule_list, name="rules"),
    path("new/", views.rule_edit, name="rule-new"),
    path("<int:pk>/", views.rule_edit, name="rule-edit"),
    path("<int:pk>/dry-run/", views.rule_dry_run, name="rule-dry-run"),
    path("<str:kind>/<int:pk>/move/<str:direction>/", views.rule_move, name="rule-move"),
    path("<str:kind>/<int:pk>/toggle/", views.rule_toggle, name="rule-toggle"),
]
