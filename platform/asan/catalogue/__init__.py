"""The service catalogue: each tenant's agencies, life-event categories and services.

Owns the catalogue tables (``models``), the bundle file format and its
validation (``bundle``), the rules of the service lifecycle and of import and
export (``service``), the per-tenant cache of what the public sees
(``published``), display formatting (``display``) and the routes (``api``).
"""
