"""The admin console: server-rendered pages for tenant admins and the central team.

It calls the same services as the JSON API (``asan.*``) and never the other
way round: ``asan`` does not import this package. The pages themselves arrive
with the admin-console work; until then this package holds no routes.
"""
