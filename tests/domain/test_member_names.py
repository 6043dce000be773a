"""The sign-in sheet's naming rule (`iopdesk.clinical.member_names`) and its read model
(`clinic.groups.sign_in_sheet`): first name and last initial, more of the last name only where two
members would print alike, numbers for members who share a name, whole names under "full", MRNs
only on the staff copy."""

from __future__ import annotations

import pytest

from iopdesk.clinical.member_names import sign_in_names
from iopdesk.errors import ValidationError
from iopdesk.models import ClinicSetting
from tests.reports.test_sign_in_pdf import session_with


def test_a_member_prints_as_first_name_and_last_initial():
    """Marisol Quintana-Reyes prints "Marisol Q."; a member with no last name prints the first."""
    assert sign_in_names([("Marisol", "Quintana-Reyes"), ("Keiko", "tanabe"), ("Sol", "")]) == [
        "Marisol Q.", "Keiko T.", "Sol"]


def test_two_members_who_would_print_alike_get_three_letters_or_more():
    """Maria Garcia and Maria Gonzalez: "Maria Gar." and "Maria Gon."; Garcia and Garces need five."""
    assert sign_in_names([("Maria", "Garcia"), ("Maria", "Gonzalez"), ("Marisol", "Quintana")]) == [
        "Maria Gar.", "Maria Gon.", "Marisol Q."]
    assert sign_in_names([("Maria", "Garcia"), ("Maria", "Garces")]) == ["Maria Garci.", "Maria Garce."]


def test_a_short_last_name_prints_whole_once_reached():
    """Ana Li beside Ana Lin and Ana Lopez: Li and Lin are printed whole, Lopez as "Lop."."""
    assert sign_in_names([("Ana", "Li"), ("Ana", "Lin"), ("Ana", "Lopez")]) == ["Ana Li", "Ana Lin", "Ana Lop."]


def test_members_with_the_same_name_are_numbered_not_spelled_out():
    """Two Dana Reyes (any case) print "Dana R. (1)" and "Dana R. (2)"; beside a Dana Ruiz they keep
    only the letters that set them apart from her."""
    assert sign_in_names([("Dana", "Reyes"), ("dana", "REYES")]) == ["Dana R. (1)", "dana R. (2)"]
    assert sign_in_names([("Dana", "Reyes"), ("Dana", "Ruiz"), ("Dana", "Reyes")]) == [
        "Dana Rey. (1)", "Dana Rui.", "Dana Rey. (2)"]


def test_the_rule_full_prints_whole_names_and_numbers_the_same_ones():
    assert sign_in_names([("Maria", "Garcia"), ("Maria", "Garcia"), ("Bobby", "Finch")], "full") == [
        "Maria Garcia (1)", "Maria Garcia (2)", "Bobby Finch"]


def test_an_unknown_rule_is_refused_naming_it():
    with pytest.raises(ValidationError) as err:
        sign_in_names([("Maria", "Garcia")], "initials")
    assert err.value.field == "sign_in_sheet.member_names"


def test_the_sheet_names_the_roster_under_the_rule_and_carries_mrns_only_for_staff(staffed_clinic):
    """The read model lists the roster in order (by last name) under the clinic's rule; the staff
    copy adds each MRN; the clinic's override "full" prints whole names."""
    session, clients = session_with(staffed_clinic, [("Maria", "Gonzalez", ""), ("Maria", "Garcia", ""),
                                                     ("Robert", "Finch", "Bobby")])
    sheet = staffed_clinic.groups.sign_in_sheet(session.id)
    assert [(r.name, r.mrn) for r in sheet.rows] == [("Bobby F.", ""), ("Maria Gar.", ""), ("Maria Gon.", "")]
    assert (sheet.staff_copy, sheet.name_style, sheet.session.id) == (False, "first_last_initial", session.id)
    gonzalez, garcia, finch = (c.mrn for c in clients)
    staff = staffed_clinic.groups.sign_in_sheet(session.id, staff_copy=True)
    assert [r.mrn for r in staff.rows] == [finch, garcia, gonzalez]
    ClinicSetting.create(key="program_rules", value={"sign_in_sheet": {"member_names": "full"}})
    assert [r.name for r in staffed_clinic.groups.sign_in_sheet(session.id).rows] == [
        "Bobby Finch", "Maria Garcia", "Maria Gonzalez"]
