"""The article's search document, computed by PostgreSQL in a stored generated column: title
(weight A), summary (B) and body (C) through an accent-insensitive text search configuration
of the article's language. Other databases store NULL and search another way (search/fallback.py).

The configurations are made by migration 0002: copies of `portuguese` and `english` whose words
pass through `unaccent` before the stemmer, so "não" and "nao" are one word and "cancelamento"
meets "cancelar" (both stem to "cancel")."""

from django.contrib.postgres.search import SearchVectorField
from django.db.models import F, Func

# Article language -> text search configuration (made by migration 0002).
CONFIGS = {"pt-br": "jornada_pt", "en": "jornada_en"}
DEFAULT_CONFIG = "jornada_pt"
WEIGHTED_FIELDS = (("title", "A"), ("summary", "B"), ("body", "C"))


def config_for(language: str) -> str:
    return CONFIGS.get(language, DEFAULT_CONFIG)


class ArticleDocument(Func):
    output_field = SearchVectorField()

    def __init__(self):
        super().__init__(
            F("language"),
            *(F(name) for name, _weight in WEIGHTED_FIELDS),
            output_field=SearchVectorField(),
        )

    def as_sql(self, compiler, connection, **extra_context):
        return "NULL", []

    def as_postgresql(self, compiler, connection, **extra_context):
        language, *fields = (compiler.compile(source)[0] for source in self.source_expressions)

        def document(config: str) -> str:
            return " || ".join(
                f"setweight(to_tsvector('{config}'::regconfig, coalesce({column}, '')), '{weight}')"
                for column, (_name, weight) in zip(fields, WEIGHTED_FIELDS, strict=True)
            )

        branches = " ".join(
            f"WHEN {language} = '{language_code}' THEN {document(config)}"
            for language_code, config in CONFIGS.items()
            if config != DEFAULT_CONFIG
        )
        return f"(CASE {branches} ELSE {document(DEFAULT_CONFIG)} END)", []
