"""The sandbox's knobs, declared for the platform and read back for the connector.

The factory re-checks its settings with the platform's own checker instead of
trusting them: tests and the contract harness build connectors directly, and a
sandbox that silently ran with ``reject_rate = 7`` would make a demo lie.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asan.plugins import Setting, check_settings

DEFAULT_INSTANCE = "default"

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "decide_after_seconds",
        "number",
        "seconds after submission at which the agency decides (approves or refuses)",
        default=30.0,
        minimum=0,
    ),
    Setting(
        "reject_rate",
        "number",
        "fraction of applications the agency refuses (0..1), chosen by idempotency key",
        default=0.1,
        minimum=0,
        maximum=1,
    ),
    Setting(
        "failure_rate",
        "number",
        "probability (0..1) that any call fails as temporarily unavailable (retryable)",
        default=0.0,
        minimum=0,
        maximum=1,
    ),
    Setting(
        "latency_seconds",
        "number",
        "simulated delay before the agency answers each call",
        default=0.0,
        minimum=0,
    ),
    Setting(
        "timeout_seconds",
        "number",
        "how long the connector waits for an answer before giving up (retryable)",
        default=5.0,
        minimum=0.01,
    ),
    Setting(
        "seed",
        "integer",
        "seed of the random source behind failure_rate, for reproducible runs",
    ),
    Setting(
        "instance",
        "text",
        "name of the simulated agency; connectors naming the same instance share "
        "cancellations and recorded applications within one process",
        default=DEFAULT_INSTANCE,
    ),
)


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    decide_after_seconds: float
    reject_rate: float
    failure_rate: float
    latency_seconds: float
    timeout_seconds: float
    seed: int | None
    instance: str

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SandboxSettings:
        """Checked values with defaults; a ValueError names every problem at once."""
        values, problems = check_settings(SETTINGS, raw, where="sandbox_agency")
        if problems:
            raise ValueError("; ".join(str(problem) for problem in problems))
        seed = values.get("seed")
        return cls(
            decide_after_seconds=float(values["decide_after_seconds"]),
            reject_rate=float(values["reject_rate"]),
            failure_rate=float(values["failure_rate"]),
            latency_seconds=float(values["latency_seconds"]),
            timeout_seconds=float(values["timeout_seconds"]),
            seed=int(seed) if seed is not None else None,
            instance=str(values["instance"]),
        )
