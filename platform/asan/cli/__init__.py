"""The ``asan`` command line: thin commands over the same services as the API.

Each sub-group lives in its own module; ``main`` turns platform errors into
one line each (a traceback only with ``--verbose``).
"""

from asan.cli._main import cli, main

__all__ = ["cli", "main"]
