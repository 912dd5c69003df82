"""The service catalogue: each tenant's agencies, life-event categories and services.

Owns the catalogue tables (``models``), the bundle file format and its
validation (``bundle``), the rules of the service lifecycle (``service``, whose
``CatalogueService`` gathers the rest: ``store``, ``views``, ``transfer`` for
import and export, ``content`` for versions' differences), how much of it is
translated (``coverage``), the per-tenant cache of what the public sees
(``published``), display formatting (``display``) and the routes (``api``).
"""
