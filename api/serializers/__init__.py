"""What the API accepts and answers, one module per subject."""

from .kb import LanguageField, SuggestionsShown, SuggestQuery, request_language

__all__ = ["LanguageField", "SuggestQuery", "SuggestionsShown", "request_language"]
