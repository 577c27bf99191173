"""The one settings module of hocvu, configured from the environment.

Every secret can come from ``NAME`` or from a file named by ``NAME_FILE`` (container
secrets). Without configuration the platform runs on an embedded SQLite database under
``var/`` with development keys generated there on first use.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HOCVU_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """Return ``name`` from the environment, or the contents of the file ``name_FILE``."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    """``name`` as a boolean; a value that is neither true nor false stops the start-up
    (a typo must not silently turn a security setting off)."""
    value = env(name).strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected one of 1/0, true/false, yes/no, on/off")


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in env(name, default).split(",") if part.strip()]


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists and is readable by its owner only (0600, its directory
    0700), without a moment where another user could open it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for owned in (path, VAR_DIR) if path.parent == VAR_DIR else (path,):
        if owned.stat().st_uid == os.getuid():  # another user's file is theirs to protect
            owned.chmod(0o700 if owned.is_dir() else 0o600)
    return path


def dev_secret(filename: str) -> str:
    """Return a random secret kept in ``var/`` so a development server restarts with it."""
    path = VAR_DIR / filename
    if not path.exists() or not path.stat().st_size:
        private_file(path).write_text(secrets.token_urlsafe(48), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


def database_from_url(url: str) -> dict[str, object]:
    """Translate ``sqlite:///path`` or ``postgres://user:pass@host:port/name`` for Django."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:////absolute/path or sqlite:///relative/path; plain sqlite:// is var/.
        name = unquote(parts.path[1:]) or str(VAR_DIR / "hocvu.sqlite3")
        if name != ":memory:" and not name.startswith("file:"):
            # SQLite gives its -wal and -shm files the database file's mode: 0600 for all.
            private_file(Path(name))
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # WAL lets readers run beside the one writer; IMMEDIATE avoids upgrade deadlocks.
            "OPTIONS": {
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
        }
    if parts.scheme in {"postgres", "postgresql"}:
        options = dict(parse_qsl(parts.query))
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": int(env("DATABASE_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ValueError(f"DATABASE_URL: unsupported scheme {parts.scheme!r}")


DEBUG = env_bool("HOCVU_DEBUG", False)
SECRET_KEY = env("HOCVU_SECRET_KEY") or dev_secret("secret_key")
ALLOWED_HOSTS = env_list("HOCVU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("HOCVU_CSRF_TRUSTED_ORIGINS")
# The address the public knows the platform by: CASE identifiers, certificate QR codes.
PUBLIC_URL = env("HOCVU_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
CASE_CREATOR = env("HOCVU_CASE_CREATOR", "hocvu")

# The national e-ID platform certificates are pushed to (docs/eid-contract.md). Without a URL
# nothing is sent and the outbox waits. The subject key, shared with the e-ID operator, keys
# the hash of the national ID number sent instead of the number (left out when empty).
HOCVU_EID_URL = env("HOCVU_EID_URL").rstrip("/")
HOCVU_EID_CLIENT_ID = env("HOCVU_EID_CLIENT_ID")
HOCVU_EID_CLIENT_SECRET = env("HOCVU_EID_CLIENT_SECRET")
HOCVU_EID_SUBJECT_KEY = env("HOCVU_EID_SUBJECT_KEY")
HOCVU_EID_TIMEOUT = float(env("HOCVU_EID_TIMEOUT", "10"))

# National e-ID login by OpenID Connect (docs/national-eid-login.md): offered on the login
# page when an issuer and a client are set. The ID claim carries the 12-digit ID number.
HOCVU_OIDC_ISSUER = env("HOCVU_OIDC_ISSUER")
HOCVU_OIDC_CLIENT_ID = env("HOCVU_OIDC_CLIENT_ID")
HOCVU_OIDC_CLIENT_SECRET = env("HOCVU_OIDC_CLIENT_SECRET")
HOCVU_OIDC_SCOPES = env("HOCVU_OIDC_SCOPES", "openid profile national_id")
HOCVU_OIDC_ID_CLAIM = env("HOCVU_OIDC_ID_CLAIM", "national_id")


# Outgoing messages (docs/messaging.md). E-mail: HOCVU_EMAIL_URL (smtp://user:pass@host:port,
# smtp+tls:// for STARTTLS, smtps:// for TLS, console://) or the EMAIL_* variables. Without
# either, e-mails wait in the outbox. SMS and Zalo go to an HTTP gateway; without its URL
# those messages wait.
def email_from_url(url: str) -> dict[str, object]:
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
    }


HOCVU_EMAIL_URL = env("HOCVU_EMAIL_URL")
HOCVU_EMAIL_CONFIGURED = bool(HOCVU_EMAIL_URL or env("EMAIL_HOST"))
# Unconfigured: the console in DEBUG (the mail is printed), SMTP to localhost otherwise, and
# pages that would send a mail (password reset) say that e-mail is not set up.
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if HOCVU_EMAIL_CONFIGURED or not DEBUG
    else "django.core.mail.backends.console.EmailBackend"
)
if HOCVU_EMAIL_URL:
    globals().update(email_from_url(HOCVU_EMAIL_URL))
else:
    EMAIL_HOST = env("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(env("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = env("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "hocvu <no-reply@hocvu.local>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Password reset requests per client address per hour (each may send a mail).
HOCVU_PASSWORD_RESET_RATE_LIMIT = int(env("HOCVU_PASSWORD_RESET_RATE_LIMIT", "5"))
HOCVU_SMS_URL = env("HOCVU_SMS_URL").rstrip("/")
HOCVU_SMS_TOKEN = env("HOCVU_SMS_TOKEN")
HOCVU_ZALO_URL = env("HOCVU_ZALO_URL").rstrip("/")
HOCVU_ZALO_TOKEN = env("HOCVU_ZALO_TOKEN")
HOCVU_GATEWAY_TIMEOUT = float(env("HOCVU_GATEWAY_TIMEOUT", "10"))

# Keys for personal data: one to encrypt (AES-256-GCM), one to compute blind indexes
# (HMAC-SHA256). Each is 32 random bytes, base64url; several encryption keys may be given,
# comma separated, newest first, so keys rotate without re-encrypting at once.
FIELD_ENCRYPTION_KEYS = env_list("HOCVU_FIELD_ENCRYPTION_KEYS") or [dev_secret("field_key")]
BLIND_INDEX_KEY = env("HOCVU_BLIND_INDEX_KEY") or dev_secret("blind_index_key")

INSTALLED_APPS = [
    "hocvu.web",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",  # login throttling and lockout (AXES_* below)
    "ninja",  # the API docs page's Swagger UI from the package's static files, not a CDN
    "django_otp",  # second factor for staff (hocvu.identity.second_factor)
    "django_otp.plugins.otp_totp",  # authenticator apps (TOTP)
    "django_otp.plugins.otp_static",  # single-use recovery codes
    "hocvu.audit",
    "hocvu.messaging",
    "hocvu.organizations",
    "hocvu.identity",
    "hocvu.framework",
    "hocvu.content",
    "hocvu.assessment",
    "hocvu.learning",
    "hocvu.credentials",
    "hocvu.certification",
    "hocvu.mentoring",
    "hocvu.roster",
    "hocvu.campaigns",
    "hocvu.privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app, pre-compressed, before any other middleware.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages travel compressed (a learner page is ~5-25 KB gzipped, the budget is 50 KB).
    # CSRF tokens are masked per response, which defeats BREACH-style guessing.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hocvu.web.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff sessions stop at the second factor until a code is checked.
    "django_otp.middleware.OTPMiddleware",
    "hocvu.identity.second_factor.SecondFactorMiddleware",
    # Then the privacy notice: a person who has not agreed to its current version sees it.
    "hocvu.privacy.middleware.ConsentMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: turns a locked-out login into the login page with the lockout message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hocvu.urls"
WSGI_APPLICATION = "hocvu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(env("DATABASE_URL", "sqlite://"))}


def replica_database(url: str) -> dict[str, object]:
    """A read replica of the default database (``hocvu.replicas``, docs/scaling.md); under
    test it is Django's mirror of the default database, so the same rows are seen."""
    return {**database_from_url(url), "TEST": {"MIRROR": "default"}}


# The manager's dashboards, reports and exports read from it; everything else, and every
# write, from the default database (the router sends nothing there by model).
if env("HOCVU_REPLICA_DATABASE_URL"):
    DATABASES["replica"] = replica_database(env("HOCVU_REPLICA_DATABASE_URL"))
    DATABASE_ROUTERS = ["hocvu.replicas.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Axes first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "hocvu.identity.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first; the PBKDF2 hashes stored before still verify and are re-hashed with
# Argon2id at the next successful login.
PASSWORD_HASHERS = [
    "hocvu.identity.hashers.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# Lockout after 10 wrong passwords for one username from one address, for 15 minutes
# (a person mistyping elsewhere, or another person behind the same address, is not locked).
AXES_FAILURE_LIMIT = int(env("HOCVU_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("HOCVU_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hocvu.web.lockout.locked_out"
AXES_CLIENT_IP_CALLABLE = "hocvu.ratelimit.client_address"
AXES_VERBOSE = False
# Second factor (docs/operations.md): the name authenticator apps show, and the growing
# delay after each wrong code (seconds, doubled per failure).
OTP_TOTP_ISSUER = env("HOCVU_OTP_ISSUER", "hocvu")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "hocvu" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("HOCVU_STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("HOCVU_MEDIA_ROOT", str(VAR_DIR / "media")))
# Uploaded files (lecture recordings) and their folders: the service user's only.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Production (make serve, deploy/) sets HOCVU_STATIC_MANIFEST=1 and runs collectstatic:
# content-hashed, compressed files that browsers cache for a year. Without it (tests, the
# demo's development server) the plain storage needs no collectstatic and WhiteNoise finds
# the files in the apps.
STATIC_MANIFEST = env_bool("HOCVU_STATIC_MANIFEST", False)
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST


def object_storage() -> tuple[dict[str, object], str] | None:
    """The S3-compatible object store named by ``HOCVU_S3_*``, as Django's default file
    storage (django-storages), and the origin its signed addresses are on; None without a
    bucket. Objects stay private: lecture recordings are handed out as addresses signed for
    ``HOCVU_S3_URL_EXPIRE`` seconds, after the learner's session was checked."""
    bucket = env("HOCVU_S3_BUCKET")
    if not bucket:
        return None
    endpoint = env("HOCVU_S3_ENDPOINT_URL").rstrip("/")
    region = env("HOCVU_S3_REGION")
    # Path-style addresses (endpoint/bucket/key) suit MinIO, Ceph and most providers' stores.
    style = env("HOCVU_S3_ADDRESSING_STYLE", "path" if endpoint else "virtual")
    if style not in {"path", "virtual"}:
        raise ImproperlyConfigured("HOCVU_S3_ADDRESSING_STYLE: expected path or virtual")
    parts = urlsplit(endpoint or f"https://s3.{region or 'us-east-1'}.amazonaws.com")
    host = parts.netloc if style == "path" else f"{bucket}.{parts.netloc}"
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": region or None,
        # Without keys boto3 looks for credentials itself (environment, instance role).
        "access_key": env("HOCVU_S3_ACCESS_KEY_ID") or None,
        "secret_key": env("HOCVU_S3_SECRET_ACCESS_KEY") or None,
        "addressing_style": style,
        "signature_version": "s3v4",
        "default_acl": None,  # the bucket's own policy: private
        "querystring_auth": True,
        "querystring_expire": int(env("HOCVU_S3_URL_EXPIRE", "300")),
        "file_overwrite": False,  # a new upload never replaces a file a lesson still uses
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}, (
        f"{parts.scheme}://{host}"
    )


# Media (lecture recordings and their renditions) on an object store every app server sees;
# without HOCVU_S3_BUCKET, on the local disk under MEDIA_ROOT.
_OBJECT_STORAGE = object_storage()
MEDIA_ORIGINS: list[str] = []
if _OBJECT_STORAGE is not None:
    STORAGES["default"], _origin = _OBJECT_STORAGE
    MEDIA_ORIGINS.append(_origin)  # players follow the redirect to a signed address there

# Lecture recordings an author may upload (content.media converts them with ffmpeg).
LECTURE_MEDIA_MAX_MB = int(env("HOCVU_LECTURE_MEDIA_MAX_MB", "500"))

TASKS = {"default": {"BACKEND": env("HOCVU_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
        if env("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sessions never touch the database: in the shared cache when there is one (Redis), else
# in a signed cookie (no server state; a password change still ends every session, see
# docs/operations.md). HOCVU_SESSION_ENGINE=db|cache|signed_cookies overrides.
_SESSIONS = env("HOCVU_SESSION_ENGINE") or ("cache" if env("REDIS_URL") else "signed_cookies")
if _SESSIONS not in {"db", "cache", "cached_db", "signed_cookies"}:
    raise ImproperlyConfigured("HOCVU_SESSION_ENGINE: expected db, cache or signed_cookies")
SESSION_ENGINE = (
    "hocvu.web.sessions"  # signed cookies, a distinct one per login
    if _SESSIONS == "signed_cookies"
    else f"django.contrib.sessions.backends.{_SESSIONS}"
)
# Public verification (page and API) per client address: each may canonicalize a credential.
HOCVU_VERIFY_RATE_LIMIT = int(env("HOCVU_VERIFY_RATE_LIMIT", "30"))
HOCVU_VERIFY_RATE_WINDOW = int(env("HOCVU_VERIFY_RATE_WINDOW", "60"))
# Behind a reverse proxy every request comes from the proxy: name the header it sets to the
# client's address (e.g. X-Real-IP), for rate limits and login lockouts. Empty: REMOTE_ADDR.
HOCVU_CLIENT_IP_HEADER = env("HOCVU_CLIENT_IP_HEADER")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool(
    "HOCVU_SECURE_COOKIES", not DEBUG and env_bool("HOCVU_HTTPS", False)
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Behind TLS (HOCVU_HTTPS=1): redirect plain HTTP, tell browsers to use HTTPS only (HSTS),
# and trust the proxy's X-Forwarded-Proto. The proxy must set (overwrite) that header.
HOCVU_HTTPS = env_bool("HOCVU_HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("HOCVU_SSL_REDIRECT", HOCVU_HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the load balancer's plain-HTTP health check
SECURE_HSTS_SECONDS = int(env("HOCVU_HSTS_SECONDS", "31536000" if HOCVU_HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HOCVU_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("HOCVU_HSTS_PRELOAD", False)
if env_bool("HOCVU_BEHIND_PROXY", HOCVU_HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy: scripts, styles, images and connections from this site only; no
# inline script or style (scripts are static files, pages hand them data in data-*
# attributes). Lesson images are served by the site; SVG charts are inline markup.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", *MEDIA_ORIGINS],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("HOCVU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# The secure exam pool is read from this directory when set (a private checkout: the exam
# items shipped in a public repository are public), else from hocvu/content/data/exam.
HOCVU_EXAM_POOL_DIR = env("HOCVU_EXAM_POOL_DIR")
# After a failed mastery check, the next try of that module waits this many minutes.
HOCVU_CHECK_COOLING_OFF_MINUTES = int(env("HOCVU_CHECK_COOLING_OFF_MINUTES", "240"))

# Personal data (docs/privacy.md). The notice is asked at login until its current version is
# agreed to. Deadlines of a person's request: answered within HOCVU_PRIVACY_ANSWER_WORKING_DAYS
# working days, completed within HOCVU_PRIVACY_COMPLETE_DAYS days (conservative defaults; see
# docs/privacy.md for what was and was not verified in the decree).
HOCVU_PRIVACY_CONSENT_GATE = env_bool("HOCVU_PRIVACY_CONSENT_GATE", True)
HOCVU_PRIVACY_ANSWER_WORKING_DAYS = int(env("HOCVU_PRIVACY_ANSWER_WORKING_DAYS", "2"))
HOCVU_PRIVACY_COMPLETE_DAYS = int(env("HOCVU_PRIVACY_COMPLETE_DAYS", "10"))
HOCVU_PRIVACY_CONTACT = env("HOCVU_PRIVACY_CONTACT", "")
