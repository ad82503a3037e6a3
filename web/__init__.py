"""The web application: starlette routes, templates, sessions and the JSON API."""
