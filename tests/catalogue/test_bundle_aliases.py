"""A small file whose YAML aliases expand into millions of values is refused before checking."""

from __future__ import annotations

import pytest

from asan.catalogue.bundle import MAX_FILE_ENTRIES, CatalogueError, TenantLanguages, read_catalogue

LANGUAGES = TenantLanguages(("en",), "EUR")


def _nested_aliases(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    lines.append(f"services: [*a{levels}]")
    return "\n".join(lines)


def test_an_alias_bomb_is_refused_as_too_large() -> None:
    assert MAX_FILE_ENTRIES < 10**6
    with pytest.raises(CatalogueError) as refused:
        read_catalogue(_nested_aliases(6), source="upload", languages=LANGUAGES)
    assert "more than" in str(refused.value.detail)


def test_ordinary_aliases_are_still_read() -> None:
    text = "agencies: []\ncategories: &none []\nservices: *none\n"
    assert read_catalogue(text, source="upload", languages=LANGUAGES).services == []
