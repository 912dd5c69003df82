"""Tenants' own wording of the platform's UI strings (overrides), and translation coverage.

Owns the ``ui_text_overrides`` rows and their revision (``ui_text_revisions``):
a tenant admin may replace the platform's translation of any UI message in any
of the tenant's locales. The platform's catalogues under ``i18n/`` stay shared
by every tenant; an override applies to its own tenant only.
Rules of an override: ``service``; applying them to a tenant's requests
(a per-process cache and a middleware): ``runtime``.
"""

from asan.translations.models import UiTextOverride, UiTextRevision
from asan.translations.runtime import (
    OverrideCache,
    OverridesMiddleware,
    UiTextOverridesPlugin,
    override_cache,
)
from asan.translations.service import (
    MAX_TEXT_LENGTH,
    Change,
    OverrideRefusedError,
    OverrideView,
    UiTextOverrideService,
)

__all__ = [
    "MAX_TEXT_LENGTH",
    "Change",
    "OverrideCache",
    "OverrideRefusedError",
    "OverrideView",
    "OverridesMiddleware",
    "UiTextOverride",
    "UiTextOverrideService",
    "UiTextOverridesPlugin",
    "UiTextRevision",
    "override_cache",
]
