"""The protocol's JSON documents: our requests, the agency's answers and callbacks.

Both carry the same object (``agency_reference``, ``status``, ``note``), so one
reader serves both directions. Two kinds of failure are kept apart because the
delivery worker treats them differently: bytes that are not JSON at all (an
answer cut short, a proxy's error page) may come right on a retry, while
well-formed JSON that breaks the protocol (a missing field, an unknown status
word) will come back the same and needs a person.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from asan.plugins import AgencyStatus
from asan_rest_webhook.vocabulary import platform_status

MAX_NOTE_LENGTH = 1000
"""Longer notes are cut: a note is shown in the application's timeline, not archived."""

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class UnreadableAnswerError(Exception):
    """The body is not JSON: cut short, or not written by the agency's service."""


class ProtocolViolationError(Exception):
    """The body is JSON but not a document this protocol defines."""


@dataclass(frozen=True, slots=True)
class AgencyState:
    """Where one application is, as the agency said it."""

    agency_reference: str
    agency_status: str
    status: AgencyStatus
    note: str


def is_agency_reference(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and bool(_REFERENCE.match(value))


def encode(document: Mapping[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the bytes signed are the bytes sent, so they are built once."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_object(body: bytes) -> dict[str, Any]:
    """The JSON object in ``body``."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableAnswerError(f"the body is not JSON ({len(body)} bytes)") from exc
    if not isinstance(document, dict):
        raise ProtocolViolationError(f"the body is JSON {type(document).__name__}, not an object")
    return document


def read_state(document: Mapping[str, Any], *, default_status: str | None = None) -> AgencyState:
    """The application state in an agency document; unknown extra fields are ignored.

    ``default_status`` is for the submit answer, where ``status`` may be left
    out and then means ``received``.
    """
    reference = document.get("agency_reference")
    if not is_agency_reference(reference):
        raise ProtocolViolationError(
            "agency_reference is missing or not 1-128 characters of A-Z a-z 0-9 . _ : -"
        )
    word = document.get("status", default_status)
    if not isinstance(word, str):
        raise ProtocolViolationError("status is missing or not text")
    status = platform_status(word)
    if status is None:
        raise ProtocolViolationError(f"status {word[:40]!r} is not a word of this protocol")
    note = document.get("note")
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ProtocolViolationError("note is not text")
    return AgencyState(reference, word, status, note[:MAX_NOTE_LENGTH])


def read_error(body: bytes) -> str:
    """A short account of an agency's error body, for the exception a person reads.

    The protocol's error body is ``{"error": code, "message": text}``; anything
    else is summarised by its size rather than quoted, since it could be a page
    of HTML or echo the application back.
    """
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return f"{len(body)} bytes, not JSON" if body else "no body"
    if not isinstance(document, dict):
        return "a JSON body that is not an object"
    code = document.get("error")
    message = document.get("message")
    parts = [str(code)[:64] if code is not None else "no error code"]
    if isinstance(message, str) and message:
        parts.append(message[:200])
    return ": ".join(parts)
