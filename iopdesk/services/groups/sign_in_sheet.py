"""The sign-in sheet of a group session as a read model: the session, its group and one row per
client on the roster, named under the program rule `sign_in_sheet.member_names` (see
`iopdesk.clinical.member_names`), because every member sees the sheet and signs it. A staff copy, kept by
the program and not passed around the room, also carries each client's MRN.

A part of `clinic.groups` (`GroupService` mixes it in); it reads the roster through the group
service, so the sheet lists exactly the clients the facilitator's screen does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from iopdesk.clinical.member_names import sign_in_names
from iopdesk.clinical.program_rules import rule
from iopdesk.models import Client
from iopdesk.services.base import Service
from iopdesk.services.groups.setup import GroupView, SessionView


@dataclass(frozen=True)
class SignInRow:
    name: str  # as printed under the program rule, e.g. "Marisol Q."
    mrn: str  # the client's MRN on a staff copy, "" on the members' copy


@dataclass(frozen=True)
class SignInSheet:
    session: SessionView
    group: GroupView
    rows: tuple[SignInRow, ...]
    staff_copy: bool
    name_style: str  # the rule applied: "first_last_initial" or "full"


class SignInSheets(Service):
    """`clinic.groups.sign_in_sheet`: what a session's sign-in sheet prints."""

    def sign_in_sheet(self, session_id, *, staff_copy: bool = False) -> SignInSheet:
        """The sheet of group session `session_id`: its roster in order (by last name), each
        client named under `sign_in_sheet.member_names`, with MRNs only on a `staff_copy`.
        Needs what the roster needs (`chart.read_narrative`); NotFound for an unknown session,
        ValidationError for an unknown naming rule."""
        session = self.session(session_id)
        roster = self.roster(session.id)
        ids = [uuid.UUID(row.client_id) for row in roster]
        names = {str(i): (preferred or first, last) for i, first, last, preferred in
                 Client.select(Client.id, Client.legal_first, Client.legal_last, Client.preferred_name)
                 .where(Client.id.in_(ids)).tuples()} if ids else {}
        style = rule("sign_in_sheet", "member_names")
        printed = sign_in_names([names[row.client_id] for row in roster], style)
        rows = tuple(SignInRow(name, row.mrn if staff_copy else "")
                     for name, row in zip(printed, roster, strict=True))
        return SignInSheet(session, self.get_group(session.group_id), rows, staff_copy, style)
