"""How catalogue values are shown to a person in a given language (Babel)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from babel.units import format_unit

from asan.i18n import ngettext, use_locale

_BABEL_UNITS = {"minutes": "duration-minute", "hours": "duration-hour", "days": "duration-day"}


def fee_display(fee: dict[str, str], locale: str) -> str:
    return format_currency(Decimal(fee["amount"]), fee["currency"], locale=locale)


def processing_time_display(processing_time: dict[str, Any], locale: str) -> str:
    value, unit = int(processing_time["value"]), processing_time["unit"]
    if unit in _BABEL_UNITS:
        return str(format_unit(value, _BABEL_UNITS[unit], length="long", locale=locale))
    # Babel's unit data has no "working day"; the platform's own catalogues do.
    with use_locale(locale):
        return ngettext("{n} working day", "{n} working days", value, n=value)


def localized(text: dict[str, str], locale: str, default_locale: str) -> str:
    """The text in ``locale``, else in the tenant's default (drafts may be incomplete)."""
    return text.get(locale) or text.get(default_locale) or next(iter(text.values()), "")
