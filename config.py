"""Configuration: every setting can come from the environment; development defaults are safe."""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-change-me"  # noqa: S105 (refused in production)


def env_flag(name: str, default: bool) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def psycopg_url(url: str) -> str:
    """Normalise a PostgreSQL URL so SQLAlchemy uses psycopg 3; other URLs pass unchanged."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def env_list(name: str) -> tuple[str, ...]:
    """Read a list from an environment variable, its entries separated by commas or spaces."""
    return tuple(os.environ.get(name, "").replace(",", " ").split())


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def metrics_networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse METRICS_ALLOWED_IPS: addresses or networks such as 10.0.0.5 or 10.1.0.0/16."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise RuntimeError(
                f"METRICS_ALLOWED_IPS: {entry!r} is not an IP address or network "
                "(write 10.0.0.5 or 10.1.0.0/16, separated by commas)."
            ) from None
    return tuple(networks)


def database_url() -> str:
    """Return DATABASE_URL (SQLite in instance/ by default), PostgreSQL through psycopg 3."""
    return psycopg_url(os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'tracker.db'}"))


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    ALLOW_SQLITE_IN_PRODUCTION = env_flag("ALLOW_SQLITE_IN_PRODUCTION", False)

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "127.0.0.1")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "8025"))
    MAIL_USE_TLS = env_flag("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_flag("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Follow-up <followup@localhost>")
    MAIL_TIMEOUT_SECONDS = float(os.environ.get("MAIL_TIMEOUT_SECONDS", "20"))
    # Flask-Mail would silently drop mail under TESTING; tests use a real SMTP server instead.
    MAIL_SUPPRESS_SEND = False
    # The development mailbox page shows what the local SMTP sink received.
    DEV_MAILBOX_PATH = os.environ.get("DEV_MAILBOX_PATH", str(INSTANCE_DIR / "mailbox"))
    DEV_MAILBOX_ENABLED = True

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # memory:// keeps one counter per process: only safe when a single web worker runs.
    RATELIMIT_SINGLE_WORKER = env_flag("RATELIMIT_SINGLE_WORKER", False)
    # The 429 page sets Retry-After itself; X-RateLimit-Remaining would tell a guesser how many
    # tries an account has left.
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT_PER_IP = os.environ.get("LOGIN_RATE_LIMIT_PER_IP", "20 per 10 minutes")
    LOGIN_RATE_LIMIT_PER_ACCOUNT = os.environ.get(
        "LOGIN_RATE_LIMIT_PER_ACCOUNT", "5 per 10 minutes"
    )

    # No form or API call comes near this; a larger body is refused before it is read (413).
    MAX_CONTENT_LENGTH = 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"

    API_TITLE = "Follow-up tracker API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    # /metrics answers "Authorization: Bearer <METRICS_TOKEN>" and the listed client addresses;
    # with neither set it is open, which only development allows.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")
    SCHEDULER_HEARTBEAT_STALE_SECONDS = 180
    REMINDER_OVERDUE_ALERT_SECONDS = 15 * 60
    DISPATCH_BATCH_SIZE = int(os.environ.get("DISPATCH_BATCH_SIZE", "200"))
    DISPATCH_LEASE_SECONDS = int(os.environ.get("DISPATCH_LEASE_SECONDS", "300"))
    PORTAL_LINK_MINUTES = 30


class DevelopmentConfig(Config):
    pass


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    PUBLIC_BASE_URL = "http://tracker.test"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 1  # a guard: tests that send mail point this at their own SMTP server
    MAIL_TIMEOUT_SECONDS = 5.0
    DEV_MAILBOX_ENABLED = False
    WTF_CSRF_ENABLED = True


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = env_flag("SESSION_COOKIE_SECURE", True)
    DEV_MAILBOX_ENABLED = False

    @classmethod
    def check(cls) -> None:
        """Refuse to start with settings that are only safe on a developer's machine."""
        if (
            not cls.SECRET_KEY
            or cls.SECRET_KEY == DEVELOPMENT_SECRET_KEY
            or len(cls.SECRET_KEY) < 32
        ):
            raise RuntimeError("Production needs SECRET_KEY: a random value of 32+ characters.")
        if cls.SQLALCHEMY_DATABASE_URI.startswith("sqlite") and not cls.ALLOW_SQLITE_IN_PRODUCTION:
            raise RuntimeError(
                "Production runs on PostgreSQL: set DATABASE_URL "
                "(or ALLOW_SQLITE_IN_PRODUCTION=1 for a single-machine trial)."
            )
        if cls.RATELIMIT_STORAGE_URI.startswith("memory:") and not cls.RATELIMIT_SINGLE_WORKER:
            raise RuntimeError(
                "Login limits kept in memory:// count per web worker, so several workers let "
                "several times the limit through: set RATELIMIT_STORAGE_URI=redis://host:6379/0 "
                "(or RATELIMIT_SINGLE_WORKER=1 if exactly one web worker process runs)."
            )
        if not cls.METRICS_TOKEN and not metrics_networks(cls.METRICS_ALLOWED_IPS):
            raise RuntimeError(
                "/metrics would answer anyone: set METRICS_TOKEN or METRICS_ALLOWED_IPS "
                "(the addresses of the Prometheus servers)."
            )


CONFIGS = {"development": DevelopmentConfig, "production": ProductionConfig, "test": TestConfig}


def config_for_environment() -> type[Config]:
    """Pick the configuration named by TRACKER_ENV (development by default)."""
    name = os.environ.get("TRACKER_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"TRACKER_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
