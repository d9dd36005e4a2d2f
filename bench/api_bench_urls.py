"""The production URLs plus /bench/drf-floor, served by bench_api.py's server only: a DRF view
that parses a JSON body and answers 201, with no authentication, permission, throttle or work
of ours: the framework's floor the API's endpoints are measured against."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk.urls import handler403, handler404, handler500
from helpdesk.urls import urlpatterns as project_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


class DrfFloor(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def post(self, request):
        return Response({"ok": bool(request.data)}, status=201)


urlpatterns = [path("bench/drf-floor", DrfFloor.as_view()), *project_urlpatterns]
