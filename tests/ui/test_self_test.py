"""`iopdesk --self-test`, run in the development environment (the bundle runs it in tests/ui/test_bundle.py)."""

from __future__ import annotations

import os
import sys

from iopdesk.paths import data_dir
from ui.launcher import main


def test_self_test_passes_and_leaves_the_user_data_alone(capsys):
    """The self-test writes, signs and reads back a note, prints a PDF and a workbook, checks the
    file and draws a window, all in a temporary folder; the user's data folder is not touched."""
    before = data_dir()
    existed = before.exists()
    environment = dict(os.environ)
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    for step in ("clinic: created", "note: written, signed and read back unchanged", "pdf: plan.pdf",
                 "xlsx: billing.xlsx", "integrity: ok", "qt: "):
        assert step in out
    assert out.rstrip().endswith("self-test: ok")
    assert data_dir() == before and before.exists() == existed
    assert dict(os.environ) == environment  # the sandbox is undone


def test_a_failing_step_is_reported_with_status_1(capsys, monkeypatch):
    """When a step fails the self-test says which and returns 1, without a crash."""
    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("reports.billing_xlsx.write_billing_workbook", broken)
    assert main(["--self-test"]) == 1
    assert "self-test: FAILED: OSError: disk full" in capsys.readouterr().out


def test_data_folder_is_never_inside_the_installed_bundle(monkeypatch, tmp_path):
    """In the frozen program the data folder is the user data folder, not the bundle's folder."""
    bundle = tmp_path / "opt" / "iopdesk"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "iopdesk"))
    monkeypatch.chdir(bundle.parent if bundle.parent.exists() else tmp_path)
    folder = data_dir().resolve()
    assert bundle not in folder.parents and folder != bundle
    assert folder.name == "IOPDesk"
