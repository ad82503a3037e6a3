"""The application service: every command a caller can give the wiki.

Each command checks permissions (`wikiengine.permissions`), validates and normalises
input, builds and signs the payload, and only then triggers the aggregate event and
saves. The store's optimistic concurrency catches races; a race or a stale
`base_version` becomes a 3-way merge, and an overlapping change an `EditConflict`.
"""

import functools
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    EventSourcedLog,
    LRUCache,
)
from eventsourcing.persistence import RecordConflictError
from eventsourcing.utils import Environment

from wikiengine.attribution import (
    MAX_SUMMARY_LENGTH,
    OPERATOR,
    Actor,
    build_payload,
    format_signed_at,
)
from wikiengine.authors import ADMINISTRATOR, ROLES, Author
from wikiengine.authors import EVENT_TYPES as AUTHOR_EVENT_TYPES
from wikiengine.errors import (
    AuthorNotFound,
    EditConflict,
    Forbidden,
    InvalidInput,
    PageDeleted,
    PageExists,
    PageNotFound,
    RevisionNotFound,
    RevisionSuppressed,
    TooLarge,
    UnresolvedConflict,
)
from wikiengine.keyring import EVENT_TYPES as KEY_EVENT_TYPES
from wikiengine.keyring import KEYRING_ID, Keyring, current_kid
from wikiengine.kinds import check_page
from wikiengine.merge import conflict_line, merge_texts
from wikiengine.pages import EVENT_TYPES as PAGE_EVENT_TYPES
from wikiengine.pages import PAGE_LOG_ID, Page, PageLogged, Slug
from wikiengine.permissions import (
    require_administrator,
    require_editor,
    require_may_change_page,
)
from wikiengine.signed import SignedAggregate, SignedBodyEvent, SignedEvent
from wikiengine.signing import Signer, payload_digest
from wikiengine.text import normalise_text, sha256_hex
from wikiengine.titles import new_title, normalise_title, slug_for, slug_id

MAX_BODY_BYTES = 1_000_000
MAX_NAME_LENGTH = 120
SAVE_ATTEMPTS = 8
SLUG_CACHE_SIZE = 10_000

# Who gives a command: an author id, the CLI operator, or nobody (anonymous).
By = UUID | Actor | None
TAggregate = TypeVar("TAggregate", bound=SignedAggregate)
P = ParamSpec("P")
R = TypeVar("R")
EVENT_TYPES: dict[type, str] = {**PAGE_EVENT_TYPES, **AUTHOR_EVENT_TYPES, **KEY_EVENT_TYPES}


def retried_on_race(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command again when another save won the race; each run reloads and re-checks.

    Without this a concurrent edit surfaces as the store's `RecordConflictError`.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        for _ in range(SAVE_ATTEMPTS - 1):
            try:
                return command(*args, **kwargs)
            except RecordConflictError:
                continue
        return command(*args, **kwargs)

    return run


@dataclass(frozen=True)
class SaveResult:
    """What a caller learns from a saved change."""

    title: str
    version: int
    merged: bool
    changed: bool
    notification_id: int | None  # wait for projections up to here (read-your-writes)


class Wiki(Application[UUID]):
    """Innovationswiki's event-sourced application."""

    name = "Wiki"
    snapshotting_intervals = {Page: 100, Author: 100, Keyring: 100}
    env = {
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "AGGREGATE_CACHE_MAXSIZE": "2000",
    }

    def __init__(
        self,
        env: Mapping[str, str],
        signer: Signer,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(env)
        self.signer = signer
        self.clock = clock or (lambda: datetime.now(UTC))
        self.page_log: EventSourcedLog[PageLogged] = EventSourcedLog(
            self.events, PAGE_LOG_ID, PageLogged
        )
        # slug -> page id, remembered to spare a store query per lookup; checked on use.
        self._slug_targets: LRUCache[str, UUID] = LRUCache(maxsize=SLUG_CACHE_SIZE)

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Configuration comes from `wikiengine.config` only: stray process variables such
        # as WIKI_PERSISTENCE_MODULE must not silently re-point the store.
        settings = dict(type(self).env)
        settings["IS_SNAPSHOTTING_ENABLED"] = "y"
        settings.update(env or {})
        return Environment(name, settings)

    # ------------------------------------------------------------------ signing

    def _signed(
        self,
        event_class: type,
        aggregate_id: UUID,
        version: int,
        parent: str | None,
        actor: Actor,
        summary: str,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """Build and sign the payload for one event; returns the event's signed fields."""
        payload = build_payload(
            event_type=event_type_name(event_class),
            aggregate_id=aggregate_id,
            version=version,
            parent=parent,
            actor=actor,
            signed_at=format_signed_at(self.clock()),
            summary=summary,
            kid=self.signer.kid,
            data=data,
        )
        return {"payload": payload, "signature": self.signer.sign(payload)}

    def _trigger(
        self,
        aggregate: SignedAggregate,
        event_class: type[SignedEvent],
        actor: Actor,
        summary: str,
        data: dict[str, Any],
        **unsigned: Any,
    ) -> None:
        fields = self._signed(
            event_class, aggregate.id, aggregate.next_version, aggregate.head, actor, summary, data
        )
        aggregate.record(event_class, **fields, **unsigned)

    def _start(
        self,
        aggregate_class: type[TAggregate],
        event_class: type,
        aggregate_id: UUID,
        actor: Actor,
        summary: str,
        data: dict[str, Any],
        **unsigned: Any,
    ) -> TAggregate:
        fields = self._signed(event_class, aggregate_id, 1, None, actor, summary, data)
        aggregate: TAggregate = aggregate_class.start(
            event_class, id=aggregate_id, **fields, **unsigned
        )
        return aggregate

    def _log_page(self, page_id: UUID, actor: Actor, summary: str) -> PageLogged:
        last = self.page_log.get_last()
        version = 1 if last is None else last.originator_version + 1
        parent = None if last is None else payload_digest(last.payload)
        fields = self._signed(
            PageLogged, PAGE_LOG_ID, version, parent, actor, summary, {"page_id": str(page_id)}
        )
        return self.page_log.trigger_event(next_originator_version=version, **fields)

    def _save(self, *items: Any) -> int | None:
        recordings = self.save(*items)
        return recordings[-1].notification.id if recordings else None

    # ------------------------------------------------------------------ keys

    def publish_signing_key(self) -> None:
        """On first start, publish the signing key in a self-signed event.

        A key that is not in an existing keyring is refused: a new key must be published
        by a key auditors already trust (key rotation), never by itself. So is a key that
        a rotation replaced: a node still holding it must be given the current key file.
        """
        try:
            keyring = self._get(Keyring, KEYRING_ID)
        except AggregateNotFoundError:
            pass
        else:
            if self.signer.kid not in keyring.keys:
                raise Forbidden(
                    f"The signing key {self.signer.kid} is not in the published keyring"
                    f" ({', '.join(keyring.keys)}); publish it by key rotation."
                )
            current = current_kid(keyring.keys)
            if self.signer.kid != current:
                raise Forbidden(
                    f"The signing key {self.signer.kid} was replaced by key {current}"
                    f" (published {keyring.keys[current]['not_before']}): give this node the"
                    " wiki's current key file."
                )
            return
        if self.signer.predecessors:
            # A key that replaced others was published by them: a store without a keyring
            # lost its history (or had it deleted), and a self-published key would hide that.
            raise Forbidden(
                f"This store has no keyring, but the signing key {self.signer.kid} replaced"
                " earlier keys: restore the store from a backup; a rotated key never"
                " publishes itself."
            )
        data = {
            "new_kid": self.signer.kid,
            "public_key": self.signer.public.public_key_b64,
            "alg": "Ed25519",
            "not_before": format_signed_at(self.clock()),
        }
        keyring = self._start(
            Keyring, Keyring.Started, KEYRING_ID, OPERATOR, "Signing key published", data
        )
        try:
            self._save(keyring)
        except RecordConflictError:
            self.publish_signing_key()  # another process published at the same moment

    def rotate_signing_key(self, successor: Signer) -> int | None:
        """The operator replaces the signing key: `successor`'s public key is published
        in an event signed by the current key (the newest of the keyring: a replaced key
        hands over nothing, or a stolen old key could). From then on the wiki signs with
        `successor`; events signed before stay valid, and the old key signs nothing more.
        """
        try:
            keyring = self._get(Keyring, KEYRING_ID)
        except AggregateNotFoundError:
            raise Forbidden("No signing key is published yet: start the wiki first.") from None
        newest = current_kid(keyring.keys)
        if self.signer.kid != newest:
            raise Forbidden(
                f"Only the current signing key {newest} can hand over, not {self.signer.kid}."
            )
        if successor.kid in keyring.keys:
            raise InvalidInput(f"The key {successor.kid} is published already.")
        data = {
            "new_kid": successor.kid,
            "public_key": successor.public.public_key_b64,
            "alg": "Ed25519",
            "not_before": format_signed_at(self.clock()),
        }
        summary = f"Signing key {successor.kid} replaces {self.signer.kid}"
        self._trigger(keyring, Keyring.KeyPublished, OPERATOR, summary, data)
        nid = self._save(keyring)
        self.signer = successor
        return nid

    def published_keys(self) -> dict[str, dict[str, str]]:
        """kid -> {"public_key", "not_before"}, in publication order (the newest last)."""
        try:
            return dict(self._get(Keyring, KEYRING_ID).keys)
        except AggregateNotFoundError:
            return {}

    # ------------------------------------------------------------------ authors

    def register_author(self, name: str) -> UUID:
        """A person registers under their full name; they cannot edit until verified."""
        author_id = uuid4()
        clean_name = _clean_name(name)
        self_actor = Actor(id=str(author_id), name=clean_name, verification="none")
        author = self._start(
            Author, Author.Registered, author_id, self_actor, "Registered", {"name": clean_name}
        )
        self._save(author)
        return author_id

    @retried_on_race
    def verify_author(self, by: By, author_id: UUID) -> int | None:
        """An administrator (or the operator) confirms the author's real identity.

        The method is named after who confirmed it, never chosen by the caller, so an
        administrator cannot make a person look verified by an identity provider.
        """
        actor = self._admin_actor(by)
        method = "operator" if actor is OPERATOR else "admin"
        author = self.author(author_id)
        if author.is_verified:
            return None  # already confirmed, by whoever did: that record stands
        self._trigger(
            author, Author.IdentityVerified, actor, "Identity verified", {"method": method}
        )
        return self._save(author)

    @retried_on_race
    def verify_author_by_identity_provider(self, author_id: UUID, issuer: str) -> int | None:
        """A login from a trusted OpenID Connect issuer verifies the author's identity."""
        author = self.author(author_id)
        method = f"oidc:{issuer}"
        if author.verification == method:
            return None
        actor = Actor(id=str(author.id), name=author.name, verification=method)
        self._trigger(
            author, Author.IdentityVerified, actor, "Identity verified", {"method": method}
        )
        return self._save(author)

    def grant_role(self, by: By, author_id: UUID, role: str) -> int | None:
        return self._change_role(by, author_id, role, Author.RoleGranted, grant=True)

    def revoke_role(self, by: By, author_id: UUID, role: str) -> int | None:
        return self._change_role(by, author_id, role, Author.RoleRevoked, grant=False)

    @retried_on_race
    def _change_role(
        self, by: By, author_id: UUID, role: str, event: type[SignedEvent], *, grant: bool
    ) -> int | None:
        actor = self._admin_actor(by)
        if role not in ROLES:
            raise InvalidInput(f"Unknown role {role!r}; known roles: {', '.join(sorted(ROLES))}.")
        author = self.author(author_id)
        if (role in author.roles) == grant:
            return None
        if not grant and actor.id == str(author_id):
            # Like blocking oneself: it could leave the wiki without an administrator.
            raise Forbidden("Administrators cannot revoke their own role; ask another one.")
        summary = f"{'Granted' if grant else 'Revoked'} role {role}"
        self._trigger(author, event, actor, summary, {"role": role})
        return self._save(author)

    @retried_on_race
    def block_author(self, by: By, author_id: UUID, reason: str) -> int | None:
        actor = self._admin_actor(by)
        if actor.id == str(author_id):
            raise Forbidden("Administrators cannot block themselves.")
        author = self.author(author_id)
        if author.blocked:
            return None
        self._trigger(author, Author.Blocked, actor, _reason(reason), {})
        return self._save(author)

    @retried_on_race
    def unblock_author(self, by: By, author_id: UUID, reason: str) -> int | None:
        actor = self._admin_actor(by)
        author = self.author(author_id)
        if not author.blocked:
            return None
        self._trigger(author, Author.Unblocked, actor, _reason(reason), {})
        return self._save(author)

    @retried_on_race
    def rename_author(self, by: By, author_id: UUID, new_name: str) -> int | None:
        """Only administrators rename: the name on edits is a verified real name."""
        actor = self._admin_actor(by)
        author = self.author(author_id)
        name = _clean_name(new_name)
        if name == author.name:
            return None
        self._trigger(author, Author.Renamed, actor, f"Renamed from {author.name}", {"name": name})
        return self._save(author)

    def bootstrap_administrator(self, name: str) -> UUID:
        """The operator creates a verified administrator (the first one, typically)."""
        author_id = self.register_author(name)
        self.verify_author(OPERATOR, author_id)
        self.grant_role(OPERATOR, author_id, ADMINISTRATOR)
        return author_id

    # ------------------------------------------------------------------ pages

    def save_page(
        self,
        by: By,
        title: str,
        body: str,
        summary: str = "",
        base_version: int | None = None,
    ) -> SaveResult:
        """Create a page (`base_version` None) or edit it from `base_version`.

        A stale base is merged 3-way; overlapping changes raise `EditConflict` and
        nothing is saved.
        """
        clean_title = normalise_title(title)
        text = _clean_body(body)
        clean_summary = _clean_summary(summary)
        unresolved = conflict_line(text)
        if unresolved is not None:
            raise UnresolvedConflict(unresolved)
        for _ in range(SAVE_ATTEMPTS):
            try:
                return self._save_page_once(by, clean_title, text, clean_summary, base_version)
            except RecordConflictError:
                continue  # another save won the race: reload and merge against it
        # Lost every race: hand back both sides so the editor's text is not lost.
        page = self.page_by_title(clean_title)
        result = merge_texts(
            self._body_at(page, base_version),
            page.body,
            text,
            their_label=f"version {page.version}",
            my_label="your edit",
        )
        raise EditConflict(clean_title, base_version or 0, page.version, result.text)

    def _save_page_once(
        self, by: By, title: str, text: str, summary: str, base_version: int | None
    ) -> SaveResult:
        try:
            page = self.page_by_title(title)
        except PageNotFound:
            if base_version is not None:
                raise
            return self._create_page(by, title, text, summary)
        return self._write_body(by, page, text, summary, base_version, Page.Edited, {})

    def _create_page(self, by: By, title: str, text: str, summary: str) -> SaveResult:
        actor = self._actor_of(require_editor(self._author_or_none(by)))
        new_title(title)
        check_page(text)
        page_id = uuid4()
        slug = slug_for(title)
        page = self._start(
            Page,
            Page.Created,
            page_id,
            actor,
            summary or "Created the page",
            {"title": title, "slug": slug, "body_sha256": sha256_hex(text)},
            body=text,
        )
        slug_claim = self._start(
            Slug,
            Slug.Assigned,
            slug_id(slug),
            actor,
            f"Claimed {title}",
            {"slug": slug, "page_id": str(page_id)},
        )
        logged = self._log_page(page_id, actor, f"Created {title}")
        nid = self._save(page, slug_claim, logged)
        return SaveResult(title, page.version, merged=False, changed=True, notification_id=nid)

    def _write_body(
        self,
        by: By,
        page: Page,
        text: str,
        summary: str,
        base_version: int | None,
        event_class: type[SignedEvent],
        extra: dict[str, Any],
    ) -> SaveResult:
        """Save `text` as the next revision of `page`, merging if `base_version` is stale."""
        author = self._author_or_none(by)
        actor = self._actor_of(
            require_may_change_page(author, title=page.title, protected=page.protected)
        )
        if page.deleted:
            raise PageDeleted(page.title)
        _check_base(base_version, page.version)
        if self._shows_hidden_text(page, base_version):
            # A merge against hidden text would let its outcome tell what the text says.
            raise RevisionSuppressed(base_version or 0)
        # No base: the caller thought the page did not exist yet; their base is empty text.
        merged = False
        if base_version != page.version and self._body_at(page, base_version) != page.body:
            base_body = self._body_at(page, base_version)
            result = merge_texts(
                base_body,
                page.body,
                text,
                their_label=f"version {page.version}",
                my_label="your edit",
            )
            if result.conflicted:
                raise EditConflict(page.title, base_version or 0, page.version, result.text)
            text, merged = result.text, True
            summary = f"{summary} (3-way merge of version {base_version} with {page.version})"
        check_page(text)  # the text to be saved: after a merge, the merged text
        if text == page.body:  # nothing to save, so nothing was merged either
            return SaveResult(page.title, page.version, False, changed=False, notification_id=None)
        data = {
            **extra,
            "body_sha256": sha256_hex(text),
            "base_version": base_version or 0,
            "merged": merged,
        }
        self._trigger(page, event_class, actor, summary.strip(), data, body=text)
        nid = self._save(page)
        return SaveResult(page.title, page.version, merged, changed=True, notification_id=nid)

    def revert_page(
        self,
        by: By,
        title: str,
        to_version: int,
        summary: str = "",
        base_version: int | None = None,
    ) -> SaveResult:
        """Make an earlier version's text current again, as a new revision."""
        require_editor(self._author_or_none(by))  # say who may, before saying what exists
        page = self.page_by_title(title)
        if not 0 < to_version <= page.version:
            raise RevisionNotFound(f"{page.title} has no version {to_version}.")
        if self._shows_hidden_text(page, to_version):
            raise RevisionSuppressed(to_version)
        old = self.page_at(page.id, to_version)
        clean_summary = _clean_summary(summary) or f"Reverted to version {to_version}"
        # The revert was computed against this version: a save that races it is merged,
        # not overwritten.
        base = page.version if base_version is None else base_version
        for _ in range(SAVE_ATTEMPTS):
            try:
                return self._write_body(
                    by,
                    page,
                    old.body,
                    clean_summary,
                    base,
                    Page.Reverted,
                    {"to_version": to_version},
                )
            except RecordConflictError:
                page = self.page(page.id)
        raise EditConflict(page.title, base, page.version, old.body)

    @retried_on_race
    def rename_page(
        self,
        by: By,
        title: str,
        wanted_title: str,
        summary: str = "",
        base_version: int | None = None,
    ) -> SaveResult:
        """Give a page a new title; the old title keeps pointing at it (a redirect)."""
        require_editor(self._author_or_none(by))  # say who may, before saying what exists
        page = self.page_by_title(title)
        actor = self._actor_of(
            require_may_change_page(
                self._author_or_none(by), title=page.title, protected=page.protected
            )
        )
        if page.deleted:
            raise PageDeleted(page.title)
        _check_base(base_version, page.version)
        if base_version is not None and self.page_at(page.id, base_version).title != page.title:
            # Renamed since the form was filled in: the caller meant to rename another title.
            raise EditConflict(page.title, base_version, page.version, page.body)
        clean_title = new_title(wanted_title)
        if clean_title == page.title:
            return SaveResult(page.title, page.version, False, changed=False, notification_id=None)
        new_slug = slug_for(clean_title)
        items: list[Any] = []
        claim = self._get_or_none(Slug, slug_id(new_slug))
        if claim is None:
            items.append(
                self._start(
                    Slug,
                    Slug.Assigned,
                    slug_id(new_slug),
                    actor,
                    f"Claimed {clean_title}",
                    {"slug": new_slug, "page_id": str(page.id)},
                )
            )
        elif claim.page_uuid != page.id:
            holder = self.page(claim.page_uuid)
            if holder.slug == new_slug:
                raise PageExists(holder.title)
            # The slug only redirects to another page: take it over.
            self._trigger(
                claim,
                Slug.Reassigned,
                actor,
                f"Redirect replaced by {clean_title}",
                {"slug": new_slug, "page_id": str(page.id)},
            )
            items.append(claim)
        data = {
            "old_title": page.title,
            "new_title": clean_title,
            "old_slug": page.slug,
            "new_slug": new_slug,
        }
        self._trigger(
            page,
            Page.Renamed,
            actor,
            _clean_summary(summary) or f"Renamed from {page.title}",
            data,
        )
        nid = self._save(page, *items)
        return SaveResult(clean_title, page.version, False, changed=True, notification_id=nid)

    def protect_page(self, by: By, title: str, reason: str) -> int | None:
        return self._moderate(by, title, reason, Page.Protected, lambda p: not p.protected)

    def unprotect_page(self, by: By, title: str, reason: str) -> int | None:
        return self._moderate(by, title, reason, Page.Unprotected, lambda p: p.protected)

    def delete_page(self, by: By, title: str, reason: str) -> int | None:
        """Hide a page from readers; its history stays in the store (and can be restored)."""
        return self._moderate(by, title, reason, Page.Deleted, lambda p: not p.deleted)

    def restore_page(self, by: By, title: str, reason: str) -> int | None:
        return self._moderate(by, title, reason, Page.Restored, lambda p: p.deleted)

    @retried_on_race
    def _moderate(
        self,
        by: By,
        title: str,
        reason: str,
        event_class: type[SignedEvent],
        applies: Callable[[Page], bool],
    ) -> int | None:
        actor = self._admin_actor(by)
        page = self.page_by_title(title)
        if not applies(page):
            return None
        self._trigger(page, event_class, actor, _reason(reason), {})
        return self._save(page)

    @retried_on_race
    def suppress_revision(self, by: By, title: str, revision: int, reason: str) -> int | None:
        """Hide one revision's text (personal data, libel). Author, time and digests stay."""
        actor = self._admin_actor(by)
        page = self.page_by_title(title)
        if not 0 < revision <= page.version:
            raise RevisionNotFound(f"{page.title} has no version {revision}.")
        if revision == page.version:
            raise InvalidInput(
                "Only an earlier revision can be suppressed; save a new version first."
            )
        if revision in page.suppressed:
            return None
        event = self._event_at(page.id, revision)
        if not hasattr(event, "body"):
            raise InvalidInput(f"Version {revision} of {page.title} does not change the text.")
        if not any(hasattr(later, "body") for later in self.events.get(page.id, gt=revision)):
            # Later events only moderated or renamed the page: this is still its text.
            raise InvalidInput(
                f"Version {revision} of {page.title} is the current text; save a new version first."
            )
        clean_reason = _clean_summary(reason)
        if not clean_reason:
            raise InvalidInput("Give a reason for the suppression.")
        data = {"revision": revision, "body_sha256": event.payload["data"]["body_sha256"]}
        self._trigger(page, Page.RevisionSuppressed, actor, clean_reason, data)
        return self._save(page)

    # ------------------------------------------------------------------ queries

    def page(self, page_id: UUID) -> Page:
        return self._get(Page, page_id)

    def page_at(self, page_id: UUID, version: int) -> Page:
        return self._get(Page, page_id, version=version)

    def page_by_title(self, title: str) -> Page:
        """The page a title names, following a redirect left by a rename."""
        slug = slug_for(title)
        try:
            page = self.page(self._slug_targets.get(slug))
        except (KeyError, AggregateNotFoundError):
            pass
        else:
            # A slug is only ever reassigned away from a page that no longer carries it,
            # so a page whose current slug this is proves the remembered mapping current.
            if page.slug == slug:
                return page
        claim = self._get_or_none(Slug, slug_id(slug), copy=False)
        if claim is None:
            raise PageNotFound(normalise_title(title))
        self._slug_targets.put(slug, claim.page_uuid)
        return self.page(claim.page_uuid)

    def page_ids(self) -> Iterator[UUID]:
        """Ids of all pages in creation order."""
        for logged in self.page_log.get():
            yield UUID(logged.payload["data"]["page_id"])

    def author(self, author_id: UUID) -> Author:
        try:
            return self._get(Author, author_id)
        except AggregateNotFoundError:
            raise AuthorNotFound(f"No author with id {author_id}.") from None

    def _shows_hidden_text(self, page: Page, version: int | None) -> bool:
        """Whether `version` of `page` shows a suppressed text: its own, or (a version that
        only renamed or moderated the page) that of the last version that set the text."""
        if version is None or not page.suppressed:
            return False
        for event in self.events.get(page.id, lte=version, desc=True):
            if isinstance(event, SignedBodyEvent):
                return event.originator_version in page.suppressed
        return False

    def _body_at(self, page: Page, version: int | None) -> str:
        if version is None:
            return ""
        return page.body if version == page.version else self.page_at(page.id, version).body

    def _event_at(self, aggregate_id: UUID, version: int) -> Any:
        events = list(self.events.get(aggregate_id, gt=version - 1, lte=version))
        if not events:
            raise RevisionNotFound(f"No version {version}.")
        return events[0]

    def _get(
        self,
        cls: type[TAggregate],
        aggregate_id: UUID,
        version: int | None = None,
        *,
        copy: bool = True,
    ) -> TAggregate:
        """The aggregate, brought up to date. `copy=False` shares the cached object: only
        for reading, never for triggering events on it."""
        aggregate: object = self.repository.get(
            aggregate_id, version=version, deepcopy_from_cache=copy
        )
        if not isinstance(aggregate, cls):
            raise AggregateNotFoundError(aggregate_id)
        return aggregate

    def _get_or_none(
        self, cls: type[TAggregate], aggregate_id: UUID, *, copy: bool = True
    ) -> TAggregate | None:
        try:
            return self._get(cls, aggregate_id, copy=copy)
        except AggregateNotFoundError:
            return None

    def _author_or_none(self, by: By) -> Author | None:
        """The caller's current author state, for permission checks (read only)."""
        if by is None or isinstance(by, Actor):
            return None
        return self._get_or_none(Author, by, copy=False)

    @staticmethod
    def _actor_of(author: Author) -> Actor:
        """The stored author, never the caller's claim, names who acted."""
        return Actor(
            id=str(author.id), name=author.name, verification=author.verification or "none"
        )

    def _admin_actor(self, by: By) -> Actor:
        if by is OPERATOR:
            return OPERATOR
        return self._actor_of(require_administrator(self._author_or_none(by)))


def event_type_name(event_class: type) -> str:
    """`page.edited` for `Page.Edited`: the type name that payloads and exports use."""
    for cls, name in EVENT_TYPES.items():
        if issubclass(event_class, cls):
            return name
    raise KeyError(event_class)


def _clean_summary(summary: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", summary).split())
    if len(text) > MAX_SUMMARY_LENGTH:
        raise InvalidInput(f"The summary may be at most {MAX_SUMMARY_LENGTH} characters.")
    return text


def _check_base(base_version: int | None, current: int) -> None:
    if base_version is not None and not 0 < base_version <= current:
        raise InvalidInput(f"base_version must be between 1 and {current}.", field="base_version")


def _reason(reason: str) -> str:
    """An administrator's act says why: the audit log is where others read it."""
    clean = _clean_summary(reason)
    if not clean:
        raise InvalidInput("Give a reason for this act.", field="reason")
    return clean


def _clean_body(body: str) -> str:
    text = normalise_text(body)
    if len(text.encode("utf-8")) > MAX_BODY_BYTES:
        raise TooLarge(f"A page may be at most {MAX_BODY_BYTES:,} bytes.")
    return text


def _clean_name(name: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", name).split())
    if not text:
        raise InvalidInput("A name may not be empty.")
    # Format characters too (bidi overrides, zero-width joiners): they make a name look
    # like someone else's.
    if len(text) > MAX_NAME_LENGTH or any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise InvalidInput(f"A name is at most {MAX_NAME_LENGTH} printable characters.")
    return text
