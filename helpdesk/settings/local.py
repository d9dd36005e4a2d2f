"""Development on a laptop: `make run`."""

from .base import *  # noqa: F403
from .base import EMAIL_BACKEND, env_bool

DEBUG = env_bool("DEBUG", True)
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
