"""Server-side sessions: in memory for one dev process, in Redis for several.

A session is found by its realm and the SHA-256 of its token. The realm is
the tenant's id (or ``platform``), so a token or cookie issued on tenant A's
host is simply not there when presented on tenant B's host.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import asdict, dataclass
from typing import Protocol

import redis.asyncio as redis


@dataclass(frozen=True, slots=True)
class SessionData:
    account_id: str
    username: str
    realm: str
    expires_at: float
    """Unix time."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore(Protocol):
    async def save(self, token: str, data: SessionData) -> None: ...

    async def load(self, realm: str, token: str) -> SessionData | None: ...

    async def delete(self, realm: str, token: str) -> None: ...

    async def hit(self, key: str, window_seconds: int) -> int:
        """Count an event in a fixed window (rate limits); returns the count so far."""
        ...

    async def count(self, key: str) -> int:
        """The count of ``key``'s current window (0 when none)."""
        ...

    async def forget(self, key: str) -> None:
        """End ``key``'s window (a successful sign-in clears its failures)."""
        ...


class MemorySessionStore:
    def __init__(self) -> None:
        self._sessions: dict[tuple[str, str], SessionData] = {}
        self._counters: dict[str, tuple[float, int, int]] = {}
        """key -> (window start, count, window length)"""

    async def save(self, token: str, data: SessionData) -> None:
        self._sessions[(data.realm, token_digest(token))] = data

    async def load(self, realm: str, token: str) -> SessionData | None:
        data = self._sessions.get((realm, token_digest(token)))
        if data is None or data.expires_at <= time.time():
            return None
        return data

    async def delete(self, realm: str, token: str) -> None:
        self._sessions.pop((realm, token_digest(token)), None)

    async def hit(self, key: str, window_seconds: int) -> int:
        count = await self.count(key)
        started = self._counters[key][0] if count else time.monotonic()
        self._counters[key] = (started, count + 1, window_seconds)
        return count + 1

    async def count(self, key: str) -> int:
        started, count, window = self._counters.get(key, (0.0, 0, 0))
        return count if time.monotonic() - started < window else 0

    async def forget(self, key: str) -> None:
        self._counters.pop(key, None)


class RedisSessionStore:
    def __init__(self, url: str) -> None:
        self._redis = redis.from_url(url)

    @staticmethod
    def _key(realm: str, token: str) -> str:
        return f"asan:session:{realm}:{token_digest(token)}"

    async def save(self, token: str, data: SessionData) -> None:
        ttl = max(1, int(data.expires_at - time.time()))
        await self._redis.set(self._key(data.realm, token), json.dumps(asdict(data)), ex=ttl)

    async def load(self, realm: str, token: str) -> SessionData | None:
        raw = await self._redis.get(self._key(realm, token))
        if raw is None:
            return None
        data = SessionData(**json.loads(raw))
        return data if data.realm == realm and data.expires_at > time.time() else None

    async def delete(self, realm: str, token: str) -> None:
        await self._redis.delete(self._key(realm, token))

    async def hit(self, key: str, window_seconds: int) -> int:
        name = f"asan:ratelimit:{key}"
        # The window is made with its expiry in one command, before counting:
        # a crash between INCR and EXPIRE would otherwise leave a key for ever.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=window_seconds, nx=True)
            pipe.incr(name)
            _, count = await pipe.execute()
        return int(count)

    async def count(self, key: str) -> int:
        value = await self._redis.get(f"asan:ratelimit:{key}")
        return int(value) if value is not None else 0

    async def forget(self, key: str) -> None:
        await self._redis.delete(f"asan:ratelimit:{key}")

    async def close(self) -> None:
        await self._redis.aclose()
