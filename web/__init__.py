"""The web application (starlette), read-only for now.

`app` (routes, middleware, lifespan, the uvicorn worker factory), `views` (HTML pages),
`api` (JSON API, signed export, published keys), `reading` (what a reader sees of a page
and its history), `errors` (error types to HTTP statuses, in one place), `headers`
(security headers), `templating` (Jinja2, autoescaped), `templates/` and `static/`.
"""
