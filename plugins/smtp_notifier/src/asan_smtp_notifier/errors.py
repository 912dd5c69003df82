"""What an SMTP failure means for the platform: try again later, or a person must look.

SMTP says it in the reply code: 4xx is a transient refusal (greylisting,
mailbox busy, server overloaded), 5xx a permanent one (unknown mailbox, bad
credentials). Anything at the network level (refused, reset, timed out) is
transient. Server texts often quote the recipient's address; it is masked,
since these messages end up in logs.
"""

from __future__ import annotations

import re
import smtplib
import ssl

from asan.plugins import ConnectorError, FinalError, RetryableError


def _by_code(code: int, what: str) -> ConnectorError:
    if 500 <= code <= 599:
        return FinalError(what)
    return RetryableError(what)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def classify(exc: Exception, *, recipient: str) -> ConnectorError:
    """The platform's error for a failed delivery; the recipient never appears in its text."""
    error: ConnectorError
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in exc.recipients.values()]
        # A 4xx for any recipient means that trying again may still deliver.
        code = min(codes, default=0)
        replies = "; ".join(f"{code} {_text(reply)}" for code, reply in exc.recipients.values())
        error = _by_code(code, f"the SMTP server refused the recipient: {replies}")
    elif isinstance(exc, smtplib.SMTPAuthenticationError):
        error = _by_code(
            exc.smtp_code, f"SMTP authentication failed: {exc.smtp_code} {_text(exc.smtp_error)}"
        )
    elif isinstance(exc, smtplib.SMTPResponseException):
        error = _by_code(
            exc.smtp_code, f"the SMTP server answered {exc.smtp_code} {_text(exc.smtp_error)}"
        )
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        error = RetryableError(f"the SMTP server closed the connection: {exc}")
    elif isinstance(exc, smtplib.SMTPException):
        # Missing extensions (AUTH, STARTTLS, SMTPUTF8) and the like: the server
        # and our settings do not fit, and will not by themselves.
        error = FinalError(f"the SMTP server cannot take this email: {exc}")
    elif isinstance(exc, ssl.SSLCertVerificationError):
        error = FinalError(f"the SMTP server's TLS certificate is not trusted: {exc}")
    elif isinstance(exc, OSError):
        error = RetryableError(f"cannot reach the SMTP server: {type(exc).__name__}: {exc}")
    else:
        error = RetryableError(f"sending failed: {type(exc).__name__}")
    return _masked(error, recipient)


def _masked(error: ConnectorError, recipient: str) -> ConnectorError:
    text = re.sub(re.escape(recipient), "<recipient>", str(error), flags=re.IGNORECASE)
    return error if text == str(error) else type(error)(text)
