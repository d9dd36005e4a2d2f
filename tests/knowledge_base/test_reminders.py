"""Owners learn of their articles due for review: a weekly email each (and the list on their KB
page, tested with the agents' pages)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from knowledge_base.tasks import remind_article_reviews
from tests.knowledge_base.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_each_owner_gets_one_email_listing_their_due_articles(n1_agent, n2_agent):
    today = timezone.localdate()
    ArticleFactory(title="Frete antigo", owner=n1_agent, review_by=today)
    ArticleFactory(title="Pix antigo", owner=n1_agent, review_by=today - datetime.timedelta(9))
    ArticleFactory(title="Boleto antigo", owner=n2_agent, review_by=today)
    ArticleFactory(title="Em dia", owner=n1_agent, review_by=today + datetime.timedelta(1))
    ArticleFactory(title="Sem dono", review_by=today)

    assert remind_article_reviews() == 2

    mails = {message.to[0]: message for message in mail.outbox}
    assert set(mails) == {n1_agent.email, n2_agent.email}
    mine = mails[n1_agent.email].body
    assert "Frete antigo" in mine
    assert "Pix antigo" in mine
    assert "Boleto antigo" not in mine
    assert "Em dia" not in mine
    assert "/agent/kb/articles/" in mine


def test_nothing_due_no_email():
    ArticleFactory(review_by=None)

    assert remind_article_reviews() == 0
    assert mail.outbox == []
