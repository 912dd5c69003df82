"""The vendored htmx is exactly the file VENDORED.toml records (``make vendor-htmx``)."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import admin_console

VENDORED = Path(admin_console.__file__).parent / "static" / "vendor" / "htmx"


def test_the_vendored_htmx_has_the_digest_recorded_beside_it() -> None:
    record = tomllib.loads((VENDORED / "VENDORED.toml").read_text(encoding="utf-8"))
    script = VENDORED / Path(record["file"]).name
    assert hashlib.sha256(script.read_bytes()).hexdigest() == record["sha256"], (
        f"{script} differs from the htmx.org@{record['version']} that VENDORED.toml records:"
        " re-vendor it with `make vendor-htmx`, never by hand"
    )


def test_the_vendored_htmx_keeps_its_licence() -> None:
    assert (VENDORED / "LICENSE").read_text(encoding="utf-8").strip()
