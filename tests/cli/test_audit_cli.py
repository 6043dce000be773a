"""`iopdesk audit key`: carrying the clinic's audit key to a second workstation."""

from __future__ import annotations

from iopdesk.audit import keys as audit_keys
from iopdesk.cli.main import EXIT_ERROR
from tests.cli_runs import run_cli
from tests.conftest import ADMIN_PASSWORD


def test_the_key_exported_at_one_workstation_imports_at_another(staffed_clinic, tmp_path, capsys, monkeypatch):
    """The admin exports the key; the second workstation (no key yet) imports it and can verify."""
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    out = tmp_path / "carry.key"
    code, text = run_cli(staffed_clinic, capsys, "audit", "key", "--db", staffed_clinic.url, "--export", str(out),
                      "--as", "admin")
    assert code == 0 and out.exists() and "secret" in text
    monkeypatch.setenv(audit_keys.KEY_ENV, str(tmp_path / "second" / "audit.key"))
    code, text = run_cli(staffed_clinic, capsys, "check", "--db", staffed_clinic.url)
    assert code == 3 and "does not have the audit key" in text
    code, text = run_cli(staffed_clinic, capsys, "audit", "key", "--db", staffed_clinic.url, "--import", str(out))
    assert code == 0 and "Installed" in text
    code, text = run_cli(staffed_clinic, capsys, "check", "--db", staffed_clinic.url)
    assert code == 0 and "audit trail: ok" in text


def test_the_report_needs_an_administrator(staffed_clinic, capsys, monkeypatch):
    """Without --as the command says what to give; as a clinician it is refused."""
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    code, text = run_cli(staffed_clinic, capsys, "audit", "--db", staffed_clinic.url)
    assert code == EXIT_ERROR and "--as ADMIN" in text
    code, text = run_cli(staffed_clinic, capsys, "audit", "--db", staffed_clinic.url, "--as", "clinician")
    assert code == EXIT_ERROR and "iopdesk:" in text
