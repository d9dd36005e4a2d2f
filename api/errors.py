"""Every API error in one JSON shape (DESIGN.md, convention 12):
`{"error": {"code": "...", "message": "...", "fields": {"field": ["message", ...]}}}`."""

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def _messages(detail) -> list[str]:
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    if isinstance(detail, dict):
        return [message for item in detail.values() for message in _messages(item)]
    return [str(detail)]


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", _("Some fields are not valid.")
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _messages(value) for name, value in detail.items()}
    else:
        code = getattr(exc, "default_code", "error")
        message = " ".join(_messages(getattr(exc, "detail", str(exc))))
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response
