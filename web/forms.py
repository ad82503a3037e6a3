"""What the account and administration pages share: who is knocking (for rate limits),
where a login may send someone back to, and the way to the login form."""

import ipaddress
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse

from storage.accounts import Account, normalise_email
from web.ratelimit import RateLimited
from web.site import Site
from wikiengine.errors import InvalidInput

NO_STORE = {"Cache-Control": "no-store"}  # pages with a one-time token or a secret link


def client_address(request: Request) -> str:
    """Who is knocking, for rate limits: the client's address as the server sees it
    (behind a trusted proxy uvicorn makes it the real one), an IPv6 address by its /64,
    since one household or machine holds a whole /64."""
    host = request.client.host if request.client is not None else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return host


def hit(site: Site, action: str, request: Request) -> None:
    """Count an attempt at `action` from this client; raises `RateLimited` (429)."""
    site.rate_limits.hit(action, client_address(request))


def hit_password_guess(site: Site, email: str) -> None:
    """Count a password tried for this address, from anywhere; raises `RateLimited`."""
    site.rate_limits.hit("password-guess", email.strip().lower())


def account_to_mail(site: Site, email: str) -> Account | None:
    """The account an address names, if a mail may go to it now (a valid address, under
    the per-recipient limit); None otherwise, quietly: the pages that send such mail
    answer the same either way, so nothing tells whether the address has an account."""
    try:
        address = normalise_email(email)
        site.rate_limits.hit("mail-recipient", address)
    except (InvalidInput, RateLimited):
        return None
    return site.accounts.by_email(address)


def local_path(value: str | None, default: str = "/") -> str:
    """`value` if it is a path on this wiki, else `default`: a login's `next` must never
    send anyone to another site (`//evil.example`, `/\\evil.example`, `https://...`)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if "\\" in value or any(ord(character) < 0x21 or character == "\x7f" for character in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def login_redirect(request: Request) -> RedirectResponse:
    """To the login form, and back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': here})}", status_code=303)
