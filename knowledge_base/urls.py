from django.urls import path

from . import views

urlpatterns = [
    path("<str:language>/<slug:slug>/", views.article_detail, name="kb-article"),
]
