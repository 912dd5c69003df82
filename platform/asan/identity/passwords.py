"""Argon2id password hashing, off the event loop.

Hashing is deliberately slow (tens of milliseconds); running it in a worker
thread keeps one login from stalling every other request of the process.
"""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 "low memory" defaults

# Verified against when the account does not exist, so that a wrong username
# takes as long as a wrong password and does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hash_password_async(password: str) -> str:
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(encoded: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(_verify, encoded or _DUMMY_HASH, password) and (
        encoded is not None
    )


def needs_rehash(encoded: str) -> bool:
    return _hasher.check_needs_rehash(encoded)
