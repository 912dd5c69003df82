"""Console pages: platform (arrives with its own commit)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
