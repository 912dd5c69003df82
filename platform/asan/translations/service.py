"""Reading and changing a tenant's own wording of the platform's UI strings.

Every rule of an override is here, for the console and any later API or
command: the locale is one of the tenant's, the message id is one of the
platform's (``messages.pot``; plural and contextual messages stay with the
platform's catalogues), the text keeps the message's placeholders, and an
empty text removes the override. Every change is in the tenant's audit trail
and bumps the tenant's revision of its overrides (``ui_text_revisions``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from asan import audit
from asan.db import bump_counter, on_commit, utcnow
from asan.errors import ValidationError
from asan.i18n import (
    N_,
    UiMessage,
    i18n_directory,
    placeholder_mismatch,
    ui_messages,
)
from asan.tenancy import TenantRecord
from asan.translations.models import UiTextOverride, UiTextRevision

MAX_TEXT_LENGTH = 2000
"""Longer than any UI string the platform has; a guard against pasting a document."""


class OverrideRefusedError(ValidationError):
    """An override that cannot be saved; ``detail["field"]`` names the form field at fault."""

    code = "ui_override_invalid"


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    REMOVED = "removed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class OverrideView:
    message_id: str
    text: str
    updated_by: str


def _shown(names: tuple[str, ...], message: UiMessage) -> str:
    style = "{{{}}}" if message.in_code and "{" in message.id else "%({})s"
    return ", ".join(style.format(name) for name in names)


class UiTextOverrideService:
    """One tenant's overrides, in the caller's session (the request's transaction).

    ``on_change`` runs once a transaction that changed an override has
    committed: the process drops its cached copy of the tenant's overrides.
    """

    def __init__(
        self,
        session: AsyncSession,
        tenant: TenantRecord,
        *,
        directory: Path | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.session = session
        self.tenant = tenant
        self.directory = directory
        self.on_change = on_change

    def messages(self) -> tuple[UiMessage, ...]:
        """The platform's messages a tenant may reword, in the template's order."""
        return ui_messages(self.directory or i18n_directory())

    async def overrides(self, locale: str) -> dict[str, OverrideView]:
        """The tenant's overrides in ``locale`` by message id (obsolete ids included)."""
        rows = await self.session.scalars(
            select(UiTextOverride).where(
                UiTextOverride.tenant_id == self.tenant.id, UiTextOverride.locale == locale
            )
        )
        return {
            row.message_id: OverrideView(row.message_id, row.text, row.updated_by)
            for row in rows.all()
        }

    async def counts(self) -> dict[str, int]:
        """How many overrides the tenant has in each locale."""
        rows = await self.session.execute(
            select(UiTextOverride.locale, func.count())
            .where(UiTextOverride.tenant_id == self.tenant.id)
            .group_by(UiTextOverride.locale)
        )
        return {locale: count for locale, count in rows.tuples()}

    def check(self, locale: str, message_id: str, text: str) -> UiMessage:
        """The message ``text`` would reword; raises :class:`OverrideRefusedError` if it may not.

        An empty ``text`` is a removal: only the locale is checked then, so an
        override of a message the platform has since dropped can still go.
        """
        if locale not in self.tenant.locales:
            raise OverrideRefusedError(
                N_("{locale} is not one of this tenant's languages"),
                detail={"field": "locale"},
                locale=locale,
            )
        message = next((m for m in self.messages() if m.id == message_id), None)
        if message is None:
            raise OverrideRefusedError(
                N_("the platform has no UI text {text!r} that can be reworded"),
                detail={"field": "message_id"},
                text=message_id,
            )
        if len(text) > MAX_TEXT_LENGTH:
            raise OverrideRefusedError(
                N_("the text is too long (at most {count} characters)"),
                detail={"field": "text"},
                count=MAX_TEXT_LENGTH,
            )
        mismatch = placeholder_mismatch(message, text)
        if mismatch.missing:
            raise OverrideRefusedError(
                N_("keep the placeholders of the original text: {names} missing"),
                detail={"field": "text", "missing": list(mismatch.missing)},
                names=_shown(mismatch.missing, message),
            )
        if mismatch.unknown:
            raise OverrideRefusedError(
                N_("the original text has no placeholder {names}"),
                detail={"field": "text", "unknown": list(mismatch.unknown)},
                names=_shown(mismatch.unknown, message),
            )
        if mismatch.malformed:
            raise OverrideRefusedError(
                N_(
                    "the placeholders of this text cannot be read: "
                    "write a percent sign as %% and use braces only around placeholder names"
                ),
                detail={"field": "text"},
            )
        return message

    async def set(self, locale: str, message_id: str, text: str, *, actor: str) -> Change:
        """Save the tenant's wording of ``message_id`` in ``locale``; empty text removes it."""
        text = text.strip()
        if not text:
            if locale not in self.tenant.locales:
                self.check(locale, message_id, text)
            return await self.remove(locale, message_id, actor=actor)
        self.check(locale, message_id, text)
        row = await self._row(locale, message_id)
        if row is not None and row.text == text:
            return Change.UNCHANGED
        before = row.text if row is not None else None
        if row is None:
            row = UiTextOverride(locale=locale, message_id=message_id)
            self.session.add(row)
        row.text = text
        row.updated_by = actor
        row.updated_at = utcnow()
        change = Change.CREATED if before is None else Change.UPDATED
        await self._changed(actor, change, locale, message_id, before=before, after=text)
        await self.session.flush()
        return change

    async def remove(self, locale: str, message_id: str, *, actor: str) -> Change:
        row = await self._row(locale, message_id)
        if row is None:
            return Change.UNCHANGED
        before = row.text
        await self.session.delete(row)
        await self._changed(actor, Change.REMOVED, locale, message_id, before=before, after=None)
        await self.session.flush()
        return Change.REMOVED

    async def _row(self, locale: str, message_id: str) -> UiTextOverride | None:
        row: UiTextOverride | None = await self.session.scalar(
            select(UiTextOverride).where(
                UiTextOverride.tenant_id == self.tenant.id,
                UiTextOverride.locale == locale,
                UiTextOverride.message_id == message_id,
            )
        )
        return row

    async def _changed(
        self,
        actor: str,
        change: Change,
        locale: str,
        message_id: str,
        *,
        before: str | None,
        after: str | None,
    ) -> None:
        """Audited, the revision bumped (other processes reload), this process's copy dropped."""
        await bump_counter(self.session, UiTextRevision, self.tenant.id)
        audit.record(
            self.session,
            actor=actor,
            action=f"ui_text.{change.value}",
            detail={"locale": locale, "message_id": message_id, "before": before, "after": after},
        )
        if self.on_change is not None:
            on_commit(self.session, self.on_change)
