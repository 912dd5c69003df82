"""Tenants' own wording of the platform's UI strings (overrides), and translation coverage.

Owns the ``ui_text_overrides`` rows: a tenant admin may replace the platform's
translation of any UI message in any of the tenant's locales. The platform's
catalogues under ``i18n/`` stay shared by every tenant; an override applies to
its own tenant only.
"""

from asan.translations.models import UiTextOverride

__all__ = ["UiTextOverride"]
