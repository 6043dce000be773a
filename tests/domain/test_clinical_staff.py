"""Finding the staff member a record names (`iopdesk.clinical.staff`): by user name or id, the
same way for a note's author, a plan's counselor, a client's primary clinician or a prescriber."""

from __future__ import annotations

import pytest

from iopdesk.clinical.staff import acting_staff, clinician_for, signed_in_staff, staff_for
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.models import Staff


def test_staff_are_found_by_user_name_in_any_case_or_by_id(clinician_sqlite) -> None:
    """" Clinician " and the clinician's id both name Cleo Clinician; an unknown name is refused by label."""
    cleo = staff_for(" Clinician ", "Clinician", "clinician")
    assert cleo.display_name == "Cleo Clinician"
    assert staff_for(str(cleo.id), "Clinician", "clinician").id == cleo.id
    with pytest.raises(ValidationError, match=r"^Responsible: no active user 'nobody'\.$") as refused:
        staff_for("nobody", "Responsible", "responsible")
    assert refused.value.field == "responsible"


def test_a_staff_member_who_left_still_names_their_old_notes_but_takes_no_new_work(clinician_sqlite) -> None:
    """An inactive account is refused as a clinician, but found as the author of a note written before."""
    Staff.update(active=False).where(Staff.username == "intern").execute()
    with pytest.raises(ValidationError, match="no active user 'intern'"):
        staff_for("intern", "Clinician", "clinician")
    assert staff_for("intern", "Author", "author", active_only=False).display_name == "Ira Intern"
    with pytest.raises(ValidationError, match=r"^Author: no user 'ghost'\.$"):
        staff_for("ghost", "Author", "author", active_only=False)


def test_only_clinicians_and_supervisors_are_clinicians(clinician_sqlite) -> None:
    """The biller cannot be a client's primary clinician; the supervisor can."""
    assert clinician_for("supervisor", "Primary clinician", "primary_clinician").display_name == "Sam Supervisor"
    with pytest.raises(ValidationError, match="Primary clinician: Bo Biller is not a clinician"):
        clinician_for("biller", "Primary clinician", "primary_clinician")


def test_the_signed_in_staff_member_writes_and_the_system_does_not(clinician_sqlite) -> None:
    """Signed in, the clinician is the acting staff member; the system has none and may not sign."""
    assert acting_staff(clinician_sqlite.actor).display_name == "Cleo Clinician"
    clinician_sqlite.logout()
    assert signed_in_staff(clinician_sqlite.actor) is None
    with pytest.raises(PermissionDenied):
        acting_staff(clinician_sqlite.actor)
