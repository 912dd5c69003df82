"""The HTTP side: the Litestar app, its request pipeline and its JSON routes.

``app.create_app`` only lists plugins, one per area: request context
(``context``: request id, tenant, transaction), errors (``errors``), health
probes (``health``), OpenAPI (``openapi``), the tenant API (``tenant``) and
the platform API (``platform``).
"""

from asan.api.app import create_app

__all__ = ["create_app"]
