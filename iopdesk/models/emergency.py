"""Break-the-glass grants: one user's time-limited emergency access to one client's chart.

Invariants: a grant names the user, the client, a reason (at least 10 characters) and when it
ends; it only ever adds read access (chart and clinical narrative) for that user to that client;
it is never deleted, only marked reviewed (by whom, when) by a supervisor or administrator.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.clients import Client
from iopdesk.models.staff import Staff


class EmergencyAccess(Record):
    """A user broke the glass to read a client's chart; stays in the review queue until reviewed."""

    staff = peewee.ForeignKeyField(Staff, backref="emergency_grants", on_delete="RESTRICT")
    client = peewee.ForeignKeyField(Client, backref="emergency_grants", on_delete="RESTRICT")
    reason = peewee.TextField()
    granted_at = peewee.DateTimeField()
    expires_at = peewee.DateTimeField()
    reviewed_at = peewee.DateTimeField(null=True)
    reviewed_by = peewee.ForeignKeyField(Staff, null=True, backref="emergency_reviews",
                                         on_delete="RESTRICT")
    review_note = peewee.TextField(default="")

    class Meta:
        indexes = ((("staff", "client", "expires_at"), False), (("reviewed_at",), False))
