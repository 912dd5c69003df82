"""Staff identity: who is making a request.

Owns staff accounts (per tenant) and platform operators (the central team),
Argon2id passwords with lockout after repeated failures (``passwords``,
``service``), server-side sessions in memory or Redis (``sessions``), API
tokens for machines, stored only as hashes (``service``), and the routes and
request step that turn a bearer token or session cookie into a principal
(``api``). What a principal may do is ``asan.authz``'s business.
"""
