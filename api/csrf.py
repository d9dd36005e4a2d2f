"""CSRF for the API's browser endpoints: the API views are exempt from Django's middleware
(DRF), so endpoints called by our own pages check the token themselves, for anonymous
callers too (DRF's SessionAuthentication only checks logged-in ones)."""

from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


class SameOriginOnly(BasePermission):
    """Unsafe methods need Django's CSRF token (cookie + X-CSRFToken header, and for HTTPS a
    same-origin Referer): only our own pages can call."""

    message = _("CSRF check failed: this endpoint is for the site's own pages.")

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        check = CsrfViewMiddleware(lambda _request: None)
        django_request = request._request
        check.process_request(django_request)
        return check.process_view(django_request, None, (), {}) is None
