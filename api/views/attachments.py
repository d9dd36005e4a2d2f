"""Attachments: their details and their bytes, for agents who see the ticket (404 otherwise).
Uploads come with a reply or a note (multipart `attachments`)."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from tickets import selectors
from tickets.models import Attachment

from ..serializers.tickets import AttachmentSerializer
from .base import ApiViewSet


class AttachmentViewSet(ApiViewSet):
    serializer_class = AttachmentSerializer
    scope_resource = "messages"
    pagination_class = None
    queryset = Attachment.objects.none()  # for the schema; reads go through the selector

    def _attachment(self, pk):
        return selectors.attachment_get_for_user(user=self.request.user, pk=int(pk))

    @extend_schema(summary="Read an attachment's details")
    def retrieve(self, request, pk=None):
        return Response(
            AttachmentSerializer(self._attachment(pk), context={"request": request}).data
        )

    @extend_schema(
        summary="Download an attachment",
        description="The file's bytes, with its own content type.",
        responses={(200, "*/*"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        attachment = self._attachment(pk)
        response = FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type or "application/octet-stream",
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response
