"""`iopdesk backup` and `iopdesk restore` from an administrator's terminal."""

from __future__ import annotations

import iopdesk
from iopdesk.cli.main import main
from iopdesk.paths import backup_dir
from iopdesk.storage.backup_folder import backups_in


def test_backup_out_then_restore_into_a_new_file(clinic_file, tmp_path, capsys):
    """The admin backs up to a file, restores it into a new clinic file, and the new file opens."""
    assert main(["backup", "--db", str(clinic_file), "--out", str(tmp_path / "b.sqlite")]) == 0
    assert "Backup written and checked" in capsys.readouterr().out
    assert main(["restore", str(tmp_path / "b.sqlite"), "--to", str(tmp_path / "new.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "new writer" in out
    with iopdesk.open_clinic(str(tmp_path / "new.sqlite"), create=False) as restored:
        assert restored.users.count() == 6 and restored.check().ok


def test_backup_without_out_goes_to_the_backup_folder(clinic_file, capsys):
    """With no --out, the backup lands in the user's backup folder under a time name."""
    before = set(backups_in(backup_dir()))
    assert main(["backup", "--db", str(clinic_file)]) == 0
    added = set(backups_in(backup_dir())) - before
    assert len(added) == 1 and str(added.pop()) in capsys.readouterr().out


def test_restore_over_an_existing_file_is_refused(clinic_file, tmp_path, capsys):
    """Restoring onto the live clinic file is refused with one line and status 2."""
    assert main(["backup", "--db", str(clinic_file), "--out", str(tmp_path / "b.sqlite")]) == 0
    assert main(["restore", str(tmp_path / "b.sqlite"), "--to", str(clinic_file)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_backup_of_a_postgresql_clinic_prints_the_pg_dump_command(capsys):
    """A clinic server is backed up with pg_dump: the command is printed and the status is 2."""
    assert main(["backup", "--db", "postgresql://iop@clinic-server/iopdesk"]) == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom --host=clinic-server --username=iop" in err and "iopdesk" in err
