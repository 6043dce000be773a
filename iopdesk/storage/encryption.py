"""Encryption at rest: a clinic file encrypted with SQLCipher (AES-256, key from a passphrase).

`encrypt_clinic` converts a plain clinic file in place: it writes an encrypted copy with
`sqlcipher_export` next to it, checks the copy (integrity, every table's row count), then
replaces the plain file with it in one rename, so a failure at any step leaves the plain clinic
as it was. Without the passphrase the file reveals nothing: SQLCipher encrypts every page,
header included, and the WAL of an encrypted database is encrypted too. `encrypted_copy` writes
an encrypted copy of an open encrypted clinic (backups of an encrypted clinic stay encrypted).
Never copy an open database file: both go through SQLCipher's export.
"""

from __future__ import annotations

from pathlib import Path

from iopdesk.errors import DatabaseUnavailable, ValidationError
from iopdesk.kernel.files import replacing
from iopdesk.passwords import guessable
from iopdesk.storage.db import refuse_unless_clinic_file
from iopdesk.storage.file_kind import is_encrypted_file

MIN_PASSPHRASE = 12


def check_passphrase(passphrase: str) -> None:
    """ValidationError naming the field when the passphrase is too weak to protect the clinic:
    shorter than MIN_PASSPHRASE, or among the first things a guesser with a copy of the file
    tries (passwords.guessable: repeats, common passwords, keyboard and alphabet runs). The file
    can be attacked offline at any speed, so only a passphrase nobody would guess protects it."""
    if len(passphrase or "") < MIN_PASSPHRASE:
        raise ValidationError(f"Passphrase: use at least {MIN_PASSPHRASE} characters (a few words).",
                              field="passphrase")
    reason = guessable(passphrase)
    if reason is not None:
        raise ValidationError(f"Passphrase: too easy to guess ({reason}); use a few unrelated words.",
                              field="passphrase")


def _sqlcipher():
    try:
        import sqlcipher3
    except ImportError:
        raise DatabaseUnavailable("Encryption needs the sqlcipher3 package, which is not installed.") from None
    return sqlcipher3


def _table_counts(connection, schema: str = "main") -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: connection.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0] for name in names}


def _export(source: Path, source_key: str | None, target: Path, target_key: str) -> dict[str, int]:
    """Write `source` (plain or encrypted) to a new encrypted `target`; returns the row counts."""
    sqlcipher3 = _sqlcipher()
    connection = sqlcipher3.connect(str(source))
    try:
        if source_key:
            connection.execute(f"PRAGMA key = '{_quoted(source_key)}'")
        connection.execute(f"ATTACH DATABASE ? AS encrypted KEY '{_quoted(target_key)}'", (str(target),))
        connection.execute("BEGIN")  # one read snapshot for the counts and the export
        counts = _table_counts(connection)
        connection.execute("SELECT sqlcipher_export('encrypted')")
        version = connection.execute("PRAGMA main.user_version").fetchone()[0]
        connection.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        connection.execute("COMMIT")
        connection.execute("DETACH DATABASE encrypted")
    finally:
        connection.close()
    return counts


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def _verify(path: Path, key: str, counts: dict[str, int]) -> None:
    sqlcipher3 = _sqlcipher()
    connection = sqlcipher3.connect(str(path))
    try:
        connection.execute(f"PRAGMA key = '{_quoted(key)}'")
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise DatabaseUnavailable(f"The encrypted copy failed its integrity check ({result[0]}); "
                                      "the clinic was left as it was.")
        if _table_counts(connection) != counts:
            raise DatabaseUnavailable("The encrypted copy does not hold every row; the clinic was left as it was.")
    finally:
        connection.close()


def encrypt_clinic(path: Path, passphrase: str) -> dict[str, int]:
    """Encrypt the plain clinic file at `path` in place; returns its tables' row counts.

    Raises ValidationError for a weak passphrase or a file that is already encrypted or missing;
    DatabaseUnavailable when the copy cannot be written or does not check out (nothing changed).
    Close the app on every workstation using the file first.
    """
    path = Path(path)
    check_passphrase(passphrase)
    if not path.is_file():
        raise ValidationError(f"Clinic database: there is no file {path}.", field="db")
    refuse_unless_clinic_file(path)
    if is_encrypted_file(path):
        raise ValidationError(f"Clinic database: {path} is already encrypted.", field="db")
    sqlcipher3 = _sqlcipher()
    plain = sqlcipher3.connect(str(path))
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        plain.close()
    with replacing(path) as temporary:
        counts = _export(path, None, temporary, passphrase)
        _verify(temporary, passphrase, counts)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return counts


def encrypted_copy(path: Path, passphrase: str, out: Path) -> dict[str, int]:
    """An encrypted, checked copy of the encrypted clinic at `path` (same passphrase) at `out`,
    consistent even while the app writes; refuses an existing `out`."""
    out = Path(out)
    if out.exists():
        raise ValidationError(f"Backup file: {out} already exists.", field="out")
    with replacing(out) as temporary:
        counts = _export(Path(path), passphrase, temporary, passphrase)
        _verify(temporary, passphrase, counts)
    return counts
