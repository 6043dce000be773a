"""The clinic's program rules as an administrator sets them: `clinic.settings` and `iopdesk settings`."""

from __future__ import annotations

import pytest

from iopdesk.cli.main import EXIT_ERROR
from iopdesk.clinical.program_rules import rule
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.models import AuditEvent
from tests.cli_runs import run_cli
from tests.conftest import ADMIN_PASSWORD


def _rule_events() -> list[dict]:
    return [e.detail for e in AuditEvent.select().where(AuditEvent.entity == "program_rule").order_by(AuditEvent.seq)]


def test_times_are_written_twelve_hour_until_an_administrator_says_otherwise(staffed_clinic):
    """A new clinic writes 9:30 AM; the admin's 24h is what every reader of the rule sees, audited."""
    clinic = staffed_clinic
    assert clinic.settings.time_format() == "12h"
    clinic.login("admin", ADMIN_PASSWORD)
    updated, changes = clinic.settings.set_rule("display.time_format", "24h")
    assert (updated.value, updated.default, updated.changed) == ("24h", "12h", True)
    assert changes.touches("settings")
    assert clinic.settings.time_format() == "24h" and rule("display", "time_format") == "24h"
    assert _rule_events() == [{"rule": "display.time_format", "from": "12h", "to": "24h"}]
    back, _ = clinic.settings.reset_rule("display.time_format")
    assert back.value == "12h" and not back.changed
    assert _rule_events()[-1] == {"rule": "display.time_format", "from": "24h", "to": "12h"}


def test_only_an_administrator_may_change_a_program_rule(staffed_clinic):
    """A clinician may read the time format but not set it; nothing is written or audited."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    assert clinic.settings.time_format() == "12h"
    with pytest.raises(PermissionDenied):
        clinic.settings.set_rule("display.time_format", "24h")
    assert clinic.settings.time_format() == "12h" and _rule_events() == []


@pytest.mark.parametrize(("key", "value", "words"), [
    ("display.colour", "blue", "there is no rule"),
    ("display", "24h", "there is no rule"),
    ("display.time_format", "military", "not one of 12h, 24h"),
    ("sign_in_sheet.member_names", "initials", "not one of first_last_initial, full"),
    ("plans.review_every_days", "monthly", "not a whole number"),
    ("plans.review_every_days", -3, "out of range"),
    ("plans.review_every_days", 30.5, "not a whole number"),
    ("group_notes.similarity_warning", "1.5", "out of range"),
    ("attendance.min_days_per_week", 8, "from 1 to 7"),
])
def test_an_unknown_rule_or_a_value_the_rule_does_not_take_is_refused(staffed_clinic, key, value, words):
    """The refusal names the rule and why; the clinic's rules stay as they were and nothing is audited."""
    clinic = staffed_clinic
    clinic.login("admin", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as refused:
        clinic.settings.set_rule(key, value)
    assert words in str(refused.value)
    assert refused.value.field in ("rule", "value")
    assert _rule_events() == []
    assert [r.value for r in clinic.settings.rules()] == [r.default for r in clinic.settings.rules()]


def test_text_from_the_command_line_is_read_as_the_rule_s_type(staffed_clinic):
    """"21" sets a number of days, "0.95" a similarity, "PHQ-9, AUDIT" a list of measures."""
    clinic = staffed_clinic
    clinic.login("admin", ADMIN_PASSWORD)
    assert clinic.settings.set_rule("plans.review_every_days", "21")[0].value == 21
    assert clinic.settings.set_rule("group_notes.similarity_warning", "0.95")[0].value == 0.95
    assert clinic.settings.set_rule("measures.default_schedule", "PHQ-9, AUDIT")[0].value == ["PHQ-9", "AUDIT"]
    assert clinic.settings.set_rule("sign_in_sheet.member_names", "full")[0].value == "full"
    assert rule("plans", "review_every_days") == 21 and rule("sign_in_sheet", "member_names") == "full"
    unchanged, changes = clinic.settings.set_rule("plans.review_every_days", 21)
    assert unchanged.value == 21 and not changes and len(_rule_events()) == 4


def test_an_administrator_sets_the_time_format_from_the_command_line(staffed_clinic, capsys, monkeypatch):
    """`settings show` lists the rules; `settings set … --as admin` changes one; a clinician is refused."""
    clinic = staffed_clinic
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    code, text = run_cli(clinic, capsys, "settings", "show", "--db", clinic.url)
    assert code == 0 and "display.time_format = 12h  (default; default 12h; one of 12h, 24h)" in text
    code, text = run_cli(clinic, capsys, "settings", "set", "display.time_format", "24h", "--db", clinic.url)
    assert code == EXIT_ERROR and "--as ADMIN" in text
    code, text = run_cli(clinic, capsys, "settings", "set", "display.time_format", "24h", "--db", clinic.url,
                      "--as", "clinician")
    assert code == EXIT_ERROR and "not allowed" in text
    code, text = run_cli(clinic, capsys, "settings", "set", "display.time_format", "noon", "--db", clinic.url,
                      "--as", "admin")
    assert code == EXIT_ERROR and "not one of 12h, 24h" in text
    code, text = run_cli(clinic, capsys, "settings", "set", "display.time_format", "24h", "--db", clinic.url,
                      "--as", "admin")
    assert code == 0 and "display.time_format = 24h  (set for this clinic" in text
    assert clinic.settings.time_format() == "24h"
    code, text = run_cli(clinic, capsys, "settings", "reset", "display.time_format", "--db", clinic.url,
                      "--as", "admin")
    assert code == 0 and clinic.settings.time_format() == "12h"


# -- the idle lock: ONC §170.315(d)(5) automatic access time-out, 1 to 30 minutes -----------------
IDLE = "workstation.idle_lock_minutes"


@pytest.mark.parametrize(("value", "words"), [
    (0, "0 is out of range; it takes from 1 to 30"),
    (31, "31 is out of range; it takes from 1 to 30"),
    (35_792, "35792 is out of range"),  # from here up Qt's timer overflowed and never locked
    (525_600, "525600 is out of range"),  # a year: once taken from a user's own settings file
    (-5, "out of range"),
    ("ten", "'ten' is not a whole number"),
    ("", "is not a whole number"),
    (12.5, "is not a whole number"),
    (True, "is not a whole number"),
])
def test_the_idle_lock_takes_one_to_thirty_minutes(staffed_clinic, value, words):
    """Outside program policy, or not a number of minutes: refused naming the rule and why;
    the clinic keeps its ten minutes and nothing is audited."""
    clinic = staffed_clinic
    clinic.login("admin", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as refused:
        clinic.settings.set_rule(IDLE, value)
    assert str(refused.value).startswith(f"Program rule {IDLE}: ") and words in str(refused.value)
    assert refused.value.field == "value"
    assert clinic.settings.idle_lock_minutes() == 10 and _rule_events() == []


def test_the_idle_lock_is_the_clinics_kept_in_its_database_and_audited(clinic_file):
    """The administrator sets 1, then 30, then "15" as typed at a terminal; the value outlives
    closing the clinic, and each change is in the audit trail."""
    import iopdesk

    with iopdesk.open_clinic(str(clinic_file)) as clinic:
        assert clinic.settings.idle_lock_minutes() == 10
        clinic.login("admin", ADMIN_PASSWORD)
        for value in (1, 30, "15"):
            clinic.settings.set_rule(IDLE, value)
    with iopdesk.open_clinic(str(clinic_file)) as clinic:
        assert clinic.settings.idle_lock_minutes() == 15 and clinic.settings.rule(IDLE).changed
        assert [(e["from"], e["to"]) for e in _rule_events()] == [(10, 1), (1, 30), (30, 15)]


def test_only_an_administrator_sets_the_idle_lock(staffed_clinic, capsys, monkeypatch):
    """A clinician who would rather not be locked out of her notes cannot lengthen the time, in
    the domain or at the terminal; an administrator's out-of-range value is refused naming it."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.settings.set_rule(IDLE, 30)
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    code, text = run_cli(clinic, capsys, "settings", "set", IDLE, "30", "--db", clinic.url, "--as", "clinician")
    assert code == EXIT_ERROR and "not allowed" in text
    code, text = run_cli(clinic, capsys, "settings", "set", IDLE, "525600", "--db", clinic.url, "--as", "admin")
    assert code == EXIT_ERROR and f"{IDLE}: 525600 is out of range; it takes from 1 to 30" in text
    assert "§170.315(d)(5)" in text and "Traceback" not in text
    code, text = run_cli(clinic, capsys, "settings", "set", IDLE, "5", "--db", clinic.url, "--as", "admin")
    assert code == 0 and f"{IDLE} = 5  (set for this clinic; default 10)" in text
    assert clinic.settings.idle_lock_minutes() == 5 and _rule_events()[-1]["to"] == 5


@pytest.mark.parametrize(("stored", "held"), [(525_600, 30), (0, 1), ("forever", 10), (float("inf"), 10)])
def test_an_idle_lock_written_around_the_rules_is_held_to_its_bounds(staffed_clinic, stored, held, caplog):
    """Someone with sqlite3 writes a year into the clinic's rules: the workstation still locks
    within half an hour, and the log says what was found."""
    from iopdesk.clinical.program_rules import OVERRIDE_KEY
    from iopdesk.models import ClinicSetting

    ClinicSetting.create(key=OVERRIDE_KEY, value={"workstation": {"idle_lock_minutes": stored}})
    assert staffed_clinic.settings.idle_lock_minutes() == held
    assert IDLE in caplog.text
