"""Access control at run time: each tenant's stored policy, enforced on every route.

Owns where a tenant's own policy lives and how it changes (``store``), the
per-process engine that answers "may this principal do this here" and keeps
up with changes made by other processes (``authorizer``), the guard every
route passes through (``guard``: deny unless the route's declared permission
is held, or the route is declared public) and the policy routes (``api``).
The rules themselves (roles, permissions, parsing, the engine) are
``asan.authz``'s; who the principal is, ``asan.identity``'s.
"""
