"""Benchmark: authorization decisions, the platform's PolicyEngine against plain casbin.

10, 100 and 1,000 tenants of 50 rules each (10 ``p`` lines for two roles of
their own, 40 ``g`` lines granting template or own roles to 40 users) on top
of the shipped platform templates, loaded into:

- **engine**: ``asan.authz.PolicyEngine``, each tenant compiled to lookups;
- **casbin**: a plain ``casbin.Enforcer`` on ``asan.authz.CASBIN_MODEL``,
  loaded through an adapter (``asan.authz.casbin_enforcer``);
- **engine-hot**: the same engine as the row above it, asked only about the
  first 10 tenants. It separates what the engine does per decision (the same
  lookups at every size) from what the processor's caches do: requests spread
  over a thousand tenants touch more memory than fits in them.

Requests are random: users of a random tenant (a few with no role at all)
and random tenant permissions; the share allowed is shown. Casbin answers
the same requests in the same run, within a time budget (so fewer of them at
1,000 tenants), and must agree with the engine on every one. Decisions per
second come from a loop without timers (for casbin, from the timed loop);
p50 and p99 from timing each decision. Memory is what tracemalloc sees
allocated by loading the rules, templates included; load time is measured
separately, without tracemalloc.

Run with ``make bench`` (or ``python -m tests.perf.bench_authz`` from the checkout).
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from asan.authz import (
    PERMISSIONS,
    ROLES,
    PolicyEngine,
    PolicyRule,
    RoleGrant,
    Rule,
    Scope,
    casbin_enforcer,
    platform_templates,
    split_permission,
)

TENANT_COUNTS = (10, 100, 1000)
HOT_TENANTS = 10
OWN_RULES = 10
GRANTS = 40
ENGINE_DECISIONS = 200_000
CASBIN_SECONDS = 4.0
CASBIN_MIN_DECISIONS = 50
WARM_UP = 1_000

Request = tuple[str, str, str]
Decide = Callable[[str, str, str], bool]
TENANT_PERMISSIONS = [name for name, p in PERMISSIONS.items() if p.scope is Scope.TENANT]
TEMPLATE_ROLES = [name for name, role in ROLES.items() if role.scope is Scope.TENANT]


@dataclass(frozen=True, slots=True)
class Row:
    enforcer: str
    tenants: int
    rules: int
    per_second: float
    latencies: list[float]
    """Microseconds, one per decision timed."""
    allowed: float
    """The share of the requests asked that were allowed."""
    memory: float | None = None
    load: float | None = None


def tenant_code(index: int) -> str:
    return f"t{index:04d}"


def tenant_rules(index: int, rng: random.Random) -> list[Rule]:
    domain = tenant_code(index)
    own_roles = (f"desk_lead_{index}", f"night_clerk_{index}")
    rules: list[Rule] = [
        PolicyRule(own_roles[i % 2], domain, permission)
        for i, permission in enumerate(rng.sample(TENANT_PERMISSIONS, OWN_RULES))
    ]
    roles = [*TEMPLATE_ROLES, *own_roles]
    rules += [RoleGrant(f"user{i}@{domain}", rng.choice(roles), domain) for i in range(GRANTS)]
    return rules


def requests(tenants: int, count: int, rng: random.Random) -> list[Request]:
    made = []
    for _ in range(count):
        domain = tenant_code(rng.randrange(tenants))
        user = f"user{rng.randrange(GRANTS + 4)}@{domain}"  # a few have no role at all
        made.append((user, domain, rng.choice(TENANT_PERMISSIONS)))
    return made


def load(build: Callable[[], Any]) -> tuple[Any, float, float]:
    """What ``build`` returns, the seconds it takes, and the MiB it leaves allocated."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    counted = build()
    gc.collect()
    memory = (tracemalloc.get_traced_memory()[0] - before) / 2**20
    tracemalloc.stop()
    del counted
    started = time.perf_counter()
    built = build()
    return built, time.perf_counter() - started, memory


def timed(decide: Decide, asked: Sequence[Request]) -> list[float]:
    clock = time.perf_counter_ns
    latencies = []
    for user, domain, permission in asked:
        started = clock()
        decide(user, domain, permission)
        latencies.append((clock() - started) / 1000)
    return latencies


def rate(decide: Decide, asked: Sequence[Request]) -> float:
    started = time.perf_counter()
    for user, domain, permission in asked:
        decide(user, domain, permission)
    return len(asked) / (time.perf_counter() - started)


def p99(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=100)[98]


def engine_row(
    name: str, engine: PolicyEngine, tenants: int, rules: int, asked: list[Request]
) -> Row:
    timed(engine.enforce, asked[:WARM_UP])
    allowed = sum(engine.enforce(*request) for request in asked) / len(asked)
    return Row(
        name, tenants, rules, rate(engine.enforce, asked), timed(engine.enforce, asked), allowed
    )


def casbin_row(
    casbin: Any, engine: PolicyEngine, tenants: int, rules: int, asked: list[Request]
) -> Row:
    def decide(user: str, domain: str, permission: str) -> bool:
        return bool(casbin.enforce(user, domain, *split_permission(permission)))

    timed(decide, asked[:20])
    latencies: list[float] = []
    allowed = 0
    deadline = time.perf_counter() + CASBIN_SECONDS
    for request in asked:
        if time.perf_counter() > deadline and len(latencies) >= CASBIN_MIN_DECISIONS:
            break
        started = time.perf_counter_ns()
        decision = decide(*request)
        latencies.append((time.perf_counter_ns() - started) / 1000)
        if decision is not engine.enforce(*request):
            raise AssertionError(f"engine and casbin disagree on {request}")
        allowed += decision
    per_second = len(latencies) / (sum(latencies) / 1e6)
    return Row("casbin", tenants, rules, per_second, latencies, allowed / len(latencies))


def measure(tenants: int, rng: random.Random) -> list[Row]:
    everything = [
        *platform_templates().casbin_rules,
        *(rule for index in range(tenants) for rule in tenant_rules(index, rng)),
    ]
    rules = len(everything)
    asked = requests(tenants, ENGINE_DECISIONS, rng)

    engine, engine_load, engine_memory = load(lambda: PolicyEngine(everything))
    rows = [engine_row("engine", engine, tenants, rules, asked)]
    rows[0] = replace(rows[0], memory=engine_memory, load=engine_load)
    if tenants > HOT_TENANTS:
        hot = requests(HOT_TENANTS, ENGINE_DECISIONS, rng)
        rows.append(engine_row("engine-hot", engine, tenants, rules, hot))

    casbin, casbin_load, casbin_memory = load(lambda: casbin_enforcer(everything))
    row = casbin_row(casbin, engine, tenants, rules, asked)
    rows.append(replace(row, memory=casbin_memory, load=casbin_load))
    return rows


def main() -> None:
    casbin_enforcer([])  # import pycasbin now, not while its memory is being counted
    rng = random.Random(4)
    print(
        f"authorization decisions: N tenants x {OWN_RULES + GRANTS} rules "
        f"+ {len(platform_templates().rules)} template rules; engine answers "
        f"{ENGINE_DECISIONS} requests, casbin {CASBIN_SECONDS:.0f} s worth "
        f"(at least {CASBIN_MIN_DECISIONS}), every one compared with the engine"
    )
    print(
        f"{'tenants':>7} {'rules':>6} {'enforcer':<10} {'decisions/s':>12} {'p50 us':>9} "
        f"{'p99 us':>9} {'p99 vs 10':>9} {'memory MiB':>10} {'load s':>7} {'asked':>7} "
        f"{'allowed':>7}"
    )
    baseline: dict[str, float] = {}
    for tenants in TENANT_COUNTS:
        for row in measure(tenants, rng):
            slowest = p99(row.latencies)
            base = baseline.setdefault(row.enforcer.split("-")[0], slowest)
            memory = f"{row.memory:.2f}" if row.memory is not None else ""
            seconds = f"{row.load:.2f}" if row.load is not None else ""
            print(
                f"{row.tenants:>7} {row.rules:>6} {row.enforcer:<10} {row.per_second:>12,.0f} "
                f"{statistics.median(row.latencies):>9.2f} {slowest:>9.2f} "
                f"{slowest / base:>8.2f}x {memory:>10} {seconds:>7} "
                f"{len(row.latencies):>7} {row.allowed:>7.0%}"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
