"""Rate limits per client address (REMOTE_ADDR, which the WSGI entry point sets from trusted
proxies only: REST_FRAMEWORK["NUM_PROXIES"] is 0, so a forged X-Forwarded-For changes nothing).
Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class AddressRateThrottle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        # Read when used, not when the module was imported, so that settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SuggestThrottle(AddressRateThrottle):
    scope = "kb_suggest"


class DeflectionThrottle(AddressRateThrottle):
    scope = "kb_deflection"


class _ReportingThrottle(AddressRateThrottle):
    """Remembers its limit, what is left and when the window resets, for the RateLimit-*
    headers (IETF draft: RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset)."""

    def allow_request(self, request, view) -> bool:
        allowed = super().allow_request(request, view)
        if self.rate is not None and getattr(self, "key", None):
            remaining = max(self.num_requests - len(self.history), 0)
            reset = int(self.history[-1] + self.duration - self.now) if self.history else 0
            current = getattr(request, "_ratelimit", None)
            if current is None or remaining < current[1]:
                request._ratelimit = (self.num_requests, remaining, max(reset, 0))
        return allowed


class ApiAddressThrottle(_ReportingThrottle):
    """Every API request, per client address."""

    scope = "api_address"


class ApiTokenThrottle(_ReportingThrottle):
    """Every API request, per token (per user for the browser's session)."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


def ratelimit_headers(request) -> dict[str, str]:
    info = getattr(request, "_ratelimit", None)
    if info is None:
        return {}
    limit, remaining, reset = info
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }
