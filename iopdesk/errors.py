"""Errors the domain raises, each with a message a clinician can read.

Callers (UI, CLI, reports) show `str(error)` as it is; `field` names the input at fault so a form
can put the cursor there. Nothing here carries a traceback to the user.
"""

from __future__ import annotations

import datetime as dt


class IopDeskError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationError(IopDeskError):
    """Input refused; `field` names the field and the message the reason."""


class PossibleDuplicate(ValidationError):
    """A client with the same name and date of birth exists; `matches` holds their MRNs."""

    def __init__(self, message: str, matches: list[str]) -> None:
        super().__init__(message, field="legal_last")
        self.matches = matches


class OtherClientNamed(ValidationError):
    """A note (or a group session's section or shared part) names another client of the program:
    refused until the words are taken out or overridden with a reason. `field` names the first
    field at fault; `findings` (iopdesk.clinical.name_rules.Finding) say which words, whom and where."""

    def __init__(self, message: str, *, field: str | None, findings: tuple = ()) -> None:
        super().__init__(message, field=field)
        self.findings = tuple(findings)


class NotFound(IopDeskError):
    """The record asked for does not exist (or is not visible to this user)."""


class PermissionDenied(IopDeskError):
    """The acting user's role does not allow this action."""


class AuthenticationFailed(IopDeskError):
    """Wrong user name or password, or the account is locked."""


class RecordLocked(IopDeskError):
    """The record is signed (or otherwise final) and cannot change; add an addendum instead."""


class ConcurrentEdit(IopDeskError):
    """Someone else saved this record since it was read (optimistic locking); nothing was written.

    So the user can see both versions: `changed_by` (who saved last, or "someone else") and
    `changed_at` (when, UTC; None if the record is gone), `theirs` (the stored values now of the
    fields this save tried to change) and `mine` (the values this save tried to write). Foreign
    keys appear as ids in both.
    """

    def __init__(
        self,
        message: str,
        *,
        changed_by: str = "someone else",
        changed_at: dt.datetime | None = None,
        theirs: dict[str, object] | None = None,
        mine: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.theirs: dict[str, object] = dict(theirs or {})
        self.mine: dict[str, object] = dict(mine or {})


class SchemaTooNew(IopDeskError):
    """The database was written by a newer IOP Desk than this one."""


class DatabaseUnavailable(IopDeskError):
    """The database cannot be opened or reached."""


class PassphraseRequired(DatabaseUnavailable):
    """The clinic file is encrypted and no passphrase (or a wrong one) was given."""


class NotAClinicDatabase(DatabaseUnavailable):
    """The file (or database) given as the clinic plainly is not one: empty, another kind of file,
    or a database of another program. Nothing is created in it or written to it."""


class UnfinishedJoin(DatabaseUnavailable):
    """The file is a satellite whose `iopdesk sync join` did not finish: not a usable clinic file."""


class IntegrityProblem(IopDeskError):
    """`iopdesk check` found damage: a broken audit chain or a failed integrity check."""


class DatabaseDamaged(IntegrityProblem):
    """The clinic file failed its integrity check at open: nothing is written to it. `backup` is
    the newest backup that passed its own check (None when there is none)."""

    def __init__(self, message: str, *, backup: object | None = None) -> None:
        super().__init__(message, field="db")
        self.backup = backup
