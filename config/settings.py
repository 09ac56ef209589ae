"""Coalition's one settings module.

Every integration is switched on by an environment variable (see the table in README.md).
With no variables set you get a development site on SQLite in ``var/`` that prints emails
to the console and runs background tasks from the database queue.
"""

import math
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A .env file at the project root is read if present (never committed).
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# --- Mode -----------------------------------------------------------------------------------
PRODUCTION = env.bool("PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
# Under pytest: fast password hashing, tasks run inline.
TESTING = env.bool("COALITION_TESTING", default="pytest" in sys.modules)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "PRODUCTION is on but SECRET_KEY is the development default or shorter than 50 "
        "characters. Set SECRET_KEY to a long random value, e.g. the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`."
    )

SITE_NAME = env.str("SITE_NAME", default="Coalition")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_DESCRIPTION = env.str(
    "SITE_DESCRIPTION",
    default="A network of community organisations working together to end loneliness "
    "and social isolation.",
)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Applications ---------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_htmx",
    "csp",
    "anymail",
    "django_tasks",
    "django_tasks_db",
    # Coalition's own apps
    "core",
    "members",
    "matching",
    "events",
    "learning",
    "groups",
    "newsletter",
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
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "core.middleware.CoordinatorTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
                "groups.context_processors.notifications",
            ],
            "builtins": ["django.templatetags.i18n"],
        },
    },
]
FORM_RENDERER = "core.forms.SiteFormRenderer"

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'coalition.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers carry on while a writer commits; IMMEDIATE avoids "database is locked"
    # when a read transaction later upgrades to a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # PostgreSQL's planner prices a random page read at 4 sequential ones (its default, made for
    # spinning disks), so for a common word it scans every search entry rather than reading the
    # full-text index: twice the time for "club" (decision 0014). On SSDs, or with the data in
    # memory, PostgreSQL's documentation suggests 1.1. Empty keeps the server's own setting.
    _page_cost = env.str("DATABASE_RANDOM_PAGE_COST", default="1.1").strip()
    if _page_cost:
        try:
            _cost = float(_page_cost)
        except ValueError:
            _cost = math.nan
        if not (math.isfinite(_cost) and _cost >= 0):  # PostgreSQL would refuse to connect
            raise ImproperlyConfigured(
                "DATABASE_RANDOM_PAGE_COST must be a number of 0 or more, or empty, not "
                f"{_page_cost!r}."
            )
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = " ".join(
            filter(None, [_options.get("options", ""), f"-c random_page_cost={_cost}"])
        )
# Each process keeps its connection between requests, on SQLite too: connecting costs a request
# more than a simple page's queries (decision 0013).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": env.cache(
        "CACHE_URL",
        default=REDIS_URL or "locmemcache://coalition",
    ),
    # The directory's rendered pages (members/cache.py), kept apart so that a flood of different
    # searches never pushes out anything else (rate limits, queued tasks): in each process, at
    # most 1,000 pages, unless DIRECTORY_CACHE_URL names an evicting Redis (docs/scaling.md).
    "directory": env.cache(
        "DIRECTORY_CACHE_URL", default="locmemcache://directory?MAX_ENTRIES=1000"
    ),
}
DIRECTORY_CACHE_SECONDS = env.int("DIRECTORY_CACHE_SECONDS", default=300)  # 0: no caching

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Hashing is deliberately slow; tests create many accounts.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:home"
ACCOUNT_ADAPTER = "members.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "members.forms.SignupForm", "login": "members.forms.LoginForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_DISPLAY = "members.adapter.own_name"  # "signed in as ...": only the person sees it
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_REDIRECT_URL = "core:home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
ACCOUNT_PREVENT_ENUMERATION = True
# Rate limits (allauth's own, kept in the cache): failed logins per account and IP, sign-ups
# per IP, password resets per email. Tune with ACCOUNT_RATE_LIMIT_* variables if needed.
ACCOUNT_RATE_LIMITS = {
    "login": env.str("ACCOUNT_RATE_LIMIT_LOGIN", default="30/m/ip"),
    "login_failed": env.str("ACCOUNT_RATE_LIMIT_LOGIN_FAILED", default="10/m/ip,5/5m/key"),
    "signup": env.str("ACCOUNT_RATE_LIMIT_SIGNUP", default="20/m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
}
# Behind a reverse proxy, the number of proxies that append to X-Forwarded-For: per-IP rate
# limits then see the visitor's address, not the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
REQUIRE_2FA_FOR_COORDINATORS = env.bool("REQUIRE_2FA_FOR_COORDINATORS", default=PRODUCTION)

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", _("English")), ("cy", _("Welsh"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if (DEBUG or TESTING)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <hello@example.org>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
_email_url = env.str("EMAIL_URL", default="")
if _email_url:
    # e.g. smtp+tls://user:password@mail.example.org:587 (STARTTLS), smtp+ssl://...:465,
    # or consolemail:// to print messages
    vars().update(env.email_url_config(_email_url))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=587)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=EMAIL_PORT == 587)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=EMAIL_PORT == 465)
else:
    EMAIL_BACKEND = env.str(
        "EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
    )
EMAIL_TIMEOUT = 30
# An anymail provider, e.g. ANYMAIL_BACKEND=anymail.backends.postmark.EmailBackend with
# ANYMAIL_POSTMARK_SERVER_TOKEN set; see docs/deploy.md.
if env.str("ANYMAIL_BACKEND", default=""):
    EMAIL_BACKEND = env.str("ANYMAIL_BACKEND")
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in env.ENVIRON.items()
    if key.startswith("ANYMAIL_") and key != "ANYMAIL_BACKEND"
}

# --- Background tasks -----------------------------------------------------------------------
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate" if TESTING else "database")
_task_backends = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
if TASKS_BACKEND not in _task_backends:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_task_backends)}.")
TASKS = {
    "default": {
        "BACKEND": _task_backends[TASKS_BACKEND],
        "QUEUES": ["default", "email"],
    }
}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        name: {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 600}
        for name in TASKS["default"]["QUEUES"]
    }
    # Lets a plain `manage.py rqworker default email` run django-tasks jobs.
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# No inline scripts or styles anywhere, and nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.server": {"level": "WARNING" if TESTING else "INFO"}},
}

# --- Coalition ------------------------------------------------------------------------------
# Replies to group notification emails go to <signed token>@GROUPS_REPLY_DOMAIN (docs/deploy.md).
GROUPS_REPLY_DOMAIN = env.str("GROUPS_REPLY_DOMAIN", default="reply.example.org")
# Hold a new member's first post in every group for a host to approve.
GROUPS_HOLD_FIRST_POSTS = env.bool("GROUPS_HOLD_FIRST_POSTS", default=False)
# Posts (threads and replies) and reports one person may make: count/period, comma-separated.
GROUPS_RATE_LIMIT_POSTS = env.str("GROUPS_RATE_LIMIT_POSTS", default="6/m,60/h")
GROUPS_RATE_LIMIT_REPORTS = env.str("GROUPS_RATE_LIMIT_REPORTS", default="10/h")
# Members' files that must never be served straight from MEDIA_URL (resources, attachments).
PRIVATE_FILES_ROOT = Path(env.str("PRIVATE_FILES_ROOT", default=str(VAR_DIR / "private")))
LEARNING_FILES_ROOT = PRIVATE_FILES_ROOT / "learning"
GROUPS_FILES_ROOT = PRIVATE_FILES_ROOT / "groups"
# Let organisation admins publish resources without a coordinator's approval.
LEARNING_TRUSTED_PUBLISH = env.bool("LEARNING_TRUSTED_PUBLISH", default=False)
ADMINS = [("Coordinators", a) for a in env.list("ADMIN_EMAILS", default=[])]

# --- Newsletter -----------------------------------------------------------------------------
# Messages per minute across all workers (0: as fast as the mail server takes them).
NEWSLETTER_RATE_PER_MINUTE = env.int("NEWSLETTER_RATE_PER_MINUTE", default=0)
# Recipients a worker claims and sends over one connection at a time.
NEWSLETTER_BATCH_SIZE = env.int("NEWSLETTER_BATCH_SIZE", default=200)
# Count clicks on links (per link, never per person) through a redirect. Off by default.
NEWSLETTER_COUNT_CLICKS = env.bool("NEWSLETTER_COUNT_CLICKS", default=False)
# The mailto: half of List-Unsubscribe; mail to it is read by the inbound webhook or command.
NEWSLETTER_UNSUBSCRIBE_EMAIL = env.str(
    "NEWSLETTER_UNSUBSCRIBE_EMAIL", default="unsubscribe@example.org"
)
