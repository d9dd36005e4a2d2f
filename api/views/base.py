"""What every endpoint of the integrators' API shares: token or session authentication, the
agent-and-scope permission, throttles (per address before authentication, per token after it)
with RateLimit-* headers, cursor pagination and Idempotency-Key on POST."""

from rest_framework import viewsets

from ..idempotency import idempotent
from ..pagination import ApiCursorPagination
from ..permissions import ScopedAgent
from ..throttles import ApiAddressThrottle, ApiTokenThrottle, ratelimit_headers
from ..tokens import BearerTokenAuthentication, CsrfSessionAuthentication


class ApiViewSet(viewsets.GenericViewSet):
    authentication_classes = [BearerTokenAuthentication, CsrfSessionAuthentication]
    permission_classes = [ScopedAgent]
    throttle_classes = [ApiTokenThrottle]
    pagination_class = ApiCursorPagination
    lookup_value_regex = r"\d+"  # ids are numbers: anything else is 404, never a 500
    scope_resource = "tickets"
    scope_level = None  # None: read for safe methods, write for the others

    def initial(self, request, *args, **kwargs):
        # Per address first, so that guessing tokens is throttled too.
        throttle = ApiAddressThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        super().initial(request, *args, **kwargs)
        if request.method == "POST" and hasattr(self, "post"):
            self.post = idempotent(self.post)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in ratelimit_headers(request).items():
            response[name] = value
        return response

    @property
    def user(self):
        return self.request.user
