"""The public knowledge base, under /portal/kb/."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.kb_home, name="kb-home"),
    path("search/", views.search, name="kb-search"),
    path("<str:language>/c/<slug:slug>/", views.category_detail, name="kb-category"),
    path("<str:language>/<slug:slug>/", views.article_detail, name="kb-article"),
    path("<str:language>/<slug:slug>/feedback/", views.article_feedback, name="kb-feedback"),
]
