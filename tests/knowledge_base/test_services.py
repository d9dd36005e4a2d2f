"""Writing articles (knowledge_base.services): versions, drafts of published articles, publishing
an older version, translations, related links both ways, a draft from an agent's answer."""

import pytest

from knowledge_base import services
from knowledge_base.errors import NotAnAgentAnswer, TranslationExists
from knowledge_base.models import Article
from knowledge_base.selectors import articles_search
from tests.knowledge_base.factories import ArticleFactory
from tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def create(by=None, **fields):
    defaults = {"language": "pt-br", "title": "Pix", "body": "Pague com Pix.", "publish": True}
    return services.article_create(by=by, **{**defaults, **fields})


def test_creating_an_article_keeps_its_first_version(n1_agent):
    article = create(by=n1_agent, title="Pagamento com Pix", note="primeira")

    [version] = article.versions.all()
    assert (version.number, version.title, version.published) == (1, "Pagamento com Pix", True)
    assert version.created_by == n1_agent
    assert article.slug == "pagamento-com-pix"
    assert article.owner == n1_agent
    assert article.published_at is not None


def test_slugs_stay_unique_per_language():
    first = create(title="Pix")
    second = create(title="Pix!")
    english = create(title="Pix", language="en")

    assert (first.slug, second.slug, english.slug) == ("pix", "pix-2", "pix")


def test_a_draft_of_a_published_article_waits_until_it_is_published(n1_agent):
    article = create(by=n1_agent, body="Texto antigo.")

    draft = services.article_save_draft(
        article=article, by=n1_agent, title="Pix", summary="", body="Texto novo.", note="revisão"
    )

    article.refresh_from_db()
    assert (draft.number, draft.published) == (2, False)
    assert article.body == "Texto antigo."
    assert article.is_published

    services.article_publish(article=article, by=n1_agent)

    article.refresh_from_db()
    draft.refresh_from_db()
    assert article.body == "Texto novo."
    assert draft.published


def test_an_unpublished_article_takes_its_draft_text_at_once(n1_agent):
    article = create(by=n1_agent, publish=False, body="Primeiro.")

    services.article_save_draft(article=article, by=n1_agent, title="Pix", summary="", body="2")

    article.refresh_from_db()
    assert article.body == "2"
    assert not article.is_published


def test_publishing_an_older_version_brings_its_text_back(n1_agent):
    article = create(by=n1_agent, body="Certo.")
    services.article_save_draft(
        article=article, by=n1_agent, title="Pix", summary="", body="Errado"
    )
    services.article_publish(article=article, by=n1_agent)

    services.article_publish(article=article, by=n1_agent, version=article.versions.get(number=1))

    article.refresh_from_db()
    assert article.body == "Certo."


def test_unpublishing_takes_the_article_off_the_portal(n1_agent):
    article = create(by=n1_agent, title="Pix")

    services.article_unpublish(article=article, by=n1_agent)

    assert articles_search(query="pix", language="pt-br") == []


def test_a_translation_joins_the_articles_group_once_per_language(n1_agent):
    original = create(by=n1_agent, title="Pix")

    english = create(by=n1_agent, title="Pix payments", language="en", translation_of=original)

    assert english.translation_group == original.translation_group
    with pytest.raises(TranslationExists):
        create(by=n1_agent, title="Pix again", language="en", translation_of=original)


def test_related_articles_are_linked_both_ways_and_never_to_themselves(n1_agent):
    a, b = create(title="Prazo"), create(title="Atraso")

    services.article_link_related(article=a, other=b, by=n1_agent)
    services.article_link_related(article=a, other=a, by=n1_agent)

    assert list(b.related.all()) == [a]
    assert list(a.related.all()) == [b]
    services.article_unlink_related(article=b, other=a, by=n1_agent)
    assert not a.related.exists()


def test_details_change_where_the_article_lives_and_who_owns_it(n1_agent, n2_agent):
    article = create(by=n1_agent)

    services.article_set_details(
        article=article,
        by=n1_agent,
        section=None,
        visibility=Article.Visibility.INTERNAL,
        owner=n2_agent,
        review_by=None,
        tags=["Pagamentos", "pix", " "],
        slug="pix-novo",
    )

    article.refresh_from_db()
    assert (article.visibility, article.owner, article.slug) == ("internal", n2_agent, "pix-novo")
    assert sorted(article.tags.values_list("slug", flat=True)) == ["pagamentos", "pix"]


# --- A draft article from an agent's answer -----------------------------------------------------


def test_an_agents_answer_becomes_an_internal_draft_in_the_tickets_language(ticket, n1_agent):
    reply = ticket_services.message_reply(
        ticket=ticket, by=n1_agent, body_text="Para cancelar, acesse Meus pedidos."
    )

    article = services.article_create_draft_from_message(message=reply, by=n1_agent)

    assert article.status == Article.Status.DRAFT
    assert article.visibility == Article.Visibility.INTERNAL
    assert (article.title, article.language) == (ticket.subject, ticket.language)
    assert article.body == "Para cancelar, acesse Meus pedidos."
    assert article.author == n1_agent
    assert f"#{ticket.number}" in article.versions.get().note


def test_a_customer_message_or_a_note_cannot_become_an_article(ticket, n1_agent):
    note = ticket_services.note_add(ticket=ticket, body_text="Cliente irritado.", by=n1_agent)
    inbound = ticket.messages.filter(direction="inbound").first() or note

    for message in (note, inbound):
        with pytest.raises(NotAnAgentAnswer):
            services.article_create_draft_from_message(message=message, by=n1_agent)
    assert not Article.objects.exists()


def test_only_agents_make_drafts_from_answers(ticket, n1_agent, customer_user):
    from tickets.errors import NotAnAgent

    reply = ticket_services.message_reply(ticket=ticket, by=n1_agent, body_text="Resposta.")

    with pytest.raises(NotAnAgent):
        services.article_create_draft_from_message(message=reply, by=customer_user)


def test_published_drafts_of_an_answer_are_searchable(n1_agent):
    ArticleFactory(title="Outro")
    article = create(by=n1_agent, publish=False, title="Cancelamento de assinatura")

    assert articles_search(query="assinatura", language="pt-br") == []
    services.article_set_details(
        article=article,
        by=n1_agent,
        section=None,
        visibility="public",
        owner=None,
        review_by=None,
        tags=[],
    )
    services.article_publish(article=article, by=n1_agent)

    assert [h.title for h in articles_search(query="assinatura", language="pt-br")] == [
        "Cancelamento de assinatura"
    ]
