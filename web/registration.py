"""Opening a local account, shared by the form (`/register`) and the API
(`POST /api/v1/accounts`): the author is registered under their full name, the account
row keeps the e-mail address and password hash, and a signed, expiring link confirms the
address. Editing still waits for an administrator to confirm the real name.
"""

from uuid import UUID

import itsdangerous

from storage.accounts import Account
from web.forms import account_to_mail
from web.i18n import gettext as _
from web.site import Site
from wikiengine.errors import InvalidInput

CONFIRM_EMAIL_SALT = "confirm-email"
CONFIRM_EMAIL_MAX_AGE = 48 * 60 * 60


class EmailAlreadyConfirmed(InvalidInput):
    """The link was used before (or a mail scanner opened it first): nothing to do but
    log in, which the link itself no longer does."""


def register_account(site: Site, *, name: str, email: str, password: str) -> UUID:
    """Register an author with an unconfirmed account and mail the confirmation link.

    Blocking (argon2, the store, mail): call it off the event loop. The address and
    password are checked before anything is signed, so a refused registration leaves
    no author behind. When the mail cannot be sent (`MailNotSent`) the account exists
    all the same, and the person can ask for a new link.
    """
    if not name.strip():
        raise InvalidInput("A full name is required.")
    address = site.accounts.check_new(email, password)
    author_id = site.wiki.register_author(name)
    site.accounts.create(author_id, address, password, confirmed=False)
    send_confirmation(site, author_id, address)
    return author_id


def send_confirmation(site: Site, author_id: UUID, address: str) -> None:
    token = _serializer(site).dumps({"author": str(author_id), "email": address})
    link = f"{site.settings.base_url}/verify-email?token={token}"
    site.mailer.send(
        address,
        _("Bekræft din e-mailadresse til Innovationswiki"),
        _(
            "Klik på linket for at bekræfte din e-mailadresse:\n\n{link}\n\n"
            "Linket virker i 48 timer. Derefter bekræfter en administrator dit navn,"
            " og så kan du redigere.\n"
        ).format(link=link),
    )


def resend_confirmation(site: Site, email: str) -> None:
    """A new link, if the address belongs to an account that is not confirmed yet.

    Says nothing either way: the page that asks answers the same for any address.
    """
    account = account_to_mail(site, email)
    if account is not None and not account.email_confirmed:
        send_confirmation(site, account.author_id, account.email)


def read_confirmation(site: Site, token: str) -> Account:
    """The unconfirmed account a confirmation link is for; raises InvalidInput when the
    token is forged, expired or for an address the account no longer has, and
    `EmailAlreadyConfirmed` when it was used before."""
    try:
        claims = _serializer(site).loads(token, max_age=CONFIRM_EMAIL_MAX_AGE)
        author_id, address = UUID(claims["author"]), str(claims["email"])
    except itsdangerous.SignatureExpired:
        raise InvalidInput("The confirmation link has expired; ask for a new one.") from None
    except (itsdangerous.BadData, KeyError, TypeError, ValueError):
        raise InvalidInput("The confirmation link is not valid.") from None
    account = site.accounts.by_email(address)
    if account is None or account.author_id != author_id:
        raise InvalidInput("The confirmation link is not valid.")
    if account.email_confirmed:
        raise EmailAlreadyConfirmed("This address is confirmed already; log in.")
    return account


def confirm_email(site: Site, token: str, password: str) -> UUID | None:
    """Confirm the address the token is for, if `password` is the account's: the author
    whose address it now is, or None for a wrong password.

    The link proves the mailbox, the password proves the person who registered: without
    it, someone could register in another's name and address, and the owner's click on
    the unexpected mail (or a mail scanner's) would confirm the impostor's account.
    """
    account = read_confirmation(site, token)
    if site.accounts.check_password(account.email, password) is None:
        return None
    site.accounts.confirm_email(account.author_id)
    return account.author_id


def _serializer(site: Site) -> itsdangerous.URLSafeTimedSerializer:
    return itsdangerous.URLSafeTimedSerializer(list(site.secret_keys), salt=CONFIRM_EMAIL_SALT)
