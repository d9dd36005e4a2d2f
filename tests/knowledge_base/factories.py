"""factory_boy factories for the knowledge base."""

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory

from knowledge_base.models import Article, Category, Section


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Categoria {n}")
    slug = factory.LazyAttribute(lambda c: slugify(c.name))
    language = "pt-br"


class SectionFactory(DjangoModelFactory):
    class Meta:
        model = Section

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"Seção {n}")
    slug = factory.LazyAttribute(lambda s: slugify(s.name))


class ArticleFactory(DjangoModelFactory):
    """A public published article in Portuguese unless told otherwise."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"Artigo {n}")
    slug = factory.LazyAttribute(lambda a: slugify(a.title))
    language = "pt-br"
    summary = ""
    body = "Texto do artigo."
    status = Article.Status.PUBLISHED
    visibility = Article.Visibility.PUBLIC


def internal_article(**fields) -> Article:
    return ArticleFactory(visibility=Article.Visibility.INTERNAL, **fields)
