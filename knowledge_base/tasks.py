"""Celery tasks of the knowledge base: safe to run twice."""

from celery import shared_task

from . import reminders


@shared_task(name="knowledge_base.remind_article_reviews", acks_late=True, ignore_result=True)
def remind_article_reviews() -> int:
    """Weekly: each owner gets one email listing their articles due for review."""
    return reminders.article_review_reminders_send()
