"""A satellite without a network: sync files carried on a USB stick, signed, and encrypted unless a
plain file is asked for."""

from __future__ import annotations

import pytest

from iopdesk.errors import ValidationError
from iopdesk.models import SyncConflict
from tests.sync_sites import make_sites

PASSPHRASE = "blue river stone"


@pytest.fixture
def three_sites_as_admin(tmp_path, staffed_sqlite_template):
    main, satellites, clients = make_sites(tmp_path, staffed_sqlite_template)
    for site in (main, *satellites):
        with site.on() as clinic:
            clinic.login("admin", "correct horse battery")
    yield main, satellites[0], satellites[1], clients[0]
    for site in (main, *satellites):
        site.close()


def _export(site, path, for_site=None, *, plain=False):
    with site.on() as clinic:
        return clinic.sync.export_file(path, for_site=for_site, passphrase=None if plain else PASSPHRASE,
                                       plain=plain)


def _import(site, path, passphrase=PASSPHRASE):
    with site.on() as clinic:
        return clinic.sync.import_file(path, passphrase=passphrase)


def test_a_satellites_edits_travel_by_file_and_importing_twice_changes_nothing(three_sites_as_admin, tmp_path):
    """North's edit reaches the main clinic by file; the same file again is a no-op."""
    main, north, _, client_id = three_sites_as_admin
    north.edit_client(client_id, phone="555-0505")
    count, size = _export(north, tmp_path / "north.sync")
    assert count >= 1 and size > 0
    _import(main, tmp_path / "north.sync")
    assert main.client(client_id).phone == "555-0505"
    before = main.last_change()
    report = _import(main, tmp_path / "north.sync")
    assert report.received.applied == 0 and main.last_change() == before


def test_files_both_ways_converge_and_confirm_what_was_received(three_sites_as_admin, tmp_path):
    """Files crossing in the post: each side imports the other's; then a second round leaves both
    identical, and the next file from the main clinic carries nothing North already has."""
    main, north, _, client_id = three_sites_as_admin
    north.edit_client(client_id, phone="555-0606")
    main.edit_client(client_id, email="both@example.org")
    _export(north, tmp_path / "n1.sync")
    _export(main, tmp_path / "m1.sync", for_site="NORTH")
    _import(main, tmp_path / "n1.sync")
    _import(north, tmp_path / "m1.sync")
    _export(north, tmp_path / "n2.sync")
    _import(main, tmp_path / "n2.sync")
    _export(main, tmp_path / "m2.sync", for_site="NORTH")
    _import(north, tmp_path / "m2.sync")
    assert north.snapshot() == main.snapshot()
    assert (north.client(client_id).phone, north.client(client_id).email) == ("555-0606", "both@example.org")


def test_the_same_field_changed_on_both_sides_of_a_file_exchange_is_one_conflict(three_sites_as_admin, tmp_path):
    """Both sides see the conflict when the files cross; it is one record, the same everywhere."""
    main, north, _, client_id = three_sites_as_admin
    north.edit_client(client_id, phone="555-0707")
    main.edit_client(client_id, phone="555-0808")
    _export(north, tmp_path / "n1.sync")
    _export(main, tmp_path / "m1.sync", for_site="NORTH")
    _import(main, tmp_path / "n1.sync")
    _import(north, tmp_path / "m1.sync")
    for round_trip in ("2", "3"):
        _export(north, tmp_path / f"n{round_trip}.sync")
        _import(main, tmp_path / f"n{round_trip}.sync")
        _export(main, tmp_path / f"m{round_trip}.sync", for_site="NORTH")
        _import(north, tmp_path / f"m{round_trip}.sync")
    for site in (main, north):
        with site.on():
            assert SyncConflict.select().count() == 1
    assert main.client(client_id).phone == north.client(client_id).phone
    assert north.snapshot() == main.snapshot()


def test_an_encrypted_file_hides_client_names_and_needs_the_passphrase(three_sites_as_admin, tmp_path):
    """Without the passphrase the file reveals no client name and cannot be imported."""
    main, north, _, client_id = three_sites_as_admin
    with north.on() as clinic:
        clinic.clients.register(legal_first="Zephyrine", legal_last="Quarrington", dob="1970-02-02", sex="F")
    path = tmp_path / "north.sync"
    _export(north, path)
    data = path.read_bytes()
    assert b"Zephyrine" not in data and b"Quarrington" not in data
    with pytest.raises(ValidationError, match="encrypted") as missing:
        _import(main, path, passphrase=None)
    assert missing.value.field == "passphrase"
    with pytest.raises(ValidationError, match="does not open"):
        _import(main, path, passphrase="wrong words")
    _import(main, path, passphrase=PASSPHRASE)
    with main.on() as clinic:
        assert [c.legal_name for c in clinic.clients.search("Quarr")] == ["Zephyrine Quarrington"]


@pytest.mark.parametrize("damage", ["flip a byte", "truncate", "append", "forge"])
def test_a_damaged_or_forged_file_is_refused_and_nothing_is_imported(three_sites_as_admin, tmp_path, damage):
    """A file changed after it was written, or signed without the clinic's key, is refused whole."""
    import gzip
    import json

    from iopdesk.sync.files import MAGIC, read_sync_file, write_sync_file

    main, north, _, client_id = three_sites_as_admin
    north.edit_client(client_id, phone="555-0909")
    path = tmp_path / "north.sync"
    _export(north, path, plain=damage == "forge")
    data = bytearray(path.read_bytes())
    if damage == "flip a byte":
        data[-10] ^= 0x55
    elif damage == "truncate":
        data = data[:-20]
    elif damage == "append":
        data += b"x"
    path.write_bytes(bytes(data))
    if damage == "forge":
        with north.on():
            from iopdesk.sync.session import sync_key

            header, batches = read_sync_file(path, sync_key=sync_key(str(north.clinic.site.id)))
        batches[0]["changes"][0]["row"]["phone"] = "555-6666"
        write_sync_file(path, header, batches, sync_key=b"not the clinic key" * 2)
        assert path.read_bytes().startswith(MAGIC) and gzip and json
    before = main.last_change()
    with pytest.raises(ValidationError, match="Sync file") as refused:
        _import(main, path)
    assert refused.value.field == "file"
    assert main.last_change() == before and main.client(client_id).phone == ""


def test_a_file_for_another_site_or_with_a_gap_is_refused(three_sites_as_admin, tmp_path):
    """South cannot import North's file, and the main clinic refuses a file that starts after what
    it has received (an earlier file is missing)."""
    main, north, south, client_id = three_sites_as_admin
    north.edit_client(client_id, phone="555-1010")
    _export(north, tmp_path / "n1.sync")
    with pytest.raises(ValidationError, match="another site"):
        _import(south, tmp_path / "n1.sync")
    _export(main, tmp_path / "m1.sync", for_site="NORTH")
    _import(north, tmp_path / "m1.sync")
    _import(main, tmp_path / "n1.sync")
    _export(main, tmp_path / "m2.sync", for_site="NORTH")
    _import(north, tmp_path / "m2.sync")
    north.edit_client(client_id, phone="555-1111")
    _export(north, tmp_path / "n2.sync")
    # A copy of the main clinic that never saw n1 would need it first:
    from iopdesk.models import SyncPeer
    with main.on():
        SyncPeer.update(received_upto=0).execute()
    with pytest.raises(ValidationError, match="import the earlier file first"):
        _import(main, tmp_path / "n2.sync")


def test_the_main_clinic_must_say_which_satellite_a_file_is_for(three_sites_as_admin, tmp_path):
    """At the main clinic a file without a site is refused with a message naming the field."""
    main, *_ = three_sites_as_admin
    with pytest.raises(ValidationError, match="must name the satellite") as refused:
        _export(main, tmp_path / "m.sync")
    assert refused.value.field == "site"


def test_a_file_is_encrypted_unless_a_plain_one_is_asked_for(three_sites_as_admin, tmp_path):
    """Without a passphrase nothing is written and the passphrase is asked for; a plain file is
    written only when asked for, carries the names in the clear, still imports without a
    passphrase (as files from older versions do), and the audit trail says which it was."""
    import gzip

    from iopdesk.models import AuditEvent

    main, north, _, _ = three_sites_as_admin
    with north.on() as clinic:
        clinic.clients.register(legal_first="Wilhelmina", legal_last="Oyelaran", dob="1984-04-04", sex="F")
    path = tmp_path / "north.sync"
    for passphrase in (None, "", "   "):
        with north.on() as clinic, pytest.raises(ValidationError, match="is encrypted; enter the passphrase") as asked:
            clinic.sync.export_file(path, passphrase=passphrase)
        assert asked.value.field == "passphrase" and not path.exists()
    with north.on() as clinic, pytest.raises(ValidationError, match="not both"):
        clinic.sync.export_file(path, passphrase=PASSPHRASE, plain=True)
    _export(north, path, plain=True)
    assert b"Oyelaran" in gzip.decompress(path.read_bytes().split(b"\n", 2)[2])  # anyone can unpack it
    _import(main, path, passphrase=None)
    with main.on() as clinic:
        assert [c.legal_name for c in clinic.clients.search("Oyelaran")] == ["Wilhelmina Oyelaran"]
    with north.on():
        exports = [e.detail for e in AuditEvent.select().where(AuditEvent.action == "sync_export")]
    assert [detail["encrypted"] for detail in exports] == [False]


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE])
def test_a_file_read_in_small_chunks_gives_back_every_batch(tmp_path, monkeypatch, passphrase):
    """Chunk boundaries fall inside lines, inside the gzip stream and inside the encryption tag:
    the batches come back whole; the wrong passphrase is told apart from a damaged file."""
    from iopdesk.sync import files

    batches = [{"covered": n, "changes": [{"note": "Reports cravings. " * n}]} for n in range(1, 40)]
    path, key = tmp_path / "north.sync", b"k" * 32
    files.write_sync_file(path, {"format": 1}, batches, sync_key=key, passphrase=passphrase)
    monkeypatch.setattr(files, "CHUNK", 7)
    header, read = files.read_sync_file(path, sync_key=key, passphrase=passphrase)
    assert read == batches and header["format"] == 1 and ("encryption" in header) == bool(passphrase)
    if passphrase:
        with pytest.raises(ValidationError, match="^Sync passphrase: it does not open this file") as wrong:
            files.read_sync_file(path, sync_key=key, passphrase="wrong words")
        assert wrong.value.field == "passphrase"


@pytest.mark.parametrize("mac", ["é" * 64, 7, None, "ab"])
def test_a_header_whose_signature_is_not_one_is_called_damaged(tmp_path, mac):
    """A signature that is not 64 hex-like characters is a damaged header, not a traceback."""
    import json

    from iopdesk.sync.files import MAGIC, read_sync_file

    path = tmp_path / "north.sync"
    path.write_bytes(MAGIC + json.dumps({"format": 1, "mac": mac}).encode() + b"\n" + b"\x1f\x8b")
    with pytest.raises(ValidationError, match="^Sync file: its header is damaged"):
        read_sync_file(path, sync_key=b"k" * 32)


def test_a_sync_file_carries_the_senders_sealed_audit_anchor(three_sites_as_admin, tmp_path):
    """The file says where North's audit trail stood when it was written (its checkpoint of the
    trail, sealed with the clinic's audit key): North's trail holds that event."""
    import json

    from iopdesk.audit import anchor as audit_anchor
    from iopdesk.sync.files import MAGIC

    _, north, _, client_id = three_sites_as_admin
    north.edit_client(client_id, phone="555-0606")
    with north.on():
        head = audit_anchor.head()
    _export(north, tmp_path / "north.sync")
    data = (tmp_path / "north.sync").read_bytes()
    header = json.loads(data[len(MAGIC):data.index(b"\n", len(MAGIC))])
    carried = header["audit_anchor"]
    assert (carried["seq"], carried["hash"]) == head
    with north.on() as clinic:
        assert carried["site_id"] == str(clinic.site.id) and audit_anchor.carried_anchor_problem(carried) == ""
        assert "altered" in audit_anchor.carried_anchor_problem({**carried, "seq": head[0] - 1})
