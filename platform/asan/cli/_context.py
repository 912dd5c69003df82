"""What every command shares: settings (read lazily, so --help works without them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from asan.config import Settings, load_settings
from asan.db import Database
from asan.db._database import PLATFORM_SCOPE_LOGGER
from asan.logging import configure_logging

T = TypeVar("T")


@dataclass(slots=True)
class CliContext:
    verbose: bool
    _settings: Settings | None = field(default=None, init=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
            configure_logging(self._settings, level="DEBUG" if self.verbose else "WARNING")
            # Cross-tenant work is always logged, whatever the level (see asan.db).
            logging.getLogger(PLATFORM_SCOPE_LOGGER).setLevel(logging.INFO)
        return self._settings

    def run_with_database(self, work: Callable[[Database], Awaitable[T]]) -> T:
        """Run ``work`` with a database on the runtime URL, closing it afterwards."""

        async def run() -> T:
            database = Database.from_url(self.settings.database.url, pool_size=2)
            try:
                return await work(database)
            finally:
                await database.dispose()

        return asyncio.run(run())
