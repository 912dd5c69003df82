"""The delivery loop inside the web process, for the embedded SQLite set-up.

With SQLite (``make run``) there is one process and no ``asan worker``, so
``asan serve`` runs the worker loop beside the server; with PostgreSQL,
separate ``asan worker`` processes do it (``ASAN_DELIVERY_IN_PROCESS``).
"""

from __future__ import annotations

import asyncio

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.plugins import InitPluginProtocol

from asan.applications.delivery import DeliveryWorker


class DeliveryLoopPlugin(InitPluginProtocol):
    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.on_startup.append(self._start)
        app_config.on_shutdown.insert(0, self._stop_loop)
        return app_config

    async def _start(self, app: Litestar) -> None:
        worker = DeliveryWorker(
            app.state.database,
            app.state.settings,
            host=app.state.plugin_host,
            registry=app.state.registry,
        )
        self._task = asyncio.create_task(worker.run(self._stop), name="asan-delivery-loop")

    async def _stop_loop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
