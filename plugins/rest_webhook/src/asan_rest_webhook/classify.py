"""Which failures are worth retrying: the delivery worker's next step depends on it.

Retryable means the same call later may succeed (the agency is down, slow,
overloaded, or its answer was lost on the way); final means the agency has
refused this request and sending the same bytes again cannot help. Messages
name the call, the HTTP status and the agency's error code, never a secret or
the application's content.
"""

from __future__ import annotations

import httpx

from asan.plugins import ConnectorError, FinalError, RetryableError
from asan_rest_webhook.documents import read_error

RETRYABLE_STATUSES = frozenset({408, 425, 429})
"""Client errors that say "not now" rather than "not this"."""


def transport_failure(
    exc: Exception, *, call: str, timeout_seconds: float, transport_id: str | None
) -> RetryableError:
    """A call that got no complete answer: nothing is known, so it may be tried again.

    Submits are safe to repeat because the agency deduplicates by the
    ``Idempotency-Key`` header.
    """
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        reason = f"no answer within {timeout_seconds:g}s"
    elif isinstance(exc, httpx.ConnectError):
        reason = "could not connect"
    elif isinstance(exc, httpx.RemoteProtocolError):
        reason = "the connection closed before a complete answer"
    else:
        reason = f"transport error ({type(exc).__name__})"
    return RetryableError(f"{call}: {reason}", transport_id=transport_id)


def refusal(response: httpx.Response, *, call: str, transport_id: str | None) -> ConnectorError:
    """The error for an answer that is not a success."""
    code = response.status_code
    detail = read_error(response.content)
    if code >= 500 or code in RETRYABLE_STATUSES:
        retry_after = response.headers.get("Retry-After")
        hint = f", retry after {retry_after[:32]}" if retry_after else ""
        return RetryableError(
            f"{call}: the agency answered {code} ({detail}){hint}", transport_id=transport_id
        )
    if code in (401, 403):
        return FinalError(
            f"{call}: the agency refused our signature ({code}: {detail}); check that both "
            "sides hold the same shared_secret and that the clocks agree",
            transport_id=transport_id,
        )
    if 300 <= code < 400:
        return FinalError(
            f"{call}: the agency answered a redirect ({code}); base_url is probably wrong",
            transport_id=transport_id,
        )
    if 400 <= code < 500:
        return FinalError(
            f"{call}: the agency refused ({code}: {detail})", transport_id=transport_id
        )
    # 1xx or something outside HTTP: not a refusal, so not final.
    return RetryableError(f"{call}: unexpected answer {code}", transport_id=transport_id)
