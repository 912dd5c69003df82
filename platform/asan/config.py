"""Settings, read once from ``ASAN_*`` environment variables.

A bad or missing value stops start-up with one line naming the variable: a
government's operator must be able to fix a deployment from that line alone.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from asan.errors import ConfigError
from asan.names import HOSTNAME, SQL_IDENTIFIER

Environment = Literal["dev", "production"]

_SUPPORTED_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}
_MIN_SECRET_LENGTH = 32


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    """Runtime connection: in production a role that neither owns the tables nor bypasses RLS."""
    migration_url: str
    """Owner connection used by ``asan db upgrade``; defaults to ``url``."""
    runtime_role: str
    """PostgreSQL role the migrations grant table access to (and nothing more)."""
    pool_size: int

    @property
    def is_postgresql(self) -> bool:
        return self.url.startswith("postgresql")


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How the outbox worker carries applications to agencies."""

    max_attempts: int
    """Attempts before a job is dead-lettered (a person retries it from the API or CLI)."""
    poll_seconds: float
    """How long an idle worker waits before looking for due jobs again."""
    status_seconds: float
    """How often an open application's status is asked of an agency that does not call back."""
    in_process: bool
    """Run the delivery loop inside ``asan serve`` (the default with SQLite, so ``make run``
    works alone); with PostgreSQL, ``asan worker`` processes do it."""


@dataclass(frozen=True, slots=True)
class Settings:
    env: Environment
    base_domain: str
    secret_key: str
    tenants_dir: Path
    var_dir: Path
    migrations_dir: Path
    database: DatabaseSettings
    log_level: str
    log_format: Literal["json", "console"]
    trusted_proxies: str
    redis_url: str | None
    """Shared session store for several app processes; memory (one process) when unset."""
    demo_password: str
    """Password of the demo staff accounts ``asan demo`` makes in dev."""
    """Addresses whose X-Forwarded-* headers are believed (uvicorn's forwarded_allow_ips)."""
    tenant_cache_seconds: float
    """How long a process may answer from its cached host -> tenant resolution."""
    catalogue_refresh_seconds: float
    """How often a process checks whether its cached published catalogue is still current."""
    policy_refresh_seconds: float
    """How often a process checks whether its compiled policy of a tenant is still current."""
    secrets_dir: Path
    """Where ``secret:NAME/KEY`` references in plugin settings are read (a mounted
    Kubernetes Secret)."""
    delivery: DeliverySettings

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def _repository_root() -> Path:
    # platform/asan/config.py -> repository root; only meaningful for a checkout.
    return Path(__file__).resolve().parents[2]


def _read(environ: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _database_url(name: str, value: str) -> str:
    try:
        url: URL = make_url(value)
    except ArgumentError as exc:
        raise ConfigError(f"{name} is not a database URL: {value!r}") from exc
    if url.drivername not in _SUPPORTED_DRIVERS:
        supported = ", ".join(sorted(_SUPPORTED_DRIVERS))
        raise ConfigError(f"{name} uses driver {url.drivername!r}; supported: {supported}")
    return value


def _secret_key(environ: Mapping[str, str], env: Environment, var_dir: Path) -> str:
    value = _read(environ, "ASAN_SECRET_KEY")
    if value is not None:
        if len(value) < _MIN_SECRET_LENGTH:
            raise ConfigError(
                f"ASAN_SECRET_KEY must be at least {_MIN_SECRET_LENGTH} characters long"
            )
        return value
    if env == "production":
        raise ConfigError("ASAN_SECRET_KEY is required when ASAN_ENV=production")
    # Dev: one key per checkout, kept under var/ so that every worker process and
    # every restart agree on it (sessions and signed links survive a reload).
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _seconds(environ: Mapping[str, str], name: str, default: str) -> float:
    text = _read(environ, name, default) or ""
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 3600:
        raise ConfigError(f"{name} must be a number of seconds from 0 to 3600, got {text!r}")
    return value


def _redis_url(environ: Mapping[str, str]) -> str | None:
    value = _read(environ, "ASAN_REDIS_URL")
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError(
            f"ASAN_REDIS_URL must start with redis://, rediss:// or unix://, got {value!r}"
        )
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise :class:`ConfigError` on the first bad one."""
    environ = os.environ if environ is None else environ
    env = _read(environ, "ASAN_ENV", "dev")
    if env not in ("dev", "production"):
        raise ConfigError(f"ASAN_ENV must be 'dev' or 'production', got {env!r}")

    root = _repository_root()
    var_dir = Path(_read(environ, "ASAN_VAR_DIR", str(Path.cwd() / "var")) or "var").resolve()

    secret_key = _secret_key(environ, env, var_dir)  # type: ignore[arg-type]  # env checked

    base_domain = (_read(environ, "ASAN_BASE_DOMAIN", "localhost") or "").lower()
    if not HOSTNAME.match(base_domain):
        raise ConfigError(f"ASAN_BASE_DOMAIN is not a valid host name: {base_domain!r}")

    tenants_dir = Path(_read(environ, "ASAN_TENANTS_DIR", "tenants") or "tenants")
    if not tenants_dir.is_absolute():
        tenants_dir = (Path.cwd() / tenants_dir).resolve()

    migrations_dir = Path(_read(environ, "ASAN_MIGRATIONS_DIR", str(root / "migrations")) or "")
    if not (migrations_dir / "env.py").is_file():
        raise ConfigError(f"ASAN_MIGRATIONS_DIR has no Alembic env.py: {migrations_dir}")

    default_db = f"sqlite+aiosqlite:///{var_dir / 'asan.db'}"
    url = _database_url("ASAN_DATABASE_URL", _read(environ, "ASAN_DATABASE_URL", default_db) or "")
    migration_url = _database_url(
        "ASAN_MIGRATION_DATABASE_URL", _read(environ, "ASAN_MIGRATION_DATABASE_URL", url) or ""
    )
    if env == "production" and not url.startswith("postgresql"):
        raise ConfigError(
            "ASAN_DATABASE_URL must be a PostgreSQL URL when ASAN_ENV=production: "
            "SQLite has no row-level security"
        )
    runtime_role = _read(environ, "ASAN_DB_RUNTIME_ROLE", "asan_app") or ""
    if not SQL_IDENTIFIER.match(runtime_role):
        raise ConfigError(f"ASAN_DB_RUNTIME_ROLE is not a valid role name: {runtime_role!r}")
    pool_text = _read(environ, "ASAN_DB_POOL_SIZE", "10") or ""
    if not pool_text.isdigit() or not 1 <= int(pool_text) <= 200:
        raise ConfigError(
            f"ASAN_DB_POOL_SIZE must be a whole number from 1 to 200, got {pool_text!r}"
        )

    log_level = (_read(environ, "ASAN_LOG_LEVEL", "INFO") or "").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError(
            f"ASAN_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}"
        )
    log_format = _read(environ, "ASAN_LOG_FORMAT", "json" if env == "production" else "console")
    if log_format not in ("json", "console"):
        raise ConfigError(f"ASAN_LOG_FORMAT must be 'json' or 'console', got {log_format!r}")

    tenant_cache_seconds = _seconds(environ, "ASAN_TENANT_CACHE_SECONDS", "5")
    catalogue_refresh_seconds = _seconds(environ, "ASAN_CATALOGUE_REFRESH_SECONDS", "1")
    policy_refresh_seconds = _seconds(environ, "ASAN_POLICY_REFRESH_SECONDS", "1")
    attempts_text = _read(environ, "ASAN_DELIVERY_MAX_ATTEMPTS", "20") or ""
    if not attempts_text.isdigit() or not 1 <= int(attempts_text) <= 100:
        raise ConfigError(
            "ASAN_DELIVERY_MAX_ATTEMPTS must be a whole number from 1 to 100, "
            f"got {attempts_text!r}"
        )
    in_process = (_read(environ, "ASAN_DELIVERY_IN_PROCESS", "auto") or "").lower()
    if in_process not in ("auto", "true", "false"):
        raise ConfigError(
            f"ASAN_DELIVERY_IN_PROCESS must be auto, true or false, got {in_process!r}"
        )
    delivery = DeliverySettings(
        max_attempts=int(attempts_text),
        poll_seconds=_seconds(environ, "ASAN_DELIVERY_POLL_SECONDS", "1"),
        status_seconds=_seconds(environ, "ASAN_STATUS_POLL_SECONDS", "30"),
        in_process=url.startswith("sqlite") if in_process == "auto" else in_process == "true",
    )
    secrets_dir = Path(
        _read(environ, "ASAN_SECRETS_DIR", str(var_dir / "secrets")) or "secrets"
    ).resolve()

    return Settings(
        env=env,  # type: ignore[arg-type]  # checked above
        base_domain=base_domain,
        secret_key=secret_key,
        tenants_dir=tenants_dir,
        var_dir=var_dir,
        migrations_dir=migrations_dir,
        database=DatabaseSettings(
            url=url,
            migration_url=migration_url,
            runtime_role=runtime_role,
            pool_size=int(pool_text),
        ),
        log_level=log_level,
        log_format=log_format,  # type: ignore[arg-type]
        tenant_cache_seconds=tenant_cache_seconds,
        catalogue_refresh_seconds=catalogue_refresh_seconds,
        policy_refresh_seconds=policy_refresh_seconds,
        secrets_dir=secrets_dir,
        delivery=delivery,
        trusted_proxies=_read(environ, "ASAN_TRUSTED_PROXIES", "127.0.0.1") or "127.0.0.1",
        redis_url=_redis_url(environ),
        demo_password=_read(environ, "ASAN_DEMO_PASSWORD", "demo") or "demo",
    )
