"""Plugin settings: declared, checked with every problem named, secrets only by reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from asan.plugins import (
    PluginHost,
    PluginUnavailableError,
    SecretUnavailableError,
    Setting,
    check_settings,
    describe_settings,
    discover,
    read_tenant_plugins,
    resolve_settings,
)

SCHEMA = (
    Setting("base_url", "url", "where the agency listens", required=True),
    Setting("timeout_seconds", "number", "how long to wait", default=10, minimum=0.5),
    Setting("mode", "choice", "how", default="a", choices=("a", "b")),
    Setting("token", "text", "the agency's token", secret=True, required=True),
)


def test_every_problem_is_named_by_its_path() -> None:
    _, problems = check_settings(
        SCHEMA,
        {"base_url": "ftp://x", "timeout_seconds": 0.1, "mode": "c", "token": "hunter2", "x": 1},
        where="plugins.connectors.tax",
    )
    assert sorted(map(str, problems)) == [
        "plugins.connectors.tax.base_url: 'ftp://x' is not an http(s) URL",
        "plugins.connectors.tax.mode: 'c' is not one of a, b",
        "plugins.connectors.tax.timeout_seconds: must be at least 0.5",
        "plugins.connectors.tax.token: is a secret: give a reference, env:NAME or "
        "secret:SECRET-NAME/KEY, never the value itself",
        "plugins.connectors.tax.x: unknown setting (this plugin has: base_url, mode, "
        "timeout_seconds, token)",
    ]


def test_defaults_fill_in_and_secrets_resolve_only_when_built(tmp_path: Path) -> None:
    values, problems = check_settings(
        SCHEMA, {"base_url": "https://a.example", "token": "secret:tax/token"}, where="p"
    )
    assert problems == []
    assert values == {
        "base_url": "https://a.example",
        "timeout_seconds": 10.0,
        "mode": "a",
        "token": "secret:tax/token",
    }
    assert describe_settings(SCHEMA, values)["token"] == "set"
    with pytest.raises(SecretUnavailableError, match="does not exist"):
        resolve_settings(SCHEMA, values, secrets_dir=tmp_path, environ={})
    (tmp_path / "tax").mkdir()
    (tmp_path / "tax" / "token").write_text("s3cr3t\n")
    assert resolve_settings(SCHEMA, values, secrets_dir=tmp_path, environ={})["token"] == "s3cr3t"
    from_env = {**values, "token": "env:TAX_TOKEN"}
    resolved = resolve_settings(SCHEMA, from_env, secrets_dir=tmp_path, environ={"TAX_TOKEN": "e"})
    assert resolved["token"] == "e"


def test_a_tenant_table_is_checked_against_installed_plugins_and_its_agencies() -> None:
    raw = {
        "connectors": {
            "*": {"plugin": "sandbox_agency"},
            "tax-servce": {"plugin": "sandbox_agency"},
            "land": {"plugin": "no_such_plugin"},
            "post": {"plugin": "log_notifier"},
        },
        "notifier": {"plugin": "log_notifier", "level": "loud"},
        "extras": {},
    }
    _, problems = read_tenant_plugins(raw, discover(), agencies={"tax-service", "land", "post"})
    reasons = sorted(map(str, problems))
    assert reasons[0].startswith("plugins.connectors.land.plugin: unknown plugin 'no_such_plugin'")
    assert (
        "plugins.connectors.post.plugin: 'log_notifier' is a notifier, not a connector" in reasons
    )
    assert "plugins.connectors.tax-servce: no agency 'tax-servce' in the catalogue" in reasons
    assert "plugins.extras: unknown section (connectors or notifier)" in reasons
    assert "plugins.notifier.level: 'loud' is not one of debug, info, warning" in reasons


async def test_a_broken_tenant_gets_a_clear_error_and_never_a_plugin(tmp_path: Path) -> None:
    host = PluginHost(discover(), secrets_dir=tmp_path, environ={})
    broken = {"connectors": {"*": {"plugin": "no_such_plugin"}}}
    with pytest.raises(PluginUnavailableError, match="unknown plugin 'no_such_plugin'"):
        await host.connector("xx", broken, "tax")
    missing = {
        "connectors": {
            "*": {
                "plugin": "rest_webhook",
                "base_url": "http://127.0.0.1:9/asan",
                "shared_secret": "env:NOT_SET_ANYWHERE",
            }
        }
    }
    with pytest.raises(PluginUnavailableError, match="NOT_SET_ANYWHERE is not set"):
        await host.connector("yy", missing, "tax")
    working = {"connectors": {"*": {"plugin": "sandbox_agency"}}}
    first = await host.connector("zz", working, "tax")
    assert first is await host.connector("zz", working, "tax")  # built once, kept
    changed = {"connectors": {"*": {"plugin": "sandbox_agency", "reject_rate": 0.5}}}
    assert first is not await host.connector("zz", changed, "tax")  # settings changed: rebuilt
    await host.aclose()
