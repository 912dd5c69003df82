"""One module per console area; each exports ``ROUTES`` for ``admin_console.plugin``."""
