"""The production URLs plus /bench/floor, served by bench_http.py's servers only: the cost of
Django itself (middleware, routing, a response) with no work of ours, the floor the other
endpoints are measured against."""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from helpdesk.urls import handler403, handler404, handler500
from helpdesk.urls import urlpatterns as project_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


ACCEPT_TABLE = "bench_http_accept"  # created and dropped by bench_http.py


def floor(request):
    return HttpResponse(b"ok", content_type="text/plain")


@csrf_exempt
def floor_insert(request):
    """The least any durable accept does: the body kept by one INSERT into a table of two columns
    in autocommit (its own commit, flushed before the answer), nothing checked, nothing else;
    served as the webhooks are (the machines' handler, helpdesk/machine.py). The connection's
    health check is skipped as the webhook skips it (its INSERT is its own check)."""
    if connection.connection is not None:
        connection.health_check_done = True
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {ACCEPT_TABLE} (body) VALUES (%s)", [request.body])  # noqa: S608
    return HttpResponse(status=200)


urlpatterns = [
    path("bench/floor", floor),
    path("bench/floor-insert", floor_insert, name="bench-floor-insert"),
    *project_urlpatterns,
]
