"""Rate limits of the unauthenticated identity endpoints.

Sign-up, log-in and refresh share the scope ``auth``, counted per client
address in the cache named by ``CACHE_URL``. DRF's own throttle reads the
rates once, at import; this one reads them on every request so that a
changed setting (a deployment override, a test) takes effect.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

AUTH_SCOPE = "auth"


class AuthRateThrottle(ScopedRateThrottle):
    """``ScopedRateThrottle`` with the rates read from the live settings."""

    def get_rate(self) -> str | None:
        """Returns the rate of this view's scope from the current settings."""
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
