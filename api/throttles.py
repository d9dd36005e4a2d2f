"""Rate limits per client address (REMOTE_ADDR, which the WSGI entry point sets from trusted
proxies only: REST_FRAMEWORK["NUM_PROXIES"] is 0, so a forged X-Forwarded-For changes nothing).
Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]."""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


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
