"""Bad input everywhere, for sync files: random damage to a real file, and well-signed files with
malformed contents (a faulty program holding the clinic's key), never get past the checks. Each
import either succeeds or is refused with a "Sync file: …" message, and a refused one writes
nothing. A very large bogus file is refused without being loaded into memory."""

from __future__ import annotations

import copy
import json
import tracemalloc

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, assume, given, settings

from iopdesk.errors import ValidationError
from iopdesk.sync.files import MAGIC, read_sync_file, write_sync_file
from iopdesk.sync.session import sync_key
from tests.security.byte_damage import damaged_bytes
from tests.sync_sites import make_sites


@pytest.fixture(scope="module")
def exchange(tmp_path_factory, staffed_sqlite_template):
    """North's sync file for the main clinic (one edited client, one new client)."""
    folder = tmp_path_factory.mktemp("fuzz")
    main, satellites, clients = make_sites(folder, staffed_sqlite_template, satellites=("NORTH",))
    north = satellites[0]
    north.edit_client(clients[0], phone="555-7777")
    with north.on() as clinic:
        clinic.clients.register(legal_first="Odalys", legal_last="Fenwick", dob="1982-08-08", sex="F")
        clinic.login("admin", "correct horse battery")
        clinic.sync.export_file(folder / "north.iopsync", plain=True)
    with main.on() as clinic:
        clinic.login("admin", "correct horse battery")
        key = sync_key(str(north.clinic.site.id))
    header, batches = read_sync_file(folder / "north.iopsync", sync_key=key)
    yield main, folder, (folder / "north.iopsync").read_bytes(), header, batches, key
    for site in (main, north):
        site.close()


def _import_refused_or_fine(main, path) -> None:
    before = main.last_change()
    with main.on() as clinic:
        try:
            clinic.sync.import_file(path)
        except ValidationError as error:
            assert str(error).startswith(("Sync file:", "Sync passphrase:")), str(error)
            assert main.last_change() == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_damage_to_a_sync_file_is_refused(exchange, data):
    """Flipped, cut or inserted bytes anywhere in the file: refused, nothing written."""
    main, folder, original, *_ = exchange
    damaged = damaged_bytes(data, original, 4)
    assume(damaged != original)  # two flips of one byte can undo each other
    path = folder / "damaged.iopsync"
    path.write_bytes(damaged)
    before = main.last_change()
    with main.on() as clinic, pytest.raises(ValidationError, match="^Sync file:"):
        clinic.sync.import_file(path)
    assert main.last_change() == before


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-2 ** 40, 2 ** 40), st.text(max_size=30),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_signed_file_with_malformed_changes_is_refused_whole(exchange, data):
    """A field of a change, or a column of a row, replaced by junk of another type: the import
    is refused with a message naming the batch, or (when the junk happens to be valid) applies."""
    main, folder, _, header, batches, key = exchange
    batches = copy.deepcopy(batches)
    change = data.draw(st.sampled_from([c for b in batches for c in b["changes"]]))
    if data.draw(st.booleans()) or not change.get("row"):
        field = data.draw(st.sampled_from(["t", "id", "op", "f", "o", "s", "row"]))
        change[field] = data.draw(JUNK)
    else:
        column = data.draw(st.sampled_from(sorted(change["row"])))
        change["row"][column] = data.draw(JUNK)
    header = {k: v for k, v in header.items() if k not in ("mac", "encryption")}
    path = folder / "malformed.iopsync"
    write_sync_file(path, header, batches, sync_key=key)
    assert json.dumps(batches)
    _import_refused_or_fine(main, path)


BOGUS_SIZE = 160 * 1024 * 1024


@pytest.mark.parametrize("kind", ["a genuine header over a bogus body", "no header line at all"])
def test_a_large_bogus_file_is_refused_without_loading_it(exchange, tmp_path, kind):
    """A 160 MB file that is not what it claims is refused while Python's memory grows by a few
    megabytes, not by the file's size (an 800 MB one once took 2.5 GB). The file is sparse, so it
    costs almost no disk, and it is removed afterwards."""
    main, _, original, *_ = exchange
    path = tmp_path / "bogus.iopsync"
    with path.open("wb") as fh:
        fh.write(original[:original.index(b"\n", len(MAGIC)) + 1] if kind.startswith("a genuine") else MAGIC)
        fh.truncate(BOGUS_SIZE)
    before = main.last_change()
    try:
        with main.on() as clinic:
            tracemalloc.start()
            try:
                with pytest.raises(ValidationError, match="^Sync file: its (signature does not match|header is damaged)"):
                    clinic.sync.import_file(path)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    finally:
        path.unlink()
    assert peak < 16 * 1024 * 1024, f"refusing a {BOGUS_SIZE:,}-byte file took {peak:,} bytes"
    assert main.last_change() == before
