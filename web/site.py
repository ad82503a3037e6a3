"""Everything one web process serves from: the wiki, its read model, the search index,
the account table, the mailer and the secrets, opened once and closed together."""

import logging
from contextlib import ExitStack
from dataclasses import dataclass, field

from argon2 import PasswordHasher

from search.index import SearchIndex
from search.indexer import SearchProjector, open_search_projector
from storage.accounts import AccountStore
from storage.eventstore import open_projector, open_wiki
from storage.identities import IdentityStore
from storage.queries import WikiReader
from storage.readlog import SuppressedReads
from storage.readmodel import SqlProjector
from web.mail import Mailer, mailer_for
from web.pagecache import PageCache
from web.ratelimit import RateLimits
from wikiengine.application import Wiki
from wikiengine.config import Settings, secret_keys

logger = logging.getLogger(__name__)
READ_YOUR_WRITES_TIMEOUT = 10.0  # seconds a request waits for the views after a save


@dataclass
class Site:
    """The parts of a running wiki that requests use; `close` releases them all."""

    settings: Settings
    wiki: Wiki
    projector: SqlProjector  # keeps `reader`'s views current (when started)
    search_projector: SearchProjector | None
    accounts: AccountStore
    identities: IdentityStore  # OpenID Connect identities (issuer, subject) -> author
    suppressed_reads: SuppressedReads  # administrators' reads of suppressed text
    mailer: Mailer
    secret_keys: tuple[str, ...]
    rate_limits: RateLimits = field(default_factory=RateLimits)
    page_cache: PageCache = field(default_factory=PageCache)
    reader: WikiReader = field(init=False)

    def __post_init__(self) -> None:
        self.reader = WikiReader(self.projector.view, self.wiki)

    @property
    def search(self) -> SearchIndex | None:
        return self.search_projector.view if self.search_projector is not None else None

    def saw(self, notification_id: int | None) -> None:
        """Read your writes: wait until the views include a save this request made.

        A save is committed whatever the views do: when they lag too long, the answer
        goes out anyway (the next page may briefly show the state before), never a 500.
        """
        try:
            self.projector.wait(notification_id, timeout=READ_YOUR_WRITES_TIMEOUT)
        except TimeoutError:
            logger.warning(
                "the read model did not reach position %s within %s s; answering anyway",
                notification_id,
                READ_YOUR_WRITES_TIMEOUT,
            )

    def views_current(self) -> None:
        """Wait until the views include everything saved so far (tests, the demo)."""
        self.saw(self.wiki.recorder.max_notification_id())

    def close(self) -> None:
        with ExitStack() as closing:
            closing.callback(self.wiki.close)
            closing.callback(self.projector.view.close)
            if self.search_projector is not None:
                closing.callback(self.search_projector.view.close)


def open_site(
    settings: Settings,
    wiki: Wiki | None = None,
    *,
    with_search: bool = True,
    hasher: PasswordHasher | None = None,
    mailer: Mailer | None = None,
) -> Site:
    """Open what a web process needs; on any failure nothing is left open."""
    opened = wiki or open_wiki(settings)
    with ExitStack() as undo:
        undo.callback(opened.close)
        projector = open_projector(settings, opened)
        undo.callback(projector.view.close)
        search = open_search_projector(settings, opened) if with_search else None
        site = Site(
            settings=settings,
            wiki=opened,
            projector=projector,
            search_projector=search,
            accounts=AccountStore(opened, hasher=hasher),
            identities=IdentityStore(opened),
            suppressed_reads=SuppressedReads(opened),
            mailer=mailer or mailer_for(settings.mail),
            secret_keys=secret_keys(settings),
        )
        undo.pop_all()
    return site
