"""A catalogue directory extracted from the sources as they are now, for tests of overrides.

Overrides may only reword messages of ``messages.pot``; the committed template
lags behind new console pages until the next ``asan i18n extract``. Tests
that reword a console text use a copy of ``i18n/`` extracted, updated and
compiled afresh (once per test run), pointed to by ``ASAN_I18N_DIR``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from asan.i18n import compile_catalogues, extract_messages, update_catalogues
from asan.i18n._catalogues import I18N_DIR_VARIABLE
from tests.support.databases import REPO_ROOT


@pytest.fixture(scope="session")
def extracted_i18n(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("i18n") / "i18n"
    shutil.copytree(
        REPO_ROOT / "i18n", directory, ignore=shutil.ignore_patterns("*.mo", "__pycache__")
    )
    extract_messages(directory)
    update_catalogues(directory)
    compile_catalogues(directory)
    return directory


@pytest.fixture
def current_i18n(extracted_i18n: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``ASAN_I18N_DIR`` set to the freshly extracted catalogues for one test."""
    monkeypatch.setenv(I18N_DIR_VARIABLE, str(extracted_i18n))
    return extracted_i18n
