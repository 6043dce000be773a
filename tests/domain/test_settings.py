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
