from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.survey_answer, name="survey-answer"),
]
