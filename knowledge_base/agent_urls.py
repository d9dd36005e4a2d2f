"""The knowledge base's pages for agents, under /agent/."""

from django.urls import path

from . import views

urlpatterns = [
    path("tickets/<int:number>/kb/", views.kb_picker, name="kb-picker"),
]
