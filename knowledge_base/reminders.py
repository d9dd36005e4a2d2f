"""Articles whose "review by" date has come, told to their owners: the agents' KB page lists
them (selectors.articles_due_for_review), and a weekly email (tasks.remind_article_reviews)
reminds each owner of theirs."""

from collections import defaultdict

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Article
from .selectors import articles_due_for_review

MAX_LISTED = 50


def article_review_reminders_send() -> int:
    """One email per owner (with an address) of articles due for review; answers how many
    were sent. Nothing is recorded: the next week's run reminds again until the articles are
    reviewed (their date moved) or given to someone else."""
    due: dict[int, list[Article]] = defaultdict(list)
    owners = {}
    for article in articles_due_for_review(limit=10_000):
        if article.owner is not None and article.owner.email and article.owner.is_active:
            due[article.owner_id].append(article)
            owners[article.owner_id] = article.owner
    with translation.override(settings.LANGUAGE_CODE):
        messages = [_reminder(owners[owner_id], articles) for owner_id, articles in due.items()]
    if messages:
        get_connection().send_messages(messages)
    return len(messages)


def _reminder(owner, articles: list[Article]) -> EmailMessage:
    lines = [
        f"- {article.title} ({article.review_by:%d/%m/%Y}): "
        f"{reverse('kb-agent-article', args=[article.pk])}"
        for article in articles[:MAX_LISTED]
    ]
    body = "\n".join(
        [
            _("Hello %(name)s,") % {"name": owner.get_full_name() or owner.get_username()},
            "",
            ngettext(
                "%(n)s article you look after is due for review:",
                "%(n)s articles you look after are due for review:",
                len(articles),
            )
            % {"n": len(articles)},
            "",
            *lines,
            "",
            _(
                "Review each one and move its “review by” date, or give it to another owner, "
                "on the knowledge base page of Jornada (%(path)s)."
            )
            % {"path": reverse("kb-agent")},
        ]
    )
    return EmailMessage(
        subject=_("Knowledge base: articles due for review"), body=body, to=[owner.email]
    )
