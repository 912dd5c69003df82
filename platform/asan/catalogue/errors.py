"""What can go wrong with the catalogue, as domain errors (mapped to HTTP in one place)."""

from __future__ import annotations

from asan.errors import AsanError, NotFoundError


class CatalogueEntryNotFoundError(NotFoundError):
    code = "catalogue_entry_not_found"


class CatalogueConflictError(AsanError):
    code = "catalogue_conflict"
    status = 409


class PublishRefusedError(AsanError):
    """The draft lacks text in a language the tenant offers; ``detail["missing"]`` says where."""

    code = "publish_refused"
    status = 422
