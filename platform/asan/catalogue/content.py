"""What one version of a service stores, and how two versions differ.

Pure functions over bundle entries, with no database: the review compares
versions with them, an edit merges a partial entry with them, and import
decides with them whether a file changes anything.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asan.catalogue.bundle import SERVICE_TEXTS


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    published: Any
    draft: Any


def content_of(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A service entry without its identity and status: what a version stores."""
    return {key: value for key, value in entry.items() if key not in ("code", "status")}


def _flatten(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(value, list):
        flat = {}
        for index, item in enumerate(value):
            flat.update(_flatten(item, f"{path}[{index}]"))
        return flat or {path: []}
    return {path: value}


def differences(published: Mapping[str, Any] | None, draft: Mapping[str, Any]) -> list[Difference]:
    """Field-by-field differences, for the side-by-side review before publishing."""
    before, after = _flatten(dict(published or {})), _flatten(dict(draft))
    return [
        Difference(path, before.get(path), after.get(path))
        for path in sorted(set(before) | set(after))
        if before.get(path) != after.get(path)
    ]


def merge_patch(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """A partial entry over a full one: texts merge per locale, other keys replace."""
    merged = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if key in SERVICE_TEXTS and isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged
