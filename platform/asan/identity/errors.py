"""Authentication errors. Messages never say whether the username exists."""

from __future__ import annotations

from asan.errors import AsanError


class NotAuthenticatedError(AsanError):
    code = "not_authenticated"
    status = 401


class AccountLockedError(AsanError):
    code = "account_locked"
    status = 423


class TooManyAttemptsError(AsanError):
    code = "too_many_attempts"
    status = 429


class ForbiddenError(AsanError):
    code = "forbidden"
    status = 403
