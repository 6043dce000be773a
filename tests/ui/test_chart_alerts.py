"""One truth about a client's active alerts: `clinic.alerts.for_chart` counts the stored alerts not
yet resolved and the attendance flags of the open episode, and the chart's header and Overview
show that one read, counting and naming the same things.

Marisol, admitted two weeks ago with no attendance recorded, is flagged by the attendance rules
(no attended session for two weeks, under the weekly minimum); a safety alert is raised on her.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from iopdesk.kernel.changes import Changes
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from tests.domain.test_attendance_rules import TODAY, attend, weekday_group
from ui.chart.chart_window import ClientChartWindow
from ui.operations import Operations

SHOTS = "/tmp/shots"


def test_a_chart_counts_stored_alerts_and_attendance_flags_together(admitted_client):
    """for_chart lists the safety alert, then each attendance flag with what makes it go; its
    counts name both kinds; the stored alerts are the ones active_for returns."""
    clinic, client, episode = admitted_client
    clinic.alerts.raise_alert(client.id, kind="safety", message="Endorsed passive thoughts of death.")
    flags = clinic.attendance.flags(episode.id)
    assert {f.kind for f in flags} >= {"gap", "under_minimum"}

    alerts = clinic.alerts.for_chart(client.id)
    assert alerts.count == 1 + len(flags) and not alerts.stored_hidden
    assert alerts.counts() == (("safety", 1), ("attendance", len(flags)))
    assert list(alerts.stored) == clinic.alerts.active_for(client.id)
    first, *attendance = alerts.rows
    assert (first.kind, first.label, first.resolvable) == ("safety", "Safety", True)
    assert [row.message for row in attendance] == [f.reason for f in flags]
    assert all(not row.resolvable and row.raised_by == "Attendance rules" and row.clears_when
               for row in attendance)
    gap = next(row for row in attendance if "No attended session" in row.message)
    assert gap.clears_when == "Clears when the client next attends a session."
    assert clinic.alerts.for_chart(client.id, episode.id, episode_read=True) == alerts


def test_a_role_without_narrative_access_is_told_stored_alerts_are_hidden(admitted_client):
    """A biller's read carries the attendance flags only, marked as hiding the stored alerts."""
    clinic, client, episode = admitted_client
    clinic.alerts.raise_alert(client.id, kind="safety", message="Endorsed passive thoughts of death.")
    clinic.login("biller", ADMIN_PASSWORD)
    alerts = clinic.alerts.for_chart(client.id)
    assert alerts.stored_hidden and alerts.stored == ()
    assert alerts.counts() == (("attendance", alerts.count),)


def test_a_client_without_an_open_episode_has_no_attendance_flags(staffed_clinic):
    """Registered but never admitted: only stored alerts count."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Dana", legal_last="Okafor", dob="1988-02-03")
    clinic.alerts.raise_alert(client.id, kind="clinical", message="Asked about housing support.")
    assert clinic.alerts.for_chart(client.id).counts() == (("clinical", 1),)


@pytest.fixture
def flagged(clinician_sqlite):
    """(clinic, client, episode): Marisol two weeks in without attendance, with a safety alert."""
    clinic = clinician_sqlite
    client, episode = admit_marisol(clinic)
    clinic.alerts.raise_alert(client.id, kind="safety", message="Endorsed passive thoughts of death.")
    return clinic, client, episode


def open_chart(qtbot, clinic, client_id, ops) -> ClientChartWindow:
    window = ClientChartWindow(clinic, ops, client_id)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.isVisible)
    return window


def test_header_and_overview_count_and_name_the_same_alerts(qtbot, flagged):
    """The header says "N active alerts: 1 safety, K attendance"; the Overview titles its list
    "Active alerts (N)" with the safety alert and each attendance flag as a row. Selecting a flag
    says it is not resolved by hand and what clears it; selecting the safety alert offers Resolve."""
    clinic, client, episode = flagged
    flags = clinic.attendance.flags(episode.id)
    total = 1 + len(flags)
    window = open_chart(qtbot, clinic, client.id, Operations())
    window.resize(1200, 800)
    overview = window.tab_widgets["overview"]

    assert window.alerts_label.text() == f"{total} active alerts: 1 safety, {len(flags)} attendance"
    assert window.safety_label.isVisible() and window.safety_label.text() == "⚠ 1 safety alert"
    assert overview.alerts_group.title() == f"Active alerts ({total})"
    kinds = [overview.alert_model.index(r, 0).data() for r in range(overview.alert_model.rowCount())]
    assert kinds == ["Safety"] + ["Attendance"] * len(flags)
    messages = [overview.alert_model.index(r, 3).data() for r in range(1, total)]
    assert messages == [f.reason for f in flags]
    assert overview.resolve_button.isEnabled() and not overview.flag_note.isVisible()
    window.grab().save(f"{SHOTS}/d-chart-alerts.png")

    overview.alert_view.setFocus()
    qtbot.keyClick(overview.alert_view, Qt.Key.Key_Down)
    assert overview.alert_model.index(overview.alert_view.currentIndex().row(), 0).data() == "Attendance"
    assert not overview.resolve_button.isEnabled() and not overview.resolution_edit.isEnabled()
    assert overview.flag_note.isVisible() and "not resolved by hand" in overview.flag_note.text()
    assert "Clears when" in overview.flag_note.text()
    window.grab().save(f"{SHOTS}/d-chart-alerts-flag-selected.png")


def test_attendance_recorded_elsewhere_updates_header_and_overview_alike(qtbot, flagged):
    """Attending every weekday session since admission clears the flags: once the change is
    announced, header and Overview both count the safety alert alone."""
    clinic, client, episode = flagged
    ops = Operations()
    window = open_chart(qtbot, clinic, client.id, ops)
    overview = window.tab_widgets["overview"]
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [day for day in sessions if day <= TODAY])
    ops.announce(Changes.of("attendance", client_id=client.id))

    left = clinic.alerts.for_chart(client.id)
    expected = ("1 active alert: 1 safety" if left.count == 1 else
                f"{left.count} active alerts: " + ", ".join(f"{n} {w}" for w, n in left.counts()))
    assert window.alerts_label.text() == expected
    assert overview.alerts_group.title() == f"Active alerts ({left.count})"
    assert overview.alert_model.rowCount() == left.count
    assert not any("No attended session" in row.message for row in left.rows)
