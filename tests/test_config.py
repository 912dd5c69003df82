"""Settings: defaults that let make run work alone, one clear line for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from asan.config import load_settings
from asan.errors import ConfigError


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"ASAN_VAR_DIR": str(tmp_path / "var"), **values}


def test_defaults_are_a_dev_instance_on_sqlite_under_var(tmp_path: Path) -> None:
    settings = load_settings(env(tmp_path))
    assert settings.env == "dev"
    assert settings.base_domain == "localhost"
    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path / 'var' / 'asan.db'}"
    assert settings.database.migration_url == settings.database.url
    assert settings.tenants_dir.name == "tenants"


def test_dev_secret_key_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings(env(tmp_path)).secret_key
    second = load_settings(env(tmp_path)).secret_key
    assert first == second
    assert len(first) >= 32
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"ASAN_ENV": "prod"}, "ASAN_ENV"),
        ({"ASAN_ENV": "production"}, "ASAN_SECRET_KEY"),
        ({"ASAN_ENV": "production", "ASAN_SECRET_KEY": "k" * 40}, "ASAN_DATABASE_URL"),
        ({"ASAN_SECRET_KEY": "short"}, "ASAN_SECRET_KEY"),
        ({"ASAN_DATABASE_URL": "mysql://x@y/z"}, "ASAN_DATABASE_URL"),
        ({"ASAN_DATABASE_URL": "not a url"}, "ASAN_DATABASE_URL"),
        ({"ASAN_MIGRATION_DATABASE_URL": "sqlite:///x.db"}, "ASAN_MIGRATION_DATABASE_URL"),
        ({"ASAN_BASE_DOMAIN": "bad domain"}, "ASAN_BASE_DOMAIN"),
        ({"ASAN_DB_RUNTIME_ROLE": "drop table"}, "ASAN_DB_RUNTIME_ROLE"),
        ({"ASAN_DB_POOL_SIZE": "0"}, "ASAN_DB_POOL_SIZE"),
        ({"ASAN_LOG_LEVEL": "LOUD"}, "ASAN_LOG_LEVEL"),
        ({"ASAN_MIGRATIONS_DIR": "/nonexistent"}, "ASAN_MIGRATIONS_DIR"),
    ],
)
def test_a_bad_value_names_its_variable(
    tmp_path: Path, values: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env(tmp_path, **values))
    message = str(error.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_production_defaults_to_json_logs(tmp_path: Path) -> None:
    settings = load_settings(
        env(
            tmp_path,
            ASAN_ENV="production",
            ASAN_SECRET_KEY="k" * 40,
            ASAN_DATABASE_URL="postgresql+asyncpg://asan_app@db.internal/asan",
        )
    )
    assert settings.is_production
    assert settings.log_format == "json"


def test_tenant_cache_seconds_is_checked(tmp_path: Path) -> None:
    assert load_settings(env(tmp_path)).tenant_cache_seconds == 5
    with pytest.raises(ConfigError, match=r"^ASAN_TENANT_CACHE_SECONDS"):
        load_settings(env(tmp_path, ASAN_TENANT_CACHE_SECONDS="soon"))
