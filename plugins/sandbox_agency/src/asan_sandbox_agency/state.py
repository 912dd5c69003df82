"""What the simulated agency remembers, in this process only.

Decisions need no memory (see :mod:`asan_sandbox_agency.reference`), but a
withdrawal or a status forced by the contract harness does. That memory lives
here, in a per-process registry of named sandboxes: a restart forgets
cancellations and forced statuses, and another worker process never learns of
them. For a sandbox that is acceptable; a real agency keeps them in its own
database.

A sandbox also holds the switches a test harness flips (down, refusing, extra
latency), so that the connector under test, built only from settings, is
steered through the ``instance`` setting that names the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Application:
    idempotency_key: str
    agency_reference: str
    received_at: float
    """When this process first recorded it (the clock's time), for inspection only."""


@dataclass(slots=True)
class Override:
    agency_status: str
    note: str


@dataclass(slots=True)
class Sandbox:
    """One simulated agency: its recorded applications, overrides and failure switches."""

    down: bool = False
    """Every call fails as unavailable, and health is not ok."""
    refusing: bool = False
    """Every call is refused as invalid (a final error)."""
    extra_latency_seconds: float = 0.0
    """Added to the configured latency, so a harness can make the agency slow."""
    _applications: dict[str, list[Application]] = field(default_factory=dict)
    _overrides: dict[str, Override] = field(default_factory=dict)

    def find(self, idempotency_key: str) -> Application | None:
        recorded = self._applications.get(idempotency_key)
        return recorded[0] if recorded else None

    def record(self, application: Application) -> None:
        """Records unconditionally: the connector's job is to look before recording."""
        self._applications.setdefault(application.idempotency_key, []).append(application)

    def recorded(self, idempotency_key: str) -> int:
        return len(self._applications.get(idempotency_key, ()))

    def override(self, agency_reference: str) -> Override | None:
        return self._overrides.get(agency_reference)

    def set_override(self, agency_reference: str, agency_status: str, note: str) -> None:
        self._overrides[agency_reference] = Override(agency_status=agency_status, note=note)


_REGISTRY: dict[str, Sandbox] = {}


def sandbox_named(name: str) -> Sandbox:
    """The process's sandbox of that name, created on first use."""
    sandbox = _REGISTRY.get(name)
    if sandbox is None:
        sandbox = _REGISTRY[name] = Sandbox()
    return sandbox


def forget(name: str) -> None:
    """Drops a sandbox, so a finished harness leaves nothing behind."""
    _REGISTRY.pop(name, None)
