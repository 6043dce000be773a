"""Roles and permissions, loaded from `resources/roles.toml` and checked by every service.

The UI may hide what a role cannot do, but this module is where a refusal actually happens.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

import resources

from .errors import PermissionDenied, ValidationError

ROLES = ("clinician", "supervisor", "prescriber", "biller", "admin")

_PERMISSION_WORDS = {
    "chart.read": "open client charts",
    "chart.read_narrative": "read therapy notes",
    "note.cosign": "co-sign notes",
    "medication.prescribe": "add or change medications",
    "admin.users": "manage user accounts",
    "billing.export": "export billing",
}


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
    """Who is acting: the signed-in user (or the system, for setup and demo data)."""

    id: object | None
    username: str
    display_name: str
    roles: frozenset[str]

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
            what = _PERMISSION_WORDS.get(permission, permission)
            raise PermissionDenied(
                f"{self.display_name} ({', '.join(sorted(self.roles)) or 'no role'}) "
                f"is not allowed to {what}."
            )


SYSTEM = Actor(id=None, username="system", display_name="IOP Desk system", roles=frozenset())
