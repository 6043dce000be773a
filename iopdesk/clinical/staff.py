"""Finding the staff member a clinical record names: the signed-in author or signer, a clinician,
supervisor, prescriber or counselor typed by user name or id. Every service asks here, so a name
is read the same way (trimmed, case-insensitive, or a staff id) and refused with the same words.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.models import Staff, StaffRole

if TYPE_CHECKING:
    from iopdesk.permissions import Actor

CLINICAL_ROLES = ("clinician", "supervisor")


def signed_in_staff(actor: Actor) -> Staff | None:
    """The staff member `actor` is signed in as, or None (the system, or an account since removed)."""
    return Staff.get_or_none(Staff.id == actor.id) if actor.id is not None else None


def acting_staff(actor: Actor) -> Staff:
    """The signed-in staff member; PermissionDenied for the system (notes have a person as author)."""
    staff = signed_in_staff(actor)
    if staff is None:
        raise PermissionDenied("Sign in as a staff member to write or sign notes.")
    return staff


def staff_for(username_or_id, label: str, field: str, *, active_only: bool = True) -> Staff:
    """A staff member by user name (any case, spaces around ignored) or id; ValidationError naming
    `field` ("{label}: no active user 'x'.") when there is none, or when they are inactive and
    `active_only` (an author of an old note may have left since: `active_only=False`)."""
    staff = Staff.get_or_none(Staff.username == str(username_or_id).strip().lower())
    if staff is None:
        try:
            staff = Staff.get_or_none(Staff.id == uuid.UUID(str(username_or_id)))
        except ValueError:
            staff = None
    if staff is None or (active_only and not staff.active):
        raise ValidationError(f"{label}: no {'active ' if active_only else ''}user {username_or_id!r}.",
                              field=field)
    return staff


def clinician_for(username_or_id, label: str, field: str) -> Staff:
    """An active clinician or supervisor by user name or id (`staff_for`); ValidationError naming
    `field` for anyone else ("{label}: Bo Biller is not a clinician.")."""
    staff = staff_for(username_or_id, label, field)
    if not StaffRole.select().where((StaffRole.staff == staff) & StaffRole.role.in_(CLINICAL_ROLES)).exists():
        raise ValidationError(f"{label}: {staff.display_name} is not a clinician.", field=field)
    return staff
