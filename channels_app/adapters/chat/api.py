"""The chat without a websocket (docs/chat.md): the long-poll fallback (send, poll), file uploads
and the offline form."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


@csrf_exempt
@require_POST
def chat_send(request, public_key: str):
    return JsonResponse({"type": "error", "code": "not_yet"}, status=501)


@require_GET
def chat_poll(request, public_key: str):
    return JsonResponse({"type": "error", "code": "not_yet"}, status=501)


@csrf_exempt
@require_POST
def chat_upload(request, public_key: str):
    return JsonResponse({"type": "error", "code": "not_yet"}, status=501)


@csrf_exempt
@require_POST
def chat_offline(request, public_key: str):
    return JsonResponse({"type": "error", "code": "not_yet"}, status=501)
