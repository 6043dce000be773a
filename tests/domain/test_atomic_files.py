"""Files are written all or nothing (`iopdesk.kernel.files`): a failure half-way leaves the
destination as it was and no temporary behind, whatever wrote the file."""

from __future__ import annotations

import sqlite3

import pytest

from iopdesk.kernel.files import atomic_write, replacing


class DiskFull(OSError):
    pass


def test_a_finished_write_replaces_the_file_and_leaves_nothing_else(tmp_path) -> None:
    """Text and bytes land whole under the destination's name, replacing what was there."""
    target = tmp_path / "sync.iopsync"
    target.write_text("yesterday's")
    atomic_write(target, "today's")
    assert target.read_text() == "today's"
    atomic_write(target, b"\x00bytes", durable=False)
    assert target.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["sync.iopsync"]


def test_a_write_failing_half_way_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    """A writer that dies after writing part of the file changes nothing at the destination."""
    target = tmp_path / "billing.xlsx"
    target.write_bytes(b"last month's export")
    with pytest.raises(DiskFull), replacing(target) as partial:
        assert partial.parent == tmp_path and not partial.exists()
        partial.write_bytes(b"half of this month's")
        raise DiskFull("No space left on device")
    assert target.read_bytes() == b"last month's export"
    assert [p.name for p in tmp_path.iterdir()] == ["billing.xlsx"]


def test_a_failed_sqlite_copy_leaves_no_journal_or_wal_behind(tmp_path) -> None:
    """A database written at the temporary path (a backup, a restore) takes its side files with it."""
    target = tmp_path / "backup.sqlite"
    with pytest.raises(DiskFull), replacing(target, durable=True) as partial:
        connection = sqlite3.connect(partial)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("CREATE TABLE note (id INTEGER)")
        connection.commit()
        raise DiskFull("No space left on device")
    connection.close()
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_written_whole_or_not_at_all(tmp_path) -> None:
    """A client export's folder appears complete in place of the empty one chosen, or not at all."""
    out = tmp_path / "export"
    out.mkdir()
    with pytest.raises(DiskFull), replacing(out, folder=True) as work:
        (work / "record.json").write_text("{}")
        raise DiskFull("No space left on device")
    assert out.is_dir() and list(out.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["export"]
    with replacing(out, folder=True) as work:
        (work / "record.json").write_text("{}")
    assert [p.name for p in out.iterdir()] == ["record.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["export"]
