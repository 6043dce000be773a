"""The review of emergency access: Ada (admin) broke the glass for three clients; Sam (supervisor)
reviewed one. The domain lists the grants for the review screen, and the Admin page's
"Emergency access (2)" tab lets a reviewer other than Ada mark the rest reviewed with a note."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

import iopdesk
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.models import AuditEvent, EmergencyAccess
from tests.conftest import ADMIN_PASSWORD

REASONS = ("Client in crisis at front desk; on-call clinician unreachable.",
           "ER called about an overdose; needs current medications and allergies.",
           "Police welfare check; confirming the safety plan on file.")
PEOPLE = (("Marisol", "Quintana-Reyes"), ("Omar", "Haddad"), ("Lena", "Okafor"))


def break_the_glass(clinic, reviewed: int = 1):
    """Ada requests emergency access for three clients; Sam reviews the first `reviewed` of them.
    Returns the grants (oldest first); nobody is signed in after."""
    clinic.login("admin", ADMIN_PASSWORD)
    grants = []
    for (first, last), reason in zip(PEOPLE, REASONS, strict=True):
        client, _ = clinic.clients.register(legal_first=first, legal_last=last, dob="1985-05-05")
        grant, _ = clinic.emergency.request(client.id, reason)
        grants.append(grant)
    clinic.login("supervisor", ADMIN_PASSWORD)
    for grant in grants[:reviewed]:
        clinic.emergency.mark_reviewed(grant.id, "Appropriate: crisis at the front desk.")
    clinic.logout()
    return grants


# -- the domain behind the screen ---------------------------------------------------------------
def test_a_reviewer_lists_grants_awaiting_review_reviewed_ones_and_all(staffed_clinic):
    """Pending grants come oldest first with the client's MRN and name; reviewed and all come newest
    first; the count of pending ones is the badge; a clinician may not list them."""
    clinic = staffed_clinic
    grants = break_the_glass(clinic)
    clinic.login("supervisor", ADMIN_PASSWORD)
    pending = clinic.emergency.grants("pending")
    assert [g.id for g in pending] == [grants[1].id, grants[2].id]
    assert [(g.staff_name, g.client_name, g.reason) for g in pending] == [
        ("Ada Admin", "Omar Haddad", REASONS[1]), ("Ada Admin", "Lena Okafor", REASONS[2])]
    assert pending[0].client_mrn == grants[1].client_mrn and not pending[0].reviewed
    reviewed = clinic.emergency.grants("reviewed")
    assert [(g.id, g.reviewed_by, g.review_note) for g in reviewed] == [
        (grants[0].id, "Sam Supervisor", "Appropriate: crisis at the front desk.")]
    assert [g.id for g in clinic.emergency.grants("all")] == [g.id for g in reversed(grants)]
    assert clinic.emergency.pending_count() == 2
    with pytest.raises(ValidationError) as err:
        clinic.emergency.grants("expired")
    assert err.value.field == "show"
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.emergency.grants()
    with pytest.raises(PermissionDenied):
        clinic.emergency.pending_count()


def test_the_requester_may_not_review_her_own_emergency_access(staffed_clinic):
    """Ada holds "emergency.review" but is refused on her own grant; nothing is written."""
    clinic = staffed_clinic
    grants = break_the_glass(clinic, reviewed=0)
    clinic.login("admin", ADMIN_PASSWORD)
    assert clinic.actor.can("emergency.review")
    with pytest.raises(PermissionDenied, match="Another reviewer"):
        clinic.emergency.mark_reviewed(grants[0].id, "Looks fine to me.")
    assert EmergencyAccess.get_by_id(grants[0].id).reviewed_at is None
    assert AuditEvent.select().where(AuditEvent.action == "break_glass_reviewed").count() == 0
    assert clinic.emergency.pending_count() == 3


def test_an_overlong_review_note_is_refused_naming_the_field(staffed_clinic):
    """A review note over 2000 characters is refused; the grant stays awaiting review."""
    clinic = staffed_clinic
    grants = break_the_glass(clinic, reviewed=0)
    clinic.login("supervisor", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.emergency.mark_reviewed(grants[0].id, "x" * 2001)
    assert err.value.field == "note" and str(err.value).startswith("Review note:")
    assert clinic.emergency.pending_count() == 3


# -- on screen ----------------------------------------------------------------------------------
@pytest.fixture
def review_clinic(tmp_path, clinic_file):
    """A clinic file with two grants awaiting review and one reviewed."""
    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    grants = break_the_glass(clinic)
    yield clinic, grants
    clinic.close()


@pytest.fixture
def admin_page_for(qtbot, review_clinic, tmp_path):
    """Opens the Admin page for a user; returns (clinic, grants, make(user) -> page)."""
    from ui.admin_page import AdminPage
    from ui.operations import Operations

    clinic, grants = review_clinic
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)

    def make(user: str):
        clinic.login(user, ADMIN_PASSWORD)
        page = AdminPage(clinic, Operations(), settings)
        qtbot.addWidget(page)
        page.resize(1100, 680)
        page.show()
        return page

    return clinic, grants, make


def _tab_texts(tabs) -> list[str]:
    return [tabs.tabText(i).replace("&", "") for i in range(tabs.count())]


def _review_tab(qtbot, page, pending: int):
    from PySide6.QtWidgets import QTabWidget

    tabs = page.findChild(QTabWidget, "adminTabs")
    assert tabs is not None
    review = tabs.page_emergency
    qtbot.waitUntil(lambda: f"Emergency access ({pending})" in _tab_texts(tabs) and not review._loading,
                    timeout=3000)
    tabs.setCurrentWidget(review)
    return tabs, review


def _shot(qtbot, widget, name: str) -> None:
    qtbot.wait(50)  # let the layout settle after the last read
    folder = Path(os.environ.get("IOPDESK_SHOTS", "/tmp"))
    folder.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(folder / f"emergency-review-{name}.png"))


def test_the_supervisor_sees_two_awaiting_review_in_the_tab_title(qtbot, admin_page_for):
    """Sam's Admin page (no sync for him) has "Emergency access (2)", listing Omar's and Lena's
    grants with who, client, when, reason and expiry (Show switches to reviewed and all), and the
    notes naming clients."""
    clinic, grants, make = admin_page_for
    page = make("supervisor")
    assert page.refused
    tabs, review = _review_tab(qtbot, page, 2)
    assert _tab_texts(tabs) == ["Emergency access (2)", "Notes naming clients"]
    model = review.model
    assert model.rowCount() == 2
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers[:5] == ["Requested by", "Client", "Requested", "Expires", "Reason"]
    first = [model.index(0, c).data() for c in range(model.columnCount())]
    assert first[0] == "Ada Admin" and first[1] == f"{grants[1].client_mrn} · Omar Haddad"
    assert first[4] == REASONS[1] and first[5] == "Awaiting review"
    assert review.review_button.isEnabled()
    assert "Reason: " + REASONS[1] in review.detail_label.text()
    assert review.table_title.text().replace("&", "") == "Awaiting review: 2"
    _shot(qtbot, page, "pending")

    review.show_combo.setCurrentIndex(review.show_combo.findData("reviewed"))
    qtbot.waitUntil(lambda: model.rowCount() == 1 and not review._loading, timeout=3000)
    assert model.index(0, 1).data().endswith("Marisol Quintana-Reyes")
    assert "by Sam Supervisor" in model.index(0, 5).data()
    assert model.index(0, 6).data() == "Appropriate: crisis at the front desk."
    assert not review.review_button.isEnabled()
    assert "Emergency access (2)" in _tab_texts(tabs)
    _shot(qtbot, page, "reviewed")
    review.show_combo.setCurrentIndex(review.show_combo.findData("all"))
    qtbot.waitUntil(lambda: model.rowCount() == 3 and not review._loading, timeout=3000)


def test_the_supervisor_marks_one_reviewed_with_a_note(qtbot, admin_page_for):
    """Sam selects Omar's grant, writes a note and presses Mark reviewed: it is stored and audited,
    leaves the list, and the tab title drops to (1)."""
    clinic, grants, make = admin_page_for
    page = make("supervisor")
    tabs, review = _review_tab(qtbot, page, 2)
    assert review.selected().id == grants[1].id
    qtbot.keyClicks(review.note_edit, "Appropriate: ER request, medications only.")
    qtbot.mouseClick(review.review_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Emergency access (1)" in _tab_texts(tabs) and review.model.rowCount() == 1,
                    timeout=3000)
    row = EmergencyAccess.get_by_id(grants[1].id)
    assert row.reviewed_at is not None and row.review_note == "Appropriate: ER request, medications only."
    assert AuditEvent.select().where(AuditEvent.action == "break_glass_reviewed").count() == 2
    assert review.message.text().startswith("Marked reviewed: Ada Admin's emergency access")
    assert review.selected().id == grants[2].id and review.note_edit.toPlainText() == ""


def test_the_requester_cannot_review_her_own_grant_on_screen(qtbot, admin_page_for):
    """Ada's Admin page has Sync, Audit, Emergency access (2), Notes naming clients and Duplicate
    clients; her own grants cannot be marked reviewed: the button is off, the detail says why, and the domain's refusal is shown if forced."""
    clinic, grants, make = admin_page_for
    page = make("admin")
    tabs, review = _review_tab(qtbot, page, 2)
    assert _tab_texts(tabs) == ["Sync", "Audit", "Emergency access (2)", "Notes naming clients",
                                "Duplicate clients"]
    assert not review.review_button.isEnabled() and not review.note_edit.isEnabled()
    assert "another reviewer must review it" in review.detail_label.text()
    review.review_button.setEnabled(True)
    review.mark_reviewed()
    qtbot.waitUntil(lambda: "Another reviewer" in review.message.text(), timeout=3000)
    assert EmergencyAccess.get_by_id(grants[1].id).reviewed_at is None
    _shot(qtbot, page, "own-grant")


def test_a_new_emergency_access_updates_the_count(qtbot, admin_page_for):
    """When another emergency access is announced, the tab reads again even while the Admin page is
    hidden: (2) becomes (3)."""
    clinic, grants, make = admin_page_for
    page = make("supervisor")
    tabs, review = _review_tab(qtbot, page, 2)
    page.hide()
    clinic.login("admin", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Ravi", legal_last="Menon", dob="1979-09-09")
    _, changes = clinic.emergency.request(client.id, "Hospital discharge planner needs the safety plan.")
    clinic.login("supervisor", ADMIN_PASSWORD)
    review.ops.announce(changes)
    qtbot.waitUntil(lambda: "Emergency access (3)" in _tab_texts(tabs), timeout=3000)
    assert review.model.rowCount() == 3


def test_a_clinician_gets_no_emergency_access_tab(qtbot, admin_page_for):
    """Without "emergency.review" the Admin page stays a polite refusal with no tabs or buttons."""
    from PySide6.QtWidgets import QPushButton, QTabWidget

    from ui.emergency_review_page import EmergencyReviewPage

    clinic, grants, make = admin_page_for
    page = make("clinician")
    assert page.refused and page.findChild(QTabWidget) is None
    assert page.findChildren(EmergencyReviewPage) == [] and page.findChildren(QPushButton) == []
