"""Configuration classes. `clinic.create_app` picks one by CLINIC_ENV, then applies CLINIC_* variables."""

import os
from datetime import timedelta

# Public (it is in the repository): used only under the development server, see clinic/startup_checks.py.
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # required everywhere but under `flask run` in development
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")  # None: SQLite file in the instance folder
    # Encryption at rest (clinic/keys.py), set as CLINIC_DATA_KEYS (base64 keys, comma-separated, newest
    # first) and CLINIC_INDEX_KEY (the blind indexes' key). Production refuses to start without them;
    # development and testing generate them into instance/encryption-keys.json.
    DATA_KEYS: str | None = None
    INDEX_KEY: str | None = None
    # hide_parameters: database errors never carry patient data into logs or tracebacks
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    MAX_CONTENT_LENGTH = 256 * 1024
    WTF_CSRF_TIME_LIMIT = 4 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "clinic_session"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    STAFF_IDLE_TIMEOUT = timedelta(minutes=30)
    STAFF_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    # The idle clock is moved on (the session cookie written again) once this long has passed since it last
    # was, not on every request: until then the cookie stays the same, and a colleague's kept page can be
    # sent again for it (clinic/kept_responses.py). The idle timeout is counted from the stamp, so a session
    # ends at most this much earlier than 30 minutes after the last request, never later.
    STAFF_SEEN_STEP = timedelta(minutes=1)
    SESSION_REFRESH_EACH_REQUEST = False  # written when changed only (the timeouts are kept in the session)
    REMEMBER_COOKIE_DURATION = timedelta(0)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Production refuses memory:// rate limits (each worker would count on its own) unless exactly one
    # worker process runs and says so here (CLINIC_SINGLE_WORKER=true).
    SINGLE_WORKER = False
    RATELIMIT_HEADERS_ENABLED = False  # a 429 page says when to retry; other responses need no Retry-After
    INTAKE_RATE_LIMIT = "10 per hour"
    NEW_LINK_RATE_LIMIT = "5 per hour"  # fresh manage links asked for, per client address
    # Sign-in attempts (password and code steps together) per client address, whatever accounts it tries.
    SIGN_IN_RATE_LIMIT = "20 per 15 minutes"
    # The key of the hash under which typed sign-in addresses are counted; derived from SECRET_KEY if unset.
    SIGN_IN_HASH_KEY = None
    MAIL_BACKEND = "console"
    MAIL_DEFAULT_SENDER = "Clinic <no-reply@clinic.example>"
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_TIMEOUT = 10
    # How long a worker may show the clinic's name and contact details in the page layout before reading
    # them again (0: every request). Slots, bookings and emails always read the settings fresh.
    SETTINGS_DISPLAY_SECONDS = 5
    # Where the slot picker's and the API's answers are kept (clinic/services/booking/slot_cache.py): a Redis
    # URL shared by every worker and host (redis://127.0.0.1:6379/1), or None for each worker's own memory.
    SLOT_CACHE_URL = os.environ.get("SLOT_CACHE_URL")
    BASE_URL: str | None = "http://127.0.0.1:5000"  # the address in every emailed link: set it in production
    FORCE_HTTPS = False
    PROXY_COUNT = 0  # reverse proxies in front of the app (1 behind nginx)
    DEBUG = False
    TESTING = False


class DevelopmentConfig(Config):
    DEBUG = True
    SESSION_COOKIE_SECURE = False
    MAIL_BACKEND = "file"
    # Links follow the loopback address the app is served on (`flask run --port 5001`); emails sent from
    # the command line use http://127.0.0.1:5000. CLINIC_BASE_URL fixes one address for both.
    BASE_URL = None


class TestingConfig(Config):
    TESTING = True
    SESSION_COOKIE_SECURE = False
    MAIL_BACKEND = "locmem"
    RATELIMIT_STORAGE_URI = "memory://"


class ProductionConfig(Config):
    MAIL_BACKEND = "smtp"
    FORCE_HTTPS = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def settings_class(env: str) -> type[Config]:
    try:
        return CONFIGS[env]
    except KeyError:
        raise RuntimeError(f"CLINIC_ENV must be one of {', '.join(CONFIGS)}, not {env!r}") from None
