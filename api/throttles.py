"""Rate limits per client address (REMOTE_ADDR, which the WSGI entry point sets from trusted
proxies only: REST_FRAMEWORK["NUM_PROXIES"] is 0, so a forged X-Forwarded-For changes nothing).
Rates are REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]."""

import math

from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from channels_app.cache import redis_cache, redis_client, redis_name

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
    """N requests a period, as GCRA keeps count: one number per key, the moment its allowance is
    full again, instead of DRF's list of every request's time (at 6,000 a minute, tens of KB
    read, unpickled, pickled and written back on every request). A burst of N passes, then one
    request every period/N. Remembers its limit, what is left and when the allowance is full
    again, for the RateLimit-* headers (IETF draft: RateLimit-Limit, -Remaining, -Reset)."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        interval = self.duration / self.num_requests
        backend = redis_cache()  # self.cache is DRF's default, the default cache's proxy
        if backend is not None:
            allowed, full_at = _gcra_on_redis(backend, self.key, self.now, interval, self.duration)
        else:
            full_at = max(self.cache.get(self.key, self.now), self.now) + interval
            allowed = full_at - self.now <= self.duration
            if allowed:
                self.cache.set(self.key, full_at, self.duration)
            else:
                full_at -= interval  # this request took nothing
        self.retry_after = 0.0 if allowed else full_at + interval - self.now - self.duration
        used = full_at - self.now
        remaining = max(int((self.duration - used) // interval), 0) if allowed else 0
        current = getattr(request, "_ratelimit", None)
        if current is None or remaining < current[1]:
            request._ratelimit = (self.num_requests, remaining, math.ceil(used))
        return allowed

    def wait(self) -> float:
        return self.retry_after


# The same arithmetic in one round trip (and atomic: two requests at once cannot both take the
# last allowance). The moment is kept as text, every digit of it (17): Lua would turn a number
# returned into an integer, and a rounded moment would count a request's share as a bit more.
_GCRA = """
local now, interval, duration = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local full_at = math.max(tonumber(redis.call('GET', KEYS[1]) or '') or now, now) + interval
if full_at - now <= duration then
  redis.call('SET', KEYS[1], string.format('%.17g', full_at), 'PX', ARGV[4])
  return {1, string.format('%.17g', full_at)}
end
return {0, string.format('%.17g', full_at - interval)}
"""


def _gcra_on_redis(cache: RedisCache, key: str, now: float, interval: float, duration: int):
    # A key of its own: the value is text the cache's get() cannot unpickle (nor can this
    # script read a pickled one), so the two never meet, as during a rolling upgrade.
    key = redis_name(cache, f"gcra:{key}")
    client = redis_client(cache)
    if not _script:  # EVALSHA, loaded again if Redis forgot it; each call names its client
        _script.append(client.register_script(_GCRA))
    allowed, full_at = _script[0](
        keys=[key], args=[repr(now), repr(interval), duration, duration * 1000], client=client
    )
    return bool(allowed), float(full_at)


_script: list = []


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
