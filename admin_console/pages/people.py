"""Console pages: users and roles (staff accounts, API tokens, the role policy).

Split by seam: ``people_staff`` (accounts), ``people_tokens`` (machines'
credentials), ``people_roles`` (the matrix, the separation-of-duties report
and the policy editor); ``people_shared`` has what they share.
"""

from __future__ import annotations

from admin_console.pages import people_roles, people_staff, people_tokens

ROUTES = [*people_staff.ROUTES, *people_tokens.ROUTES, *people_roles.ROUTES]
