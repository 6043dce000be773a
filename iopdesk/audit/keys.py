"""The audit chain's secret key, kept OUTSIDE the clinic database.

Audit events are sealed with HMAC-SHA256 under a 32-byte key per clinic (one `clinic_id`), held in
a file of the user's config folder, `<config>/audit-keys/<clinic_id>.key` (mode 0600), or wherever
`$IOPDESK_AUDIT_KEY_FILE` points. Someone who can edit the database file but not read the key
cannot recompute a hash they changed. Every workstation of a PostgreSQL clinic and every satellite
site must hold the same key: `iopdesk audit key --export FILE` at one, `--import FILE` at the others.

The database remembers only the key's fingerprint (setting `audit_key_id`, an HMAC of a constant,
which reveals nothing of the key). Invariants: a key is created only where the database has no
fingerprint yet (the first event of a new clinic, or the upgrade of an old one); a workstation
without the key, or with another clinic's key, gets `AuditKeyMissing` instead of writing events
nobody else could verify.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import weakref
from pathlib import Path

import platformdirs

from iopdesk.errors import IopDeskError

KEY_ENV = "IOPDESK_AUDIT_KEY_FILE"
KEY_BYTES = 32
FINGERPRINT_SETTING = "audit_key_id"


class AuditKeyMissing(IopDeskError):
    """This computer does not hold the clinic's audit key (or holds a different one)."""


def key_file(clinic_id: str) -> Path:
    """Where this computer keeps the audit key of clinic `clinic_id`."""
    override = os.environ.get(KEY_ENV)
    if override:
        return Path(override).expanduser()
    base = Path(platformdirs.user_config_dir("IOPDesk", appauthor=False))
    return base / "audit-keys" / f"{clinic_id}.key"


def parse_key(text: str, where: object) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise AuditKeyMissing(f"Audit key: {where} is not an IOP Desk audit key file.", field="key")
    return key


def existing_key(clinic_id: str) -> bytes | None:
    """The clinic's key if this computer has it, else None. AuditKeyMissing for a damaged file."""
    path = key_file(clinic_id)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyMissing(f"Audit key: cannot read {path}: {exc}", field="key") from None
    return parse_key(text, path)


def _write_new(path: Path, key: bytes) -> bool:
    """Create `path` holding `key` (0600), all or nothing: written to a temporary file, then
    linked into place. False if `path` exists already (another process won)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def key_for(clinic_id: str, *, create: bool = True) -> bytes:
    """The clinic's key, created (secrets.token_bytes) on first use when `create`.

    Raises AuditKeyMissing when there is none and `create` is False.
    """
    key = existing_key(clinic_id)
    if key is not None:
        return key
    if not create:
        raise AuditKeyMissing(
            f"Audit key: this computer does not have the audit key of this clinic ({key_file(clinic_id)}). "
            "Copy it from a workstation that has it: `iopdesk audit key --export FILE` there, "
            "`iopdesk audit key --import FILE` here.", field="key")
    _write_new(key_file(clinic_id), secrets.token_bytes(KEY_BYTES))  # False: another process won
    return parse_key(key_file(clinic_id).read_text(encoding="ascii"), key_file(clinic_id))


def install_key(clinic_id: str, key: bytes) -> Path:
    """Store `key` as the clinic's key on this computer (a satellite joining, a new workstation).

    Installing the key already there is a no-op; AuditKeyMissing when a DIFFERENT key is there
    (replacing it would make every event written here unverifiable).
    """
    key = parse_key(key.hex() if isinstance(key, bytes | bytearray) else str(key), "the key given")
    path = key_file(clinic_id)
    current = existing_key(clinic_id)
    if current is not None:
        if hmac.compare_digest(current, key):
            return path
        raise AuditKeyMissing(f"Audit key: {path} already holds a different key for this clinic; "
                              "nothing was changed.", field="key")
    if not _write_new(path, key) and not hmac.compare_digest(existing_key(clinic_id) or b"", key):
        raise AuditKeyMissing(f"Audit key: {path} was created meanwhile with a different key.", field="key")
    forget_cached_keys()
    return path


def export_key(clinic_id: str, out: str | os.PathLike) -> Path:
    """Write the clinic's key to `out` (mode 0600) to carry to another workstation."""
    key = key_for(clinic_id, create=False)
    path = Path(out)
    if path.exists():
        raise AuditKeyMissing(f"Audit key: {path} exists already; choose a new file.", field="out")
    _write_new(path, key)
    return path


def import_key(clinic_id: str, source: str | os.PathLike) -> Path:
    """Install the key in file `source` (written by export_key) for clinic `clinic_id`."""
    try:
        text = Path(source).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditKeyMissing(f"Audit key: cannot read {source}: {exc}", field="file") from None
    return install_key(clinic_id, parse_key(text, source))


def key_for_joining(clinic_id: str, stored_fingerprint: str | None, source: str | os.PathLike | None = None) -> Path:
    """Make sure this computer holds the audit key of the clinic a new satellite joins, before
    anything is written: from the key file `source` (installed here once it proves to be the
    clinic's key), else the one already in this computer's config folder (a satellite made on a
    workstation of the clinic). Returns where the key is kept.

    Raises AuditKeyMissing (field "audit_key") when `source` cannot be read or is another clinic's
    key, or when there is no key here and no file was given: the message names the commands that
    carry the key over. A clinic that never used a key (`stored_fingerprint` None) needs none yet.
    """
    if source is not None:
        try:
            key = parse_key(Path(source).read_text(encoding="ascii"), source)
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditKeyMissing(f"Audit key: cannot read {source}: {exc}", field="audit_key") from None
        except AuditKeyMissing as exc:
            raise AuditKeyMissing(str(exc), field="audit_key") from None
        if stored_fingerprint is not None and fingerprint(key) != stored_fingerprint:
            raise AuditKeyMissing(f"Audit key: {source} is not the main clinic's audit key; nothing was changed.",
                                  field="audit_key")
        return install_key(clinic_id, key)
    key = existing_key(clinic_id)
    if key is None and stored_fingerprint is not None:
        raise AuditKeyMissing(
            f"Audit key: this computer does not have the main clinic's audit key ({key_file(clinic_id)}), "
            "so the new site could not write its audit trail; nothing was changed. At the main clinic run "
            "`iopdesk audit key --export FILE`, then join again with `iopdesk sync join … --audit-key FILE` "
            "(or install it first with `iopdesk audit key --import FILE`).", field="audit_key")
    if key is not None and stored_fingerprint is not None and fingerprint(key) != stored_fingerprint:
        raise AuditKeyMissing(
            f"Audit key: {key_file(clinic_id)} is not the main clinic's audit key; nothing was changed. "
            "Join with `iopdesk sync join … --audit-key FILE` holding the right one.", field="audit_key")
    return key_file(clinic_id)


def fingerprint(key: bytes) -> str:
    """What the database stores to recognise its key (reveals nothing of the key)."""
    return hmac.new(key, b"iopdesk audit key fingerprint", hashlib.sha256).hexdigest()[:32]


# -- the key of the database in use ------------------------------------------------------------
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def forget_cached_keys() -> None:
    """Drop keys remembered per database (after installing a key, or in tests)."""
    _CACHE.clear()


def _setting(name: str):
    from iopdesk.models import ClinicSetting

    row = ClinicSetting.get_or_none(ClinicSetting.key == name)
    return row.value if row else None


def database_key(*, create: bool) -> bytes | None:
    """The audit key of the clinic database the models are bound to now.

    With `create` (writing an event): the key, created if the database has never used one, its
    fingerprint then stored. Without (verifying): the key, or None when the database has never
    used one. AuditKeyMissing when the database has a fingerprint but this computer has no key or
    another one.
    """
    from iopdesk.models import ClinicSetting
    from iopdesk.storage.db import database

    db = database.obj
    cached = _CACHE.get(db)
    if cached is not None:
        return cached
    clinic_id = _setting("clinic_id")
    if clinic_id is None:
        if create:
            raise AuditKeyMissing("Audit key: the clinic has no identity yet.", field="key")
        return None
    stored = _setting(FINGERPRINT_SETTING)
    key = existing_key(str(clinic_id))
    if key is None:
        if stored is not None or not create:
            if stored is None:
                return None
            key_for(str(clinic_id), create=False)  # raises, naming the file and the remedy
        key = key_for(str(clinic_id))
    if stored is None:
        if not create:
            return key
        ClinicSetting.create(key=FINGERPRINT_SETTING, value=fingerprint(key))
    elif stored != fingerprint(key):
        raise AuditKeyMissing(
            f"Audit key: {key_file(str(clinic_id))} is not this clinic database's audit key. "
            "Import the right one with `iopdesk audit key --import FILE`.", field="key")
    _CACHE[db] = key
    return key
