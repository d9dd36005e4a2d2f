"""The knowledge base's pages for agents, under /agent/."""

from django.urls import path

from .views import agent, picker

ARTICLE = "kb/articles/<int:pk>/"

urlpatterns = [
    path("tickets/<int:number>/kb/", picker.kb_picker, name="kb-picker"),
    path(
        "tickets/<int:number>/messages/<int:message_id>/kb-draft/",
        agent.draft_from_message,
        name="kb-draft-from-message",
    ),
    path("kb/", agent.kb_dashboard, name="kb-agent"),
    path("kb/new/", agent.article_new, name="kb-agent-new"),
    path(ARTICLE, agent.article_manage, name="kb-agent-article"),
    path(ARTICLE + "edit/", agent.article_edit, name="kb-agent-edit"),
    path(ARTICLE + "publish/", agent.article_publish, name="kb-agent-publish"),
    path(ARTICLE + "unpublish/", agent.article_unpublish, name="kb-agent-unpublish"),
    path(ARTICLE + "details/", agent.article_details, name="kb-agent-details"),
    path(ARTICLE + "related/", agent.article_related, name="kb-agent-related"),
    path(ARTICLE + "files/", agent.article_file, name="kb-agent-file"),
    path(ARTICLE + "diff/", agent.article_diff, name="kb-agent-diff"),
    path(ARTICLE + "translate/<str:language>/", agent.article_translate, name="kb-agent-translate"),
]
