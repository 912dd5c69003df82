"""Applications: what citizens apply for, carried to agencies without loss.

``service`` holds the rules (shared by the API, the console and the CLI),
``lifecycle`` the statuses, ``deadlines`` the processing-time arithmetic,
``forms`` the checks of what an applicant sends, ``outbox`` the delivery jobs
written in the same transaction as the application, and ``delivery`` the
worker that carries them to agency connectors and notifiers.
"""
