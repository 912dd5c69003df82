"""``asan serve``: the production ASGI server (uvicorn)."""

from __future__ import annotations

import click

from asan.cli._context import CliContext


def run_server(
    context: CliContext, *, host: str, port: int, workers: int, reload: bool = False
) -> None:
    import uvicorn

    settings = context.settings  # fail here, with one line, before any worker starts
    uvicorn.run(
        "asan.api.app:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        log_config=None,
        server_header=False,
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="Worker processes."
)
@click.pass_obj
def serve(context: CliContext, host: str, port: int, workers: int) -> None:
    """Serve the API on HOST:PORT; tenants are told apart by the Host header."""
    run_server(context, host=host, port=port, workers=workers)
