"""What can go wrong with an application, one class per thing a caller must tell apart."""

from __future__ import annotations

from asan.errors import AsanError, NotFoundError, ValidationError


class ApplicationNotFoundError(NotFoundError):
    code = "application_not_found"


class ServiceNotOfferedError(NotFoundError):
    """No such service, or never published: nothing to apply for."""

    code = "service_not_found"


class ServiceRetiredError(AsanError):
    code = "service_retired"
    status = 410


class ChannelNotOfferedError(ValidationError):
    code = "channel_not_offered"


class IdempotencyKeyError(AsanError):
    """The Idempotency-Key header is missing or malformed."""

    code = "idempotency_key_invalid"
    status = 400


class IdempotencyConflictError(AsanError):
    """The key was used before with another body: two different applications, one key."""

    code = "idempotency_conflict"
    status = 409


class TransitionRefusedError(AsanError):
    code = "transition_refused"
    status = 409


class JobNotFoundError(NotFoundError):
    code = "delivery_job_not_found"
