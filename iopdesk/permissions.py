"""Roles and permissions, loaded from `resources/roles.toml` and checked by every service.

The UI may hide what a role cannot do, but this module is where a refusal actually happens.
Reads of one client's chart go through `Actor.require_for_client`, which also honours a live
break-the-glass grant (see iopdesk/services/emergency_access.py for the rule) and otherwise
raises `ChartAccessDenied`, a PermissionDenied that says emergency access may be requested.
The grant is looked up through the actor's `has_emergency_access` hook, which the users service
supplies when it signs a user in: this module sits below storage and imports no service.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import resources
from iopdesk.errors import PermissionDenied, ValidationError

ROLES = ("clinician", "supervisor", "prescriber", "biller", "admin")

_PERMISSION_WORDS = {
    "chart.read": "open client charts",
    "chart.read_narrative": "read therapy notes",
    "note.cosign": "co-sign notes",
    "medication.prescribe": "add or change medications",
    "admin.users": "manage user accounts",
    "billing.export": "export billing",
    "emergency.request": "request emergency access",
    "emergency.review": "review emergency access",
    "note.review_names": "list signed notes that name another client",
    "client.merge": "merge a client registered twice into one chart",
}

# What a break-the-glass grant may add, for one client: reading, never writing.
EMERGENCY_PERMISSIONS = frozenset({"chart.read", "chart.read_narrative"})


class ChartAccessDenied(PermissionDenied):
    """Refused access to one client's chart; `emergency_possible` says whether this user may
    break the glass (request time-limited, audited emergency access) for `client_id`."""

    def __init__(self, message: str, *, client_id: str, emergency_possible: bool) -> None:
        super().__init__(message)
        self.client_id = client_id
        self.emergency_possible = emergency_possible


@lru_cache(maxsize=1)
def role_permissions() -> dict[str, frozenset[str]]:
    """Role name → permissions, from the shipped roles file."""
    with resources.path("roles.toml").open("rb") as fh:
        data = tomllib.load(fh)
    table = {name: frozenset(spec["permissions"]) for name, spec in data["roles"].items()}
    missing = set(ROLES) - set(table)
    if missing:
        raise ValueError(f"roles.toml lacks roles: {sorted(missing)}")
    return table


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Validate role names given for a user; returns them sorted and without repeats."""
    if not roles:
        raise ValidationError("A user needs at least one role.", field="roles")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationError(
            f"Unknown role {unknown[0]!r}; roles are {', '.join(ROLES)}.", field="roles"
        )
    return tuple(sorted(set(roles)))


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user (or the system, for setup and demo data).
    `has_emergency_access(staff_id, client_id)` says whether a live emergency grant covers a
    client; without it (None) no grant is honoured."""

    id: object | None
    username: str
    display_name: str
    roles: frozenset[str]
    has_emergency_access: Callable[[object, object], bool] | None = field(
        default=None, compare=False, repr=False)

    @property
    def permissions(self) -> frozenset[str]:
        if self.is_system:
            return frozenset().union(*role_permissions().values())
        table = role_permissions()
        return frozenset().union(*(table[r] for r in self.roles if r in table))

    @property
    def is_system(self) -> bool:
        return self.username == "system" and self.id is None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise PermissionDenied unless this actor holds `permission`."""
        if not self.can(permission):
            raise PermissionDenied(self._refusal(permission))

    def require_for_client(self, permission: str, client_id) -> None:
        """Raise ChartAccessDenied unless this actor holds `permission`, or it is a read
        permission covered by a live emergency grant of this actor for this client.
        `client_id` may be a function returning it (called only when the role lacks it)."""
        if self.can(permission):
            return
        possible = permission in EMERGENCY_PERMISSIONS and self.can("emergency.request")
        if possible and self.id is not None and self.has_emergency_access is not None:
            if callable(client_id):
                client_id = client_id()
            if client_id is not None and self.has_emergency_access(self.id, client_id):
                return
        if callable(client_id):
            client_id = ""
        message = self._refusal(permission)
        if possible:
            message += " In an emergency you may request time-limited access (it is audited and reviewed)."
        raise ChartAccessDenied(message, client_id=str(client_id), emergency_possible=possible)

    def _refusal(self, permission: str) -> str:
        what = _PERMISSION_WORDS.get(permission, permission)
        return (f"{self.display_name} ({', '.join(sorted(self.roles)) or 'no role'}) "
                f"is not allowed to {what}.")


SYSTEM = Actor(id=None, username="system", display_name="IOP Desk system", roles=frozenset())
