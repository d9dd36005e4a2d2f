"""Every API error in one JSON shape (DESIGN.md, convention 12):
`{"error": {"code": "...", "message": "...", "fields": {"field": ["message", ...]}}}`."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from tickets.errors import TicketError


def _messages(detail) -> list[str]:
    if isinstance(detail, list):
        return [message for item in detail for message in _messages(item)]
    if isinstance(detail, dict):
        return [message for item in detail.values() for message in _messages(item)]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, TicketError):
        # A service refused the change: the request was understood, the state forbids it.
        body = {"error": {"code": exc.code, "message": exc.message, "fields": {}}}
        field = getattr(exc, "field", None) or exc.params.get("field")
        if field:
            body["error"]["fields"] = {field: [exc.message]}
        return Response(body, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        code, message = "invalid", _("Some fields are not valid.")
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _messages(value) for name, value in detail.items()}
    else:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        message = " ".join(_messages(getattr(exc, "detail", str(exc))))
    response.data = {"error": {"code": code, "message": message, "fields": fields}}
    return response


@csrf_exempt  # it changes nothing, and must answer JSON to a POST too
def not_found(request, *args, **kwargs):
    """Any other path under /api/v1/."""
    return JsonResponse(
        {"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}, status=404
    )
