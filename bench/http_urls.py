"""The production URLs plus /bench/floor, served by bench_http.py's servers only: the cost of
Django itself (middleware, routing, a response) with no work of ours, the floor the other
endpoints are measured against."""

from django.http import HttpResponse
from django.urls import path

from helpdesk.urls import handler403, handler404, handler500
from helpdesk.urls import urlpatterns as project_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def floor(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor", floor), *project_urlpatterns]
