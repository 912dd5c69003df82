"""Every route says which hosts it answers on; none is left to a default."""

from __future__ import annotations

from litestar import Litestar

from asan.api.hosts import HOST_OPT, ServedOn


def test_every_route_declares_its_host(app: Litestar) -> None:
    undeclared = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get(HOST_OPT) not in set(ServedOn):
                undeclared.append(f"{route.path} ({handler.handler_name})")
    assert not undeclared, f"routes without opt={{'host': ...}}: {undeclared}"


def test_only_probes_and_documentation_answer_on_any_host(app: Litestar) -> None:
    anywhere = sorted(
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if handler.opt.get(HOST_OPT) == ServedOn.ANY
    )
    assert all(
        path in ("/healthz", "/readyz", "/metrics")
        or path.startswith(("/schema", "/console/static/"))
        for path in anywhere
    ), anywhere
