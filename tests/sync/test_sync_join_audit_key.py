"""A satellite joined with `iopdesk sync join` writes audit events at once: it gets the clinic's
audit key (already on this computer, or from `--audit-key FILE`), or the join is refused before
anything is written, naming the commands that carry the key over (issue 7 sync, issue 8 audit)."""

from __future__ import annotations

import shutil

import pytest

from iopdesk.audit import chain as audit
from iopdesk.audit import keys as audit_keys
from iopdesk.cli.main import main as cli_main
from iopdesk.models import ClinicSetting, Site
from iopdesk.services.sync import join_as_satellite
from tests.sync_sites import open_site, sync

CONFIG = "XDG_CONFIG_HOME"


@pytest.fixture
def main_site(tmp_path, staffed_sqlite_template):
    path = tmp_path / "main.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    site = open_site("MAIN", path)
    yield site
    site.close()
    audit_keys.forget_cached_keys()


def _clinic_id(site) -> str:
    with site.on() as clinic:
        return str(clinic.setting("clinic_id"))


def _another_computer(monkeypatch, tmp_path) -> None:
    """From here on this process sees an empty user config folder, like a new laptop."""
    monkeypatch.setenv(CONFIG, str(tmp_path / "laptop-config"))
    audit_keys.forget_cached_keys()


def _satellite_writes_and_main_verifies(main_site, path) -> None:
    north = open_site("NORTH", path)
    try:
        with north.on() as clinic:
            assert clinic.setting(audit_keys.FINGERPRINT_SETTING) == main_site.clinic.setting(
                audit_keys.FINGERPRINT_SETTING)
            clinic.clients.register(legal_first="Ysolde", legal_last="Marchetti", dob="1977-07-17", sex="F")
            assert audit.verify_chain().ok
        sync(north, main_site)
        with main_site.on():
            assert audit.verify_chain().ok
    finally:
        north.close()


def test_a_satellite_made_on_a_clinic_workstation_writes_audit_events_at_once(main_site, tmp_path):
    """Same user config folder as the main clinic: the satellite shares its key and fingerprint, registers
    a client (an audited write) at once, and the main clinic verifies those events after a sync."""
    join_as_satellite(str(main_site.path), str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North")
    _satellite_writes_and_main_verifies(main_site, tmp_path / "north.sqlite")


def test_a_laptop_joins_with_the_key_file_given_and_gets_the_key_installed(main_site, tmp_path, monkeypatch, capsys):
    """`iopdesk sync join … --audit-key FILE` on a computer without the key installs it, then joins."""
    clinic_id = _clinic_id(main_site)
    key_file = audit_keys.export_key(clinic_id, tmp_path / "clinic.key")
    _another_computer(monkeypatch, tmp_path)
    assert audit_keys.existing_key(clinic_id) is None
    assert cli_main(["sync", "join", "--main", str(main_site.path), "--db", str(tmp_path / "north.sqlite"),
                     "--site-code", "NORTH", "--site-name", "North", "--audit-key", str(key_file),
                     "--plain"]) == 0
    assert "Joined as site NORTH" in capsys.readouterr().out
    assert audit_keys.existing_key(clinic_id) == audit_keys.parse_key(key_file.read_text(), key_file)
    _satellite_writes_and_main_verifies(main_site, tmp_path / "north.sqlite")


def test_without_the_key_the_join_is_refused_naming_the_commands_and_nothing_is_written(main_site, tmp_path,
                                                                                         monkeypatch, capsys):
    """No key on this computer and none given: a clear "Audit key:" message naming `--audit-key FILE`
    and `iopdesk audit key --export FILE`; no site at the main clinic, no satellite file, no key made."""
    clinic_id = _clinic_id(main_site)
    _another_computer(monkeypatch, tmp_path)
    before = main_site.last_change()
    assert cli_main(["sync", "join", "--main", str(main_site.path), "--db", str(tmp_path / "north.sqlite"),
                     "--site-code", "NORTH", "--site-name", "North", "--plain"]) != 0
    err = capsys.readouterr().err
    assert "Audit key:" in err and "--audit-key FILE" in err and "iopdesk audit key --export FILE" in err
    assert "Traceback" not in err
    assert not (tmp_path / "north.sqlite").exists() and audit_keys.existing_key(clinic_id) is None
    with main_site.on():
        assert not Site.select().where(Site.code == "NORTH").exists()
    assert main_site.last_change() == before


def test_another_clinics_key_file_is_refused_and_not_installed(main_site, tmp_path, monkeypatch):
    """A key file that is not the main clinic's (its fingerprint differs): refused, nothing installed."""
    clinic_id = _clinic_id(main_site)
    wrong = tmp_path / "other.key"
    wrong.write_text("ab" * audit_keys.KEY_BYTES + "\n")
    _another_computer(monkeypatch, tmp_path)
    with pytest.raises(audit_keys.AuditKeyMissing, match="^Audit key: .* is not the main clinic's audit key"):
        join_as_satellite(str(main_site.path), str(tmp_path / "north.sqlite"), site_code="NORTH",
                          site_name="North", audit_key=wrong)
    assert audit_keys.existing_key(clinic_id) is None and not (tmp_path / "north.sqlite").exists()
    with main_site.on():
        assert ClinicSetting.get(ClinicSetting.key == "clinic_id").value == clinic_id
        assert not Site.select().where(Site.code == "NORTH").exists()
