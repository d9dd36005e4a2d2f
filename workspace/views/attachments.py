"""Attachment downloads, for agents and for the customers who may see them."""

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_GET

from tickets import selectors
from tickets.storage import attachment_response


@require_GET
@login_required
def attachment_download(request, pk: int, filename: str):
    attachment = selectors.attachment_get_for_user(user=request.user, pk=pk)
    return attachment_response(attachment)
