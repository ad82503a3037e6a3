"""The `Author` aggregate: the public facts about a person who edits.

Only public facts are events: the name shown on edits, how the identity was verified,
roles, blocks. E-mail addresses and credentials are private and erasable, so they live
in the account table of `storage`, never here.
"""

from typing import TYPE_CHECKING, Any

from wikiengine.signed import SignedAggregate, SignedCreated, SignedEvent

ADMINISTRATOR = "administrator"
ROLES = frozenset({ADMINISTRATOR})


class Author(SignedAggregate):
    if TYPE_CHECKING:  # state is set by events; class annotations would make a dataclass
        name: str
        verification: str | None  # "admin", "oidc:<issuer>", "operator"; None until verified
        roles: list[str]
        blocked: bool

    class Registered(SignedCreated):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.name = data["name"]
            aggregate.verification = None
            aggregate.roles = []
            aggregate.blocked = False

    class IdentityVerified(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.verification = data["method"]

    class RoleGranted(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.roles = sorted({*aggregate.roles, data["role"]})

    class RoleRevoked(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.roles = [role for role in aggregate.roles if role != data["role"]]

    class Blocked(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.blocked = True

    class Unblocked(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.blocked = False

    class Renamed(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.name = data["name"]

    @property
    def is_verified(self) -> bool:
        return self.verification is not None

    @property
    def is_administrator(self) -> bool:
        return ADMINISTRATOR in self.roles and self.is_verified and not self.blocked


EVENT_TYPES: dict[type, str] = {
    Author.Registered: "author.registered",
    Author.IdentityVerified: "author.identity_verified",
    Author.RoleGranted: "author.role_granted",
    Author.RoleRevoked: "author.role_revoked",
    Author.Blocked: "author.blocked",
    Author.Unblocked: "author.unblocked",
    Author.Renamed: "author.renamed",
}
