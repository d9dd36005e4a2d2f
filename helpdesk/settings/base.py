"""Settings shared by every environment.

Values come from the environment with embedded defaults, so that a bare laptop runs the app with
SQLite, a filesystem Celery broker, an in-memory channel layer and a local-memory cache. Setting
DATABASE_URL and REDIS_URL switches database, broker, cache and channel layer to PostgreSQL/Redis.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("JORNADA_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_htmx",
    "anymail",
    "channels",
    "axes",
    "tickets",
    "channels_app",
    "sla",
    "knowledge_base",
    "surveys",
    "webhooks",
    "automation",
    "workspace",
    "portal",
    "api",
    "demo",
    "manager",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "helpdesk.middleware.DatabaseUnavailable",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The providers' webhooks, signed and never from a browser, are served with this middleware only
# (helpdesk/machine.py): what every response needs, not what a page for people needs.
MACHINE_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.middleware.AllowedHost",
    "helpdesk.middleware.DatabaseUnavailable",
]
MACHINE_PATHS_UNDER = ("/channels/",)
MACHINE_VIEW_NAMES = frozenset(
    {
        "channels_app:whatsapp-webhook",
        "channels_app:sms-twilio",
        "channels_app:sms-twilio-status",
        "channels_app:email-inbound",
    }
)

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspace.context_processors.workspace",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------------
# Web, worker, beat and `ingest_email` may share one SQLite file: WAL lets readers and one writer
# coexist (switched on by SQLITE_ENGINE, Django's backend made safe for processes starting
# together), IMMEDIATE takes the write lock up front instead of failing half-way ("database is
# locked"), and a writer waits up to `timeout` seconds for the lock. Any SQLite database gets them,
# the embedded default as well as DATABASE_URL=sqlite:///path.
SQLITE_ENGINE = "helpdesk.db.sqlite3"
SQLITE_OPTIONS = {
    "init_command": "PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
# DATABASE_POOLER=pgbouncer when DATABASE_URL points at a PgBouncer in transaction pooling mode:
# consecutive transactions of one Django connection may run on different server connections,
# so the server-side cursors of .iterator() cannot be used.
DATABASE_POOLERS = ("", "pgbouncer")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASE_POOLER = os.environ.get("DATABASE_POOLER", "").strip().lower()
if DATABASE_POOLER not in DATABASE_POOLERS:
    raise ImproperlyConfigured(f"DATABASE_POOLER must be one of {DATABASE_POOLERS}.")
# Seconds a connection is kept for the next request. The WSGI server (one thread per request,
# reused) keeps it; helpdesk/asgi.py sets 0 as its default, as Django asks under ASGI, where
# each request runs in a new thread and kept connections would pile up.
DATABASE_CONN_MAX_AGE = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
if DATABASE_URL:
    _default_database = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _default_database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "jornada.sqlite3",
    }
if _default_database["ENGINE"] == "django.db.backends.sqlite3":
    _default_database["ENGINE"] = SQLITE_ENGINE
    _default_database["OPTIONS"] = {**SQLITE_OPTIONS, **_default_database.get("OPTIONS", {})}
if DATABASE_POOLER == "pgbouncer":
    _default_database["DISABLE_SERVER_SIDE_CURSORS"] = True
DATABASES = {"default": _default_database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, broker, channel layer ---------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "jornada"),
            "TIMEOUT": 300,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "jornada:channels"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery --------------------------------------------------------------------------------------
CELERY_BROKER_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    # acks_late tasks come back after this long if a worker dies holding them; keep it well under
    # Redis' default of one hour, and above the longest task we run.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900}
else:
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
    for folder in ("queue", "processed"):
        (CELERY_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the database connections around every task unless this is set; it
# then closes them every this many tasks. helpdesk/celery.py closes them as Django does after a
# request instead (DATABASE_CONN_MAX_AGE, or an error).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ROUTES = {
    "channels_app.process_inbound_event": {"queue": "inbound"},
    "channels_app.process_inbound_events": {"queue": "inbound"},
    "channels_app.poll_mailbox": {"queue": "inbound"},
    "channels_app.deliver_message": {"queue": "outbound"},
    "channels_app.deliver_messages": {"queue": "outbound"},
    "channels_app.acknowledge_tickets": {"queue": "outbound"},
    "sla.*": {"queue": "sla"},
    "channels_app.fetch_message_media": {"queue": "inbound"},
    "channels_app.follow_chat_tickets": {"queue": "outbound"},
    "channels_app.send_chat_verification": {"queue": "outbound"},
    "channels_app.send_chat_transcript": {"queue": "outbound"},
    "portal.send_signin_link": {"queue": "outbound"},
    "surveys.send_invitation_email": {"queue": "outbound"},
    "webhooks.*": {"queue": "outbound"},
}
# How often the SLA timer records due warnings and breaches (seconds): every 15 s unless set;
# each run works for at most 80 % of that, so runs do not pile up.
SLA_TIMER_SECONDS = float(os.environ.get("JORNADA_SLA_TIMER_SECONDS", "15"))
CELERY_BEAT_SCHEDULE = {
    # Time-based rules ("solved 4 days -> close" among them), every minute.
    "automation-run-time-rules": {
        "task": "automation.run_time_rules",
        "schedule": 60.0,
        "kwargs": {"seconds": 50.0},
    },
    # The triggers' rows a lost drain left waiting (automation/queue.py), every minute.
    "automation-sweep-rules": {"task": "automation.sweep_rules", "schedule": 60.0},
    "poll-mailboxes": {"task": "channels_app.poll_mailboxes", "schedule": 30.0},
    "sweep-inbound-events": {"task": "channels_app.sweep_inbound_events", "schedule": 60.0},
    "sweep-outbound-messages": {"task": "channels_app.sweep_outbound_messages", "schedule": 120.0},
    "sla-sweep-clocks": {
        "task": "sla.sweep_clocks",
        "schedule": SLA_TIMER_SECONDS,
        "kwargs": {"seconds": SLA_TIMER_SECONDS * 0.8},
    },
    "sla-resync-recent-tickets": {"task": "sla.resync_recent_tickets", "schedule": 300.0},
    "sweep-message-media": {"task": "channels_app.sweep_message_media", "schedule": 300.0},
    "surveys-send-due-invitations": {"task": "surveys.send_due_invitations", "schedule": 60.0},
    "surveys-chat-fallback": {"task": "surveys.chat_invitations_fallback", "schedule": 300.0},
    "surveys-schedule-relationship-nps": {
        "task": "surveys.schedule_relationship_nps",
        "schedule": 24 * 3600.0,
    },
    "webhooks-sweep": {"task": "webhooks.sweep", "schedule": 30.0},
    "manager-detect-trends": {"task": "manager.detect_trends", "schedule": 600.0},
    "manager-refresh-rollups": {"task": "manager.refresh_rollups", "schedule": 30.0},
    "api-purge-idempotency-records": {
        "task": "api.purge_idempotency_records",
        "schedule": 3600.0,
    },
    "kb-remind-article-reviews": {
        "task": "knowledge_base.remind_article_reviews",
        "schedule": 7 * 24 * 3600.0,
    },
}

# --- Auth ----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Password guessing (django-axes, on /accounts/login/ and /admin/login/ alike): after
# JORNADA_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair is
# refused (even the right password) for JORNADA_LOGIN_COOLOFF_MINUTES, or until an admin deletes
# the access attempt ("Unlock" in the admin). Keyed on username and address together, so an
# attacker can lock no one out from behind a shared proxy or office network. The address is
# REMOTE_ADDR, which only trusted proxies rewrite (FORWARDED_ALLOW_IPS: helpdesk/wsgi.py,
# uvicorn --proxy-headers); a client's own X-Forwarded-For is never read here.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("JORNADA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("JORNADA_LOGIN_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "helpdesk.accounts.client_ip"
AXES_LOCKOUT_CALLABLE = "helpdesk.accounts.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; a row per successful login is not

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Portuguese (Brazil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "America/Sao_Paulo")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# MEDIA_ROOT (the default storage) is for files anyone may fetch; nothing serves it yet. Ticket
# attachments are private: stored under PRIVATE_MEDIA_ROOT, which no URL serves, and read only
# through the permission-checked download view (tickets/storage.py; `check` refuses a private
# folder inside MEDIA_ROOT or STATIC_ROOT).
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private"))
# Knowledge-base images and files: public, so kept apart from MEDIA_ROOT (private ticket
# attachments) and served by knowledge_base.views.media.
KB_MEDIA_URL = "/kb-media/"
KB_MEDIA_ROOT = Path(os.environ.get("KB_MEDIA_ROOT", VAR_DIR / "kb-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": {
        "BACKEND": "tickets.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- Email ---------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    # smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465 (TLS), smtp+plain://host:25
    _email = urlsplit(EMAIL_URL)
    EMAIL_HOST = _email.hostname or EMAIL_HOST
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "smtp"
    EMAIL_PORT = _email.port or {"smtps": 465, "smtp": 587}.get(_email.scheme, 25)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Jornada <suporte@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Inbound email webhooks (django-anymail): every ANYMAIL_<NAME> environment variable becomes
# ANYMAIL["<NAME>"], e.g. ANYMAIL_WEBHOOK_SECRET, ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY,
# ANYMAIL_POSTMARK_... (see the anymail documentation of your ESP).
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_")
}

# --- Django REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # The client address is REMOTE_ADDR, which helpdesk/wsgi.py sets from trusted proxies only:
    # DRF must not read X-Forwarded-For itself.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        # Suggestions as one types, per client address (a pause of ~250 ms between requests).
        "kb_suggest": os.environ.get("JORNADA_KB_SUGGEST_RATE", "240/min"),
        "kb_deflection": os.environ.get("JORNADA_KB_DEFLECTION_RATE", "60/min"),
        # The integrators' API: per token (or signed-in user) and per client address.
        "api_token": os.environ.get("JORNADA_API_TOKEN_RATE", "6000/min"),
        "api_address": os.environ.get("JORNADA_API_ADDRESS_RATE", "12000/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jornada API",
    "DESCRIPTION": "REST API of the Jornada help desk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's assets from drf-spectacular-sidecar, served by us: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "TicketPriorityEnum": "tickets.models.Ticket.Priority",
        "TierEnum": "tickets.models.choices.Tier",
        "ChannelEnum": "tickets.models.choices.Channel",
        "WebhookDeliveryStatusEnum": "webhooks.models.WebhookDelivery.Status",
    },
}

# --- Jornada -------------------------------------------------------------------------------------
JORNADA = {
    # Largest attachment stored, in bytes (inbound and outbound).
    "ATTACHMENT_MAX_BYTES": int(os.environ.get("JORNADA_ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024)),
    # Solved tickets close by themselves after this many days without a customer reply.
    "CLOSE_SOLVED_AFTER_DAYS": int(os.environ.get("JORNADA_CLOSE_SOLVED_AFTER_DAYS", "4")),
    # An open ticket whose agent has not been seen for this long returns to its team's queue
    # (automation's time-based sweep); 0: never.
    "REQUEUE_OFFLINE_MINUTES": int(os.environ.get("JORNADA_REQUEUE_OFFLINE_MINUTES", "0")),
    # First ticket number handed out.
    "TICKET_NUMBER_START": 1001,
    # Inbox ("SLA at risk" lists the tickets the SLA timer has reached the warning time of, in
    # business time: each policy's "warn before"): view counts are kept this many seconds per
    # agent; a search takes at most this many matching messages and customers.
    "INBOX_COUNTS_CACHE_SECONDS": 30,
    "SEARCH_MATCH_LIMIT": 2000,
    # On conversational channels (WhatsApp, SMS, chat) a message joins the customer's solved
    # ticket, reopening it, within this many hours of solving; later it opens a new ticket.
    "REOPEN_SOLVED_CONVERSATION_HOURS": int(
        os.environ.get("JORNADA_REOPEN_SOLVED_CONVERSATION_HOURS", "72")
    ),
    # WhatsApp's customer-service window: free text only this long after the customer's last
    # message; after it, only approved message templates.
    "WHATSAPP_WINDOW_HOURS": int(os.environ.get("JORNADA_WHATSAPP_WINDOW_HOURS", "24")),
    # An agent's open websocket re-checks their access (signed in, active, teams, watched
    # tickets) this often, in seconds; at most 60 (a larger value counts as 60). Deactivating an
    # agent or changing their teams through the services re-checks at once.
    "LIVE_RECHECK_SECONDS": float(os.environ.get("JORNADA_LIVE_RECHECK_SECONDS", "60")),
    # The receiving mail hosts whose Authentication-Results headers count (their authserv-id,
    # e.g. "mx.google.com" for a Gmail/Workspace mailbox, "amazonses.com" for SES inbound, your
    # own MTA's name): an email's sender is authenticated when DMARC passed there for its From.
    # Only name hosts that remove such headers arriving from outside (RFC 8601 section 5).
    "TRUSTED_AUTHSERV_IDS": [name.lower() for name in env_list("JORNADA_TRUSTED_AUTHSERV_IDS")],
    # Acknowledgements sent by the whole desk in one hour, at most: anyone can make us write to
    # any address (a web form, a forged From), so their number is bounded as well as their text.
    "ACKNOWLEDGEMENTS_PER_HOUR": int(os.environ.get("JORNADA_ACKNOWLEDGEMENTS_PER_HOUR", "200")),
    # Verification links mailed by the whole desk in one hour to emails typed into the chat, at
    # most (anyone can type any address; each visitor may ask for 3 an hour).
    "CHAT_VERIFICATIONS_PER_HOUR": int(
        os.environ.get("JORNADA_CHAT_VERIFICATIONS_PER_HOUR", "200")
    ),
    # Threads per ASGI process doing the live chat's database work (each keeps one connection):
    # visitors' messages are stored and processed side by side, this many at once.
    "CHAT_DB_THREADS": int(os.environ.get("JORNADA_CHAT_DB_THREADS", "4")),
    # The websocket server freezes the objects that survive a full garbage collection, so the
    # next ones do not walk its held connections' objects again, and unfreezes them this often
    # (helpdesk/gc_policy.py). 0: CPython's own collections.
    "WS_GC_UNFREEZE_SECONDS": float(os.environ.get("JORNADA_WS_GC_UNFREEZE_SECONDS", "300")),
    # Threads per web process reading the managers' dashboard beside the request's own
    # connection (PostgreSQL; each keeps one connection): its four heaviest scans at once.
    # 0 reads everything on the request's connection, one after the other.
    "DASHBOARD_DB_THREADS": int(os.environ.get("JORNADA_DASHBOARD_DB_THREADS", "2")),
    # Largest webhook body accepted from a provider (WhatsApp, SMS), in bytes.
    "WEBHOOK_MAX_BYTES": int(os.environ.get("JORNADA_WEBHOOK_MAX_BYTES", 1024 * 1024)),
    # A web process that has just made sure an inbound drain task is queued does not ask again
    # (a Redis round trip per webhook) for this many seconds; every drain looks for waiting
    # events once more this long after it starts, so nothing accepted meanwhile waits for the
    # sweeper (channels_app.services.store.schedule_processing_after_accept). Web and worker
    # must agree on it: set it in the environment both read. 0 turns the guard off.
    # Surveys: a customer gets at most one survey in this many days; a relationship NPS at most
    # this often; an invitation link works this many days; links are absolute on this base.
    "SURVEY_FATIGUE_DAYS": int(os.environ.get("JORNADA_SURVEY_FATIGUE_DAYS", "14")),
    "SURVEY_RELATIONSHIP_DAYS": int(os.environ.get("JORNADA_SURVEY_RELATIONSHIP_DAYS", "90")),
    "SURVEY_LINK_DAYS": int(os.environ.get("JORNADA_SURVEY_LINK_DAYS", "7")),
    # A survey offered in the chat widget that no tab of the visitor showed in this many
    # minutes goes to their verified email, when they have one.
    "SURVEY_CHAT_FALLBACK_MINUTES": int(
        os.environ.get("JORNADA_SURVEY_CHAT_FALLBACK_MINUTES", "30")
    ),
    # The approved WhatsApp template (one parameter: the link) for invitations outside the
    # 24-hour window; without it they go by email, or not at all.
    "SURVEY_WHATSAPP_TEMPLATE": os.environ.get("JORNADA_SURVEY_WHATSAPP_TEMPLATE", "pesquisa"),
    "PUBLIC_BASE_URL": os.environ.get("JORNADA_PUBLIC_BASE_URL", "http://localhost:8000").rstrip(
        "/"
    ),
    # Outbound webhooks (docs/webhooks.md). Subscription URLs must be https:// on a public
    # address, unless this allows http:// and private or loopback addresses (tests, a desk
    # whose receivers are on its own network).
    "WEBHOOK_ALLOW_PRIVATE": env_bool("JORNADA_WEBHOOK_ALLOW_PRIVATE", False),
    "WEBHOOK_TIMEOUT": float(os.environ.get("JORNADA_WEBHOOK_TIMEOUT", "10")),
    # Seconds to wait after each failed attempt: 9 attempts over about 23 hours, then it fails.
    "WEBHOOK_RETRY_DELAYS": [60, 300, 900, 3600, 7200, 14400, 28800, 28800],
    # A subscription is disabled (and its owner emailed) after this many failed attempts in a
    # row with nothing delivered for this many hours.
    "WEBHOOK_DISABLE_AFTER_FAILURES": int(
        os.environ.get("JORNADA_WEBHOOK_DISABLE_AFTER_FAILURES", "10")
    ),
    "WEBHOOK_DISABLE_AFTER_HOURS": float(
        os.environ.get("JORNADA_WEBHOOK_DISABLE_AFTER_HOURS", "24")
    ),
    # Each process remembers which events are subscribed to for this long (seconds): a new
    # subscription receives the events published from at most this long after it was saved.
    # Finished deliveries (the delivery log) are kept this many days.
    "WEBHOOK_KEEP_DAYS": int(os.environ.get("JORNADA_WEBHOOK_KEEP_DAYS", "30")),
    "WEBHOOK_FLAG_SECONDS": float(os.environ.get("JORNADA_WEBHOOK_FLAG_SECONDS", "5")),
    # Each process keeps the rules that choose a new ticket's team (automation/birth.py) until
    # they change (a version in the cache) or for this long (seconds), whichever comes first: a
    # local-memory cache (embedded mode) is not shared by the web and the worker processes.
    "ROUTING_RULES_SECONDS": float(os.environ.get("JORNADA_ROUTING_RULES_SECONDS", "60")),
    "INBOUND_DRAIN_GUARD_SECONDS": float(
        os.environ.get("JORNADA_INBOUND_DRAIN_GUARD_SECONDS", "0.25" if REDIS_URL else "0")
    ),
}

# --- WhatsApp Cloud API --------------------------------------------------------------------------
WHATSAPP_VERIFY_TOKEN = os.environ.get("WHATSAPP_VERIFY_TOKEN", "")
WHATSAPP_APP_SECRET = os.environ.get("WHATSAPP_APP_SECRET", "")
WHATSAPP_ACCESS_TOKEN = os.environ.get("WHATSAPP_ACCESS_TOKEN", "")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_API_BASE = os.environ.get("WHATSAPP_API_BASE", "https://graph.facebook.com/v21.0")
# Hosts Meta serves media from: our access token is sent to these (and to the API base) only.
WHATSAPP_MEDIA_HOSTS = env_list("WHATSAPP_MEDIA_HOSTS", "fbsbx.com,facebook.com,whatsapp.net")

# --- SMS through a Twilio-compatible provider ----------------------------------------------------
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_API_BASE = os.environ.get("TWILIO_API_BASE", "https://api.twilio.com")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
# The public address Twilio calls (https://help.example.com), when a proxy hides it from us: it
# is part of what Twilio signs, and where delivery status callbacks are sent.
TWILIO_WEBHOOK_BASE_URL = os.environ.get("TWILIO_WEBHOOK_BASE_URL", "").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # its version banner, at every start of every command
    },
}
