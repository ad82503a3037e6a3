"""Resetting a forgotten password by e-mail.

The mailed link is signed, valid for an hour, and carries a fingerprint of the password
hash it was made for: once the password has changed, the same link no longer matches, so
it works once. Asking for a link answers the same whether or not the address has an
account (no way to find out who has one).
"""

from uuid import UUID

import itsdangerous

from web.forms import account_to_mail
from web.i18n import gettext as _
from web.site import Site
from wikiengine.errors import InvalidInput

RESET_PASSWORD_SALT = "reset-password"  # noqa: S105 (a purpose label, not a secret)
RESET_PASSWORD_MAX_AGE = 60 * 60
LINK_USED = "The link has been used already; ask for a new one."


def send_reset_link(site: Site, email: str) -> None:
    """Mail a reset link if the address has an account; silently nothing otherwise.

    Blocking (the store, mail): call it off the event loop, or after the response.
    """
    account = account_to_mail(site, email)
    fingerprint = site.accounts.password_fingerprint(account.author_id) if account else None
    if account is None or fingerprint is None:
        return
    token = _serializer(site).dumps({"author": str(account.author_id), "password": fingerprint})
    link = f"{site.settings.base_url}/reset-password/new?token={token}"
    site.mailer.send(
        account.email,
        _("Nyt kodeord til Innovationswiki"),
        _(
            "Du (eller en anden) har bedt om at nulstille kodeordet til din konto.\n\n"
            "Vælg et nyt kodeord her:\n\n{link}\n\n"
            "Linket virker i en time og kun én gang. Har du ikke bedt om det,"
            " kan du se bort fra denne mail; dit kodeord er uændret.\n"
        ).format(link=link),
    )


def author_of_reset(site: Site, token: str) -> UUID:
    """The author a reset link is for; raises InvalidInput when it is forged, expired or
    used (the password has changed since it was made)."""
    author_id, fingerprint = _claims(site, token)
    if site.accounts.password_fingerprint(author_id) != fingerprint:
        raise InvalidInput(LINK_USED)
    return author_id


def reset_password(site: Site, token: str, password: str) -> UUID:
    """Set the new password the link allows; returns the author (to log them in).

    The address is confirmed too: the link reached it. Blocking (argon2).
    """
    author_id, fingerprint = _claims(site, token)
    if not site.accounts.set_password(author_id, password, fingerprint=fingerprint):
        raise InvalidInput(LINK_USED)
    return author_id


def _claims(site: Site, token: str) -> tuple[UUID, str]:
    try:
        claims = _serializer(site).loads(token, max_age=RESET_PASSWORD_MAX_AGE)
        return UUID(claims["author"]), str(claims["password"])
    except itsdangerous.SignatureExpired:
        raise InvalidInput("The link has expired; ask for a new one.") from None
    except (itsdangerous.BadData, KeyError, TypeError, ValueError):
        raise InvalidInput("The link is not valid.") from None


def _serializer(site: Site) -> itsdangerous.URLSafeTimedSerializer:
    return itsdangerous.URLSafeTimedSerializer(list(site.secret_keys), salt=RESET_PASSWORD_SALT)
