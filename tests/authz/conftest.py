"""Hypothesis keeps its caches out of the shared checkout.

Its pytest plugin reads the sources for constants while collecting and
caches them under ``./.hypothesis``; this runs before that, at import.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "asan-hypothesis")
