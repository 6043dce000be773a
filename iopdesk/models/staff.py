"""Sites and staff: who works where, with which roles and credentials.

Invariants: a username is unique; a user needing co-signature has a supervisor; passwords are
stored only as Argon2id hashes; an inactive user cannot sign in.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record


class Site(Record):
    """A clinic location; its code prefixes the MRNs it issues so they stay unique across sites.

    A satellite is registered at the main clinic with `joining` set until its first full sync has
    committed and its file is in place, so an interrupted join can be run again under the same
    code. A retired site (`retired_at`) keeps its records but can no longer sync; its code is never
    given out again.
    """

    name = peewee.CharField()
    code = peewee.CharField(unique=True, max_length=8)
    address = peewee.TextField(default="")
    phone = peewee.CharField(default="")
    facility_npi = peewee.CharField(null=True, max_length=10)
    place_of_service = peewee.CharField(default="57", max_length=2)
    is_main = peewee.BooleanField(default=False)
    joining = peewee.BooleanField(default=False)
    retired_at = peewee.DateTimeField(null=True)


class Staff(Record):
    """A person who signs in: clinician, supervisor, prescriber, biller or admin."""

    username = peewee.CharField(unique=True)
    display_name = peewee.CharField()
    credentials = peewee.CharField(default="")
    npi = peewee.CharField(null=True, max_length=10)
    license_number = peewee.CharField(default="")
    is_licensed = peewee.BooleanField(default=True)
    needs_cosign = peewee.BooleanField(default=False)
    supervisor = peewee.ForeignKeyField("self", null=True, backref="supervisees", on_delete="SET NULL")
    site = peewee.ForeignKeyField(Site, null=True, backref="staff")
    password_hash = peewee.CharField()
    failed_logins = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    last_login_at = peewee.DateTimeField(null=True)
    active = peewee.BooleanField(default=True)


class StaffRole(Record):
    """One role a staff member holds; a person may hold several (a supervisor is also a clinician)."""

    staff = peewee.ForeignKeyField(Staff, backref="role_rows", on_delete="CASCADE")
    role = peewee.CharField(max_length=20)

    class Meta:
        indexes = ((("staff", "role"), True),)
