from django.urls import path

from . import views

urlpatterns = [
    path("<str:token>/", views.survey_answer, name="survey-answer"),
    path("<str:token>/answer/", views.survey_answer_json, name="survey-answer-json"),
]
