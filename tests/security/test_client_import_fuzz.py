"""Bad input everywhere, for client record imports (issue 8, item 7; issue 19, item 3): an export
folder damaged at random (bytes flipped, files dropped), or edited with its manifest hashes
recomputed, refused at the signature; and the same edits signed again with the exporting clinic's
own key (someone who holds it), so that the signature and hash checks pass but the content is
junk (wrong types, text in numeric columns, bad dates, unknown columns and tables, huge strings,
foreign keys pointing nowhere). Every import either succeeds whole or is refused whole: a
ValidationError whose message starts with what is wrong, no traceback, and the row count of
every table unchanged."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import uuid
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, assume, given, settings

import iopdesk
from iopdesk.errors import ValidationError
from iopdesk.interchange.client_export import export_client_record
from iopdesk.interchange.client_import import import_client_record
from iopdesk.interchange.signing import clinic_signing_key
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent
from iopdesk.storage.records import content_hash
from tests.conftest import ADMIN_PASSWORD
from tests.security.byte_damage import damaged_bytes
from tests.security.forged_exports import rehashed_manifest, signed_bytes
from tests.security.tampering import row_counts_in

LABEL = re.compile(r"^[A-Z][A-Za-z ]{1,40}: \S")
FUZZ = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def exported(tmp_path_factory, staffed_sqlite_template):
    """A client with an episode, a diagnosis and a signed note, exported; the folder's files in
    memory, and the exporting clinic's signing key (to sign edits with, as one who holds it would)."""
    base = tmp_path_factory.mktemp("import-fuzz")
    source = base / "source.sqlite"
    shutil.copyfile(staffed_sqlite_template, source)
    with iopdesk.open_clinic(str(source)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        client, _ = clinic.clients.register(legal_first="Ines", legal_last="Achterberg", dob="1984-05-06", sex="F")
        episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=9),
                                           track_code="substance_use", level="2.1", primary_clinician="clinician")
        note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                            service_date=clock.today() - dt.timedelta(days=1),
                                            starts_at="10:00", ends_at="10:50",
                                            sections={"data": "d", "assessment": "a", "plan": "p"})
        clinic.notes.sign(note.id, note.version)
        clinic.login("supervisor", ADMIN_PASSWORD)
        export_client_record(clinic, client.mrn, base / "export")
        key = clinic_signing_key(clinic)
    files = {str(p.relative_to(base / "export")): p.read_bytes() for p in (base / "export").rglob("*") if p.is_file()}
    return base, files, key


class Target:
    """An empty clinic to import into, renewed after an import that succeeded."""

    def __init__(self, base: Path, template: str) -> None:
        self.base, self.template, self.n, self.clinic = base, template, 0, None
        self.renew()

    def renew(self) -> None:
        if self.clinic is not None:
            self.clinic.close()
        self.n += 1
        path = self.base / f"target{self.n}.sqlite"
        shutil.copyfile(self.template, path)
        self.path = path
        self.clinic = iopdesk.open_clinic(str(path))

    def counts(self) -> dict[str, int]:
        return row_counts_in(self.path)


@pytest.fixture(scope="module")
def target(exported, sqlite_template):
    base, _, _ = exported
    found = Target(base, sqlite_template)
    yield found
    found.clinic.close()


def _write(base: Path, files: dict[str, bytes]) -> Path:
    folder = base / f"try-{uuid.uuid4().hex[:8]}"
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def _whole_or_refused(target: Target, folder: Path) -> str:
    """Import; a refusal must start with a label and change no table; returns "ok" or the message."""
    before = target.counts()
    seals_before = AuditEvent.select().where(AuditEvent.action == "seal").count()
    try:
        report = import_client_record(target.clinic, folder)
    except ValidationError as error:
        message = str(error)
        assert LABEL.match(message), message
        assert "Traceback" not in message
        assert target.counts() == before, message
        return message
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    after = target.counts()
    assert after["client"] == 1 and report.inserted > 0
    sealed = AuditEvent.select().where(AuditEvent.action == "seal").count() - seals_before  # on arrival
    assert after["audit_event"] == before["audit_event"] + 1 + sealed
    target.renew()
    return "ok"


def _signed(files: dict[str, bytes], manifest: dict, key) -> dict[str, bytes]:
    """`files` with `manifest` signed by `key` (manifest.json and signature.json)."""
    body, signature = signed_bytes(manifest, key)
    return {**files, "manifest.json": body, "signature.json": signature}


def _rehashed(files: dict[str, bytes], name: str, rows: list, key) -> dict[str, bytes]:
    """`files` with table file `name` replaced by `rows`, its manifest entry recomputed to match
    and the manifest signed again with `key` (None: the old signature left as it was)."""
    files = dict(files)
    data = (json.dumps(rows, sort_keys=True, indent=1) + "\n").encode("ascii")
    files[name] = data
    manifest = rehashed_manifest(json.loads(files["manifest.json"]), name, data, rows)
    if key is None:
        return {**files, "manifest.json": json.dumps(manifest).encode()}
    return _signed(files, manifest, key)


def _same_json(damaged: bytes, original: bytes) -> bool:
    """Whitespace cut from signature.json (which the signature does not cover) leaves the same signature."""
    try:
        return json.loads(damaged) == json.loads(original)
    except ValueError:
        return False


def test_the_untouched_export_imports(exported, target):
    """The control: the export as written imports whole."""
    base, files, _ = exported
    assert _whole_or_refused(target, _write(base, files)) == "ok"


@FUZZ
@given(data=st.data())
def test_random_damage_to_a_file_of_the_export_is_refused(exported, target, data):
    """Flipped, cut or inserted bytes in any file (the manifest's whitespace included: it is signed
    byte for byte), or a file dropped: refused, nothing written."""
    base, files, _ = exported
    files = dict(files)
    name = data.draw(st.sampled_from(sorted(files)))
    if data.draw(st.integers(0, 4)) == 0:
        del files[name]
    else:
        damaged = damaged_bytes(data, files[name], 3)
        assume(damaged != files[name] and not (name == "signature.json" and _same_json(damaged, files[name])))
        files[name] = damaged
    message = _whole_or_refused(target, _write(base, files))
    assert message.startswith("Manifest:"), message


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-2 ** 70, 2 ** 70), st.floats(allow_nan=False), st.text(max_size=20),
    st.sampled_from(["2024-02-30", "31/12/2024", "yesterday", "25:61:00", "2024-01-01T10:00:00+05:00",
                     "not-a-uuid", str(uuid.uuid4()), "NaN", "1e999", "-1", "\ud800", "\x00", "x" * 300_000]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@FUZZ
@given(data=st.data())
def test_junk_values_under_recomputed_hashes_are_refused_whole_or_imported_whole(exported, target, data):
    """A column given junk, an unknown column added, a column dropped or a foreign key pointed
    nowhere, with the manifest's hashes recomputed and signed with the clinic's key: refused naming
    what is wrong, or imported whole."""
    base, files, key = exported
    name = data.draw(st.sampled_from(sorted(n for n in files if n.startswith(("tables/", "shared/"))
                                            and json.loads(files[n]))))
    rows = json.loads(files[name])
    row = rows[data.draw(st.integers(0, len(rows) - 1))]
    action = data.draw(st.sampled_from(["junk", "junk", "junk", "unknown", "drop", "dangling"]))
    column = data.draw(st.sampled_from(sorted(row)))
    if action == "junk":
        row[column] = data.draw(JUNK)
    elif action == "unknown":
        row[data.draw(st.text(min_size=1, max_size=12))] = data.draw(JUNK)
    elif action == "drop":
        del row[column]
    else:
        keys = [c for c in sorted(row) if c.endswith("_id")] or [column]
        row[data.draw(st.sampled_from(keys))] = str(uuid.uuid4())
    _whole_or_refused(target, _write(base, _rehashed(files, name, rows, key)))


@FUZZ
@given(data=st.data())
def test_a_manifest_with_junk_entries_or_unknown_tables_is_refused(exported, target, data):
    """Manifest fields replaced by junk, a file entry for a table that does not exist, a second
    client smuggled in as a shared row, or a file outside the folder, signed with the clinic's key:
    refused, nothing written."""
    base, files, key = exported
    files = dict(files)
    manifest = json.loads(files["manifest.json"])
    action = data.draw(st.sampled_from(["field", "entry", "table", "client", "outside"]))
    if action == "field":
        manifest[data.draw(st.sampled_from(["files", "attachments", "client", "clinic", "format_version",
                                                   "format_note", "signer"]))] = \
            data.draw(JUNK)
    elif action == "entry":
        entry = data.draw(st.sampled_from(manifest["files"]))
        entry[data.draw(st.sampled_from(["table", "part", "file", "rows", "sha256", "records"]))] = data.draw(JUNK)
    elif action == "table":
        data_bytes = b"[]\n"
        files["tables/no_such_table.json"] = data_bytes
        manifest["files"].append({"table": data.draw(st.sampled_from(["no_such_table", "sqlite_master", ""])),
                                  "part": "record", "file": "tables/no_such_table.json", "rows": 0,
                                  "sha256": hashlib.sha256(data_bytes).hexdigest(), "records": {}})
    elif action == "client":
        other = dict(json.loads(files["tables/client.json"])[0], id=str(uuid.uuid4()), mrn="MAIN-999999")
        data_bytes = json.dumps([other]).encode()
        files["shared/client.json"] = data_bytes
        manifest["files"].append({"table": "client", "part": "shared", "file": "shared/client.json", "rows": 1,
                                  "sha256": hashlib.sha256(data_bytes).hexdigest(),
                                  "records": {other["id"]: content_hash(other)}})
    else:
        manifest["files"][0]["file"] = data.draw(st.sampled_from(["../../etc/passwd", "/etc/hostname", "..", "."]))
    message = _whole_or_refused(target, _write(base, _signed(files, manifest, key)))
    assert message.startswith("Manifest:") or (message == "ok" and action in ("field", "entry")), message


def _edited(files: dict[str, bytes], name: str, edit, key) -> dict[str, bytes]:
    rows = json.loads(files[name])
    edit(rows[0])
    return _rehashed(files, name, rows, key)


@pytest.mark.parametrize(("name", "edit", "expected"), [
    ("tables/episode.json", lambda r: r.update(days_per_week="five"), "days_per_week must be a whole number"),
    ("tables/episode.json", lambda r: r.update(admitted_on="2024-02-30"), "tables/episode.json: row"),
    ("tables/note.json", lambda r: r.update(mood_score=3), "unknown column mood_score"),
    ("tables/note.json", lambda r: r.pop("author_id"), "column author_id is missing"),
    ("tables/episode.json", lambda r: r.update(primary_clinician_id=str(uuid.uuid4())),
     "primary_clinician_id points at a staff row that is neither in the export nor in this clinic"),
    ("tables/client.json", lambda r: r.update(legal_last="x" * 200_000), "legal_last is longer than"),
])
def test_each_kind_of_junk_is_named_in_the_refusal(exported, target, name, edit, expected):
    """Text in a number column, an impossible date, an unknown or missing column, a foreign key
    pointing nowhere, a huge string: the message says which file, row and column, nothing is written."""
    base, files, key = exported
    message = _whole_or_refused(target, _write(base, _edited(files, name, edit, key)))
    assert message.startswith("Manifest: ") and expected in message, message
    unsigned = _whole_or_refused(target, _write(base, _edited(files, name, edit, None)))
    assert unsigned.startswith("Manifest: manifest.json does not match its signature"), unsigned


def test_a_file_name_no_file_system_can_hold_is_refused_by_name(exported, target):
    """A manifest whose file name is a lone surrogate ("\\ud800", valid JSON, found by the fuzzer)
    is refused with the manifest's message instead of failing inside the path functions."""
    base, files, key = exported
    manifest = json.loads(files["manifest.json"])
    manifest["files"][0]["file"] = "tables/\ud800.json"
    message = _whole_or_refused(target, _write(base, _signed(files, manifest, key)))
    assert message.startswith("Manifest: file name") and "is not a file name" in message, message
