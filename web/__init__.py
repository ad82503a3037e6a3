"""The web application (starlette): reading, editing, accounts and the JSON API.

`app` (routes, middleware, lifespan, the uvicorn worker factory) over a `site` (what one
process serves from). Pages: `views` and `reading` (reading, history, diff, blame,
credits, recent changes, authors), `editing` (editor, preview, merge screen, revert,
rename), `search`, `accounts`, `account_page`, `password_reset`, `registration`, `oidc`
(OpenID Connect login), `admin` (identity confirmation queue). JSON: `api`,
`api_models`, `openapi`. Shared: `auth` (who is asking), `csrf`, `sessions`, `limits`,
`ratelimit`, `headers`, `i18n`, `mail`, `forms`, `errors` (error types to HTTP statuses,
in one place), `templating`, `templates/`, `static/`, `locale/`.
"""
