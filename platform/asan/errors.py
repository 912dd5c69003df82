"""Domain exceptions, one class per thing that can go wrong for a caller.

Each carries a stable machine-readable ``code`` and the HTTP status it maps to,
so the API, the console and the CLI report the same failure the same way; the
mapping to HTTP lives in one place (``asan.api.errors``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class AsanError(Exception):
    """Base of every error the platform reports to a person or a client.

    ``template`` is the English message id, with ``{name}`` placeholders that
    ``params`` fill (mark it with ``asan.i18n.N_`` so that it is extracted):
    ``TenantNotFoundError(N_("no tenant with code {code!r}"), code=code)``.
    ``message`` is the English text (logs, the CLI); :meth:`message_in`
    renders the same error for a person in their locale. A template without
    placeholders is used as it is, braces included, so a message made by the
    caller (``AsanError(f"...")``) still works; it is just not translated.
    """

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500

    def __init__(
        self, template: str, *, detail: dict[str, Any] | None = None, **params: Any
    ) -> None:
        message = template.format(**params) if params else template
        super().__init__(message)
        self.template = template
        self.params = params
        self.message = message
        self.detail = detail or {}

    def detail_in(self, locale: str) -> dict[str, Any]:
        """``detail`` for a person in ``locale``; errors whose detail holds prose override it."""
        return self.detail

    def message_in(self, locale: str) -> str:
        """The message translated into ``locale`` (English where no translation exists)."""
        # Imported here: asan.i18n builds on this module (its errors are AsanErrors).
        from asan.i18n import gettext, use_locale

        with use_locale(locale):
            return gettext(self.template, **self.params)


class ConfigError(AsanError):
    """A setting is missing or malformed; raised before anything starts."""

    code = "config_invalid"


class NotFoundError(AsanError):
    code = "not_found"
    status = 404


class TenantNotFoundError(NotFoundError):
    code = "tenant_not_found"


class TenantSuspendedError(AsanError):
    code = "tenant_suspended"
    status = 503


class WrongHostError(NotFoundError):
    """A route exists, but not on this kind of host (tenant vs. platform)."""

    code = "wrong_host"


class ValidationError(AsanError):
    """Input failed validation; ``detail["errors"]`` lists every problem found."""

    code = "validation_failed"
    status = 422


class TenantScopeError(AsanError):
    """Database work was attempted without, or across, a tenant scope.

    Always a programming error: the data layer fails closed rather than guess.
    """

    code = "tenant_scope_violation"
    status = 500
