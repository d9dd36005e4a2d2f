"""factory_boy factories for the knowledge base."""

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from knowledge_base.models import Article


class ArticleFactory(DjangoModelFactory):
    """A published article in Portuguese unless told otherwise."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Artigo {n}")
    slug = factory.LazyAttribute(lambda a: slugify(a.title))
    language = "pt-br"
    summary = ""
    body = "Texto do artigo."
    status = Article.Status.PUBLISHED
