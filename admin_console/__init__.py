"""The admin console: server-rendered pages for tenant admins and the central team.

It calls the same services as the JSON API (``asan.*``) and never the other
way round: ``asan`` does not import this package; it joins the app through the
``asan.app`` entry point (``admin_console.plugin:ConsolePlugin``).

Pages are Jinja2 templates rendered on the server; htmx (vendored under
``static/vendor/htmx``) swaps fragments where that helps, and every main flow
also works as plain links and forms without JavaScript. Each page is in the
signed-in person's language, right-to-left where the language is.
"""
