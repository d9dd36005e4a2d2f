"""What the API's knowledge-base endpoints accept."""

from django.conf import settings
from django.utils.translation import get_language
from rest_framework import serializers

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
MAX_QUERY = 200


class LanguageField(serializers.ChoiceField):
    """A language code of the site in any case ("pt-BR", "pt-br"); the request's by default."""

    def __init__(self, **kwargs):
        super().__init__(choices=LANGUAGE_CODES, required=False, **kwargs)

    def to_internal_value(self, data):
        return super().to_internal_value(str(data).strip().lower().replace("_", "-"))


def request_language() -> str:
    language = (get_language() or settings.LANGUAGE_CODE).lower()
    return language if language in LANGUAGE_CODES else settings.LANGUAGE_CODE


class SuggestQuery(serializers.Serializer):
    # Not trimmed: a space after the last word says it is complete (see knowledge_base.search).
    q = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    lang = LanguageField()
    limit = serializers.IntegerField(required=False, min_value=1, max_value=10, default=5)

    def validate_q(self, value: str) -> str:
        return value[:MAX_QUERY]


class SuggestionsShown(serializers.Serializer):
    token = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    lang = LanguageField()
    query = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    article_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=20
    )

    def validate_query(self, value: str) -> str:
        return value[:MAX_QUERY]
