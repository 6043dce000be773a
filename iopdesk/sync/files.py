"""The sync file: what a satellite and the main clinic exchange on a USB stick.

Layout: a magic line, one JSON header line, then the body: gzip-compressed JSON lines, one per
batch. The header carries a HMAC-SHA256 over itself and the body, keyed with the clinic's sync
key (kept in each database, never in the file), so a corrupted, truncated or forged file is
refused before anything is read from it. With a passphrase the body is encrypted with AES-256-GCM
under a key derived from the passphrase by scrypt; without the passphrase it reveals nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
from pathlib import Path

from iopdesk.errors import ValidationError
from iopdesk.kernel.files import atomic_write

MAGIC = b"IOPDESK-SYNC/1\n"


def _canonical(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _passphrase_key(passphrase: str, salt: bytes) -> bytes:
    return hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=2 ** 14, r=8, p=1, dklen=32)


def write_sync_file(path: Path, header: dict, batches: list[dict], *, sync_key: bytes,
                    passphrase: str | None = None) -> int:
    """Write the file (to a temporary name, then renamed, so a half-written file never has the
    real name); returns its size in bytes."""
    body = gzip.compress(b"".join(
        json.dumps(batch, separators=(",", ":")).encode("utf-8") + b"\n" for batch in batches
    ), compresslevel=6, mtime=0)
    header = dict(header)
    if passphrase:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, nonce = os.urandom(16), os.urandom(12)
        body = AESGCM(_passphrase_key(passphrase, salt)).encrypt(nonce, body, None)
        header["encryption"] = {"cipher": "AES-256-GCM", "kdf": "scrypt", "salt": salt.hex(),
                                "nonce": nonce.hex()}
    header["mac"] = hmac.new(sync_key, _canonical(header) + b"\n" + body, hashlib.sha256).hexdigest()
    data = MAGIC + _canonical(header) + b"\n" + body
    atomic_write(path, data, durable=True)
    return len(data)


def read_sync_file(path: Path, *, sync_key: bytes, passphrase: str | None = None) -> tuple[dict, list[dict]]:
    """(header, batches) of a verified file.

    Raises ValidationError ("Sync file: …") when the file is not a sync file, was changed or
    forged, is encrypted and no (or the wrong) passphrase was given, or cannot be read.
    """
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ValidationError(f"Sync file: cannot read {path}: {error.strerror or error}.", field="file") from None
    if not data.startswith(MAGIC):
        raise ValidationError("Sync file: this is not an IOP Desk sync file.", field="file")
    header_end = data.find(b"\n", len(MAGIC))
    try:
        header = json.loads(data[len(MAGIC):header_end])
        mac = header.pop("mac")
    except (ValueError, KeyError, TypeError):
        raise ValidationError("Sync file: its header is damaged; nothing was imported.", field="file") from None
    body = data[header_end + 1:]
    expected = hmac.new(sync_key, _canonical(header) + b"\n" + body, hashlib.sha256).hexdigest()
    if header_end < 0 or not hmac.compare_digest(str(mac), expected):
        raise ValidationError(
            "Sync file: its signature does not match. The file was damaged or changed after it was "
            "written, or it comes from another clinic; nothing was imported.", field="file")
    encryption = header.get("encryption")
    if encryption:
        if not passphrase:
            raise ValidationError("Sync file: it is encrypted; enter the sync passphrase.", field="passphrase")
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = _passphrase_key(passphrase, bytes.fromhex(encryption["salt"]))
        try:
            body = AESGCM(key).decrypt(bytes.fromhex(encryption["nonce"]), body, None)
        except InvalidTag:
            raise ValidationError("Sync passphrase: it does not open this file.", field="passphrase") from None
    try:
        lines = gzip.decompress(body).splitlines()
        batches = [json.loads(line) for line in lines if line.strip()]
    except (OSError, ValueError, EOFError):
        raise ValidationError("Sync file: its contents are damaged; nothing was imported.", field="file") from None
    return header, batches
