"""`iopdesk print` from the command line: the same documents as the app's Print…, a file name with no
client name in it, a release only under the client's consent (logged once), one-line errors, no Qt.

Each test builds a clinic file with Marisol (substance use track) admitted two weeks ago and a
signed treatment plan, closes it, then runs the command as a person would.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import iopdesk
from iopdesk.kernel import clock
from reports.print_cli import main
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_consents import consent_fields
from tests.domain.test_plans import signed_plan

ROOT = Path(__file__).resolve().parents[2]
COURT = "Harbor County Drug Court"


@pytest.fixture
def planned_clinic_file(tmp_path, clinic_file, monkeypatch):
    """(path, mrn, plan id): the clinic file, closed, with Marisol's signed plan; the password in the env."""
    path = clinic_file
    with iopdesk.open_clinic(str(path)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana-Reyes", dob="1991-04-12")
        episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=14),
                                           track_code="substance_use", level="2.1", primary_clinician="clinician")
        plan = signed_plan(clinic, episode)
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    return path, client.mrn, plan.id


def disclosures(path: Path, mrn: str):
    with iopdesk.open_clinic(str(path)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        return clinic.disclosures.log(clinic.clients.by_mrn(mrn).id)


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_clinician_prints_a_plan_to_the_default_file_in_the_current_folder(planned_clinic_file, tmp_path, monkeypatch,
                                                                            capsys):
    """`iopdesk print plan --client MRN` writes MRN_plan_date.pdf here, with no name in the file name."""
    path, mrn, _ = planned_clinic_file
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["plan", "--client", mrn, "--db", str(path), "--user", "clinician"]) == 0
    expected = work / f"{mrn}_plan_{clock.today():%Y-%m-%d}.pdf"
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("Wrote Treatment plan") and str(expected) in out
    assert [p.name for p in work.iterdir()] == [expected.name]
    assert "Marisol" not in expected.name and "Quintana" not in expected.name
    text = text_of(expected)
    assert "Marisol Quintana-Reyes" in text and f"MRN {mrn}" in text and "Page 1 of" in text
    assert disclosures(path, mrn) == []


def test_plan_version_is_printed_by_its_id_to_the_chosen_file(planned_clinic_file, tmp_path, capsys):
    """--target names the plan version and --out the file."""
    path, mrn, plan_id = planned_clinic_file
    out = tmp_path / "plan-v1.pdf"
    assert main(["plan", "--client", mrn, "--target", plan_id, "--out", str(out), "--db", str(path),
                 "--user", "clinician"]) == 0
    assert "Version 1 · Signed" in text_of(out)
    assert capsys.readouterr().out.startswith("Wrote Treatment plan, version 1, signed ")


def test_release_without_consent_exits_2_with_one_line_and_writes_nothing(planned_clinic_file, tmp_path, capsys):
    """No consent names the drug court: one line naming the recipient, exit 2, no file, nothing logged."""
    path, mrn, _ = planned_clinic_file
    out = tmp_path / "released.pdf"
    code = main(["plan", "--client", mrn, "--out", str(out), "--release-to", COURT, "--db", str(path),
                 "--user", "clinician"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and COURT in err and "no valid, unexpired consent" in err and "Traceback" not in err
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.suffix != ".sqlite"] == []
    assert disclosures(path, mrn) == []


def test_release_under_consent_writes_the_release_pages_and_logs_once(planned_clinic_file, tmp_path, capsys):
    """With the court's consent on file the copy carries the release pages and one disclosure is logged."""
    path, mrn, _ = planned_clinic_file
    with iopdesk.open_clinic(str(path)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        clinic.consents.record(clinic.clients.by_mrn(mrn).id, **consent_fields())
    out = tmp_path / "released.pdf"
    assert main(["plan", "--client", mrn, "--out", str(out), "--release-to", COURT, "--db", str(path),
                 "--user", "clinician"]) == 0
    assert f"released to {COURT}, logged" in capsys.readouterr().out
    assert "Released outside the program" in text_of(out)
    assert [d.recipient for d in disclosures(path, mrn)] == [COURT]


def test_an_earlier_print_is_replaced_only_with_force(planned_clinic_file, tmp_path, capsys):
    """--out naming a file that exists: one line naming it and --force, exit 2, the file untouched;
    with --force the new PDF takes its place."""
    path, mrn, plan_id = planned_clinic_file
    out = tmp_path / "plan.pdf"
    out.write_bytes(b"yesterday's signed copy")
    argv = ["plan", "--client", mrn, "--target", plan_id, "--out", str(out), "--db", str(path), "--user", "clinician"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{out} already exists" in err and "--force" in err
    assert out.read_bytes() == b"yesterday's signed copy"
    assert main([*argv, "--force"]) == 0
    assert "Version 1 · Signed" in text_of(out)


@pytest.mark.parametrize("argv, message", [
    (["plan", "--client", "MAIN-999999"], "No client with MRN 'MAIN-999999'"),
    (["plan"], "Client: a treatment plan is printed for one client"),
    (["plan", "--client", "{mrn}", "--out", "/no/such/folder/plan.pdf"], "no folder /no/such/folder"),
])
def test_a_wrong_request_gives_one_line_and_exit_2(planned_clinic_file, capsys, argv, message):
    """An unknown MRN, a missing client or an impossible --out: one line saying so, exit 2."""
    path, mrn, _ = planned_clinic_file
    argv = [a.replace("{mrn}", mrn) for a in argv]
    assert main([*argv, "--db", str(path), "--user", "clinician"]) == 2
    err = capsys.readouterr().err
    assert message.lower() in err.lower() and err.count("\n") == 1


def test_a_wrong_password_is_refused_in_one_line(planned_clinic_file, monkeypatch, capsys):
    """The password comes from IOPDESK_PASSWORD; a wrong one is refused without a traceback."""
    path, mrn, _ = planned_clinic_file
    monkeypatch.setenv("IOPDESK_PASSWORD", "not the password")
    assert main(["plan", "--client", mrn, "--db", str(path), "--user", "clinician"]) == 2
    assert "Wrong user name or password" in capsys.readouterr().err


def test_the_print_command_runs_without_qt(planned_clinic_file, tmp_path):
    """`iopdesk print` through the launcher, in a fresh interpreter, writes the PDF and loads no PySide6."""
    path, mrn, _ = planned_clinic_file
    out = tmp_path / "plan.pdf"
    code = (
        "import sys\n"
        "from ui.launcher import main\n"
        f"status = main(['print', 'plan', '--client', {mrn!r}, '--out', {str(out)!r}, '--db', {str(path)!r},"
        " '--user', 'clinician'])\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(loaded)\n"
        "sys.exit(status or (1 if loaded else 0))\n"
    )
    env = {**os.environ, "IOPDESK_PASSWORD": ADMIN_PASSWORD}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "[]" and "Wrote Treatment plan" in result.stdout
    assert out.exists() and len(PdfReader(out).pages) >= 1


def test_the_sign_in_sheets_staff_copy_is_asked_for_by_name(tmp_path, clinic_file, monkeypatch, capsys):
    """`iopdesk print sign-in --target SESSION` prints first names and last initials; with
    --staff-copy the MRNs too, and says which copy it wrote."""
    from tests.reports.test_sign_in_pdf import session_with

    path = clinic_file
    with iopdesk.open_clinic(str(path)) as clinic:
        session, (client,) = session_with(clinic, [("Marisol", "Quintana-Reyes", "")])
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    members, staff = tmp_path / "members.pdf", tmp_path / "staff.pdf"
    common = ["--target", session.id, "--db", str(path), "--user", "clinician"]
    assert main(["sign-in", *common, "--out", str(members)]) == 0
    assert main(["sign-in", *common, "--out", str(staff), "--staff-copy"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Wrote Sign-in sheet, ") and lines[1].startswith("Wrote Sign-in sheet (staff copy")
    assert "Marisol Q." in text_of(members) and client.mrn not in text_of(members)
    assert "Marisol Q." in text_of(staff) and client.mrn in text_of(staff)
    assert "Quintana" not in text_of(members) + text_of(staff)
    assert main(["plan", "--client", client.mrn, "--staff-copy", "--db", str(path), "--user", "clinician"]) == 2
    assert "Staff copy: a treatment plan has no staff copy" in capsys.readouterr().err
