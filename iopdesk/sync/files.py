"""The sync file: what a satellite and the main clinic exchange on a USB stick.

Layout: a magic line, one JSON header line, then the body: gzip-compressed JSON lines, one per
batch. The header carries a HMAC-SHA256 over itself and the body, keyed with the sync key of the
satellite at either end (kept in its database and the main clinic's, never in the file), so a
corrupted, truncated or forged file is refused before anything is read from it. With a
passphrase the body is encrypted with AES-256-GCM under a key derived from the passphrase by
scrypt; without the passphrase it reveals nothing.
(`SyncService.export_file` encrypts unless a plain file is asked for; plain files are still read.)

A file is read in chunks, never whole: an 800 MB file that is not a sync file once took 2.5 GB of
memory to refuse. The signature is checked over the whole file first; only then is the body
decrypted, unpacked and parsed line by line.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from iopdesk.errors import ValidationError
from iopdesk.kernel.files import atomic_write

MAGIC = b"IOPDESK-SYNC/1\n"
CHUNK = 1 << 20  # read a megabyte at a time: a sync file is never held whole in memory
HEADER_LIMIT = 64 * 1024  # a real header is a few hundred bytes
TAG_SIZE = 16  # AES-GCM's authentication tag, after the ciphertext


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
    """(header, batches) of a verified file, read in chunks of `CHUNK` bytes.

    The signature is checked over the whole file first, holding only one chunk at a time, so a
    large file that is not a genuine sync file is refused without being loaded. Only a file that
    passes is decrypted, unpacked and parsed, line by line, while its signature is computed once
    more: a file changed between the two readings is refused too.

    Raises ValidationError ("Sync file: …") when the file is not a sync file, was changed or
    forged, is encrypted and no (or the wrong) passphrase was given, or cannot be read.
    """
    try:
        with Path(path).open("rb") as fh:
            header, mac, body_start = _read_header(fh)
            if not hmac.compare_digest(mac, _body_mac(fh, sync_key, header)):
                raise _forged()
            decryptor, body_end = _decryptor(header, passphrase, fh, body_start)
            fh.seek(body_start)
            batches = _read_batches(fh, sync_key, header, mac, decryptor, body_end)
    except OSError as error:
        raise ValidationError(f"Sync file: cannot read {path}: {error.strerror or error}.", field="file") from None
    return header, batches


def unverified_header(path: Path) -> dict:
    """The header of a sync file, NOT yet verified: only for choosing the key to verify it with."""
    try:
        with Path(path).open("rb") as fh:
            return _read_header(fh)[0]
    except OSError as error:
        raise ValidationError(f"Sync file: cannot read {path}: {error.strerror or error}.", field="file") from None


def _forged() -> ValidationError:
    return ValidationError(
        "Sync file: its signature does not match. The file was damaged or changed after it was "
        "written, or it comes from another clinic; nothing was imported.", field="file")


def _damaged() -> ValidationError:
    return ValidationError("Sync file: its contents are damaged; nothing was imported.", field="file")


def _read_header(fh: BinaryIO) -> tuple[dict, str, int]:
    """The header (without its mac), the mac, and where the body starts; the header line may be
    at most `HEADER_LIMIT` bytes, so a file without one is refused after reading that much."""
    if fh.read(len(MAGIC)) != MAGIC:
        raise ValidationError("Sync file: this is not an IOP Desk sync file.", field="file")
    line = fh.readline(HEADER_LIMIT)
    try:
        if not line.endswith(b"\n"):
            raise ValueError("no header line")
        header = json.loads(line)
        mac = header.pop("mac")
        if not (isinstance(mac, str) and len(mac) == 64 and mac.isascii()):
            raise ValueError("not a signature")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationError("Sync file: its header is damaged; nothing was imported.", field="file") from None
    return header, mac, fh.tell()


def _body_mac(fh: BinaryIO, sync_key: bytes, header: dict) -> str:
    """HMAC-SHA256 of the canonical header and the rest of `fh`, read a chunk at a time."""
    mac = hmac.new(sync_key, _canonical(header) + b"\n", hashlib.sha256)
    while chunk := fh.read(CHUNK):
        mac.update(chunk)
    return mac.hexdigest()


def _decryptor(header: dict, passphrase: str | None, fh: BinaryIO, body_start: int):
    """(AES-GCM decryptor or None, where the body's ciphertext ends); `fh` is at the file's end."""
    end = fh.tell()
    encryption = header.get("encryption")
    if not encryption:
        return None, end
    if not passphrase:
        raise ValidationError("Sync file: it is encrypted; enter the sync passphrase.", field="passphrase")
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        key = _passphrase_key(passphrase, bytes.fromhex(encryption["salt"]))
        nonce = bytes.fromhex(encryption["nonce"])
    except (ValueError, KeyError, TypeError):
        raise _damaged() from None
    if end - TAG_SIZE < body_start:
        raise _damaged()
    return Cipher(algorithms.AES(key), modes.GCM(nonce)).decryptor(), end - TAG_SIZE


def _read_batches(fh: BinaryIO, sync_key: bytes, header: dict, mac: str, decryptor, body_end: int) -> list[dict]:
    """Decrypt, unpack and parse the body from `fh`'s position to `body_end`, a chunk at a time,
    checking the signature again on the way. Once the contents fail to unpack, the rest is still
    decrypted so that a wrong passphrase (the GCM tag) is told apart from a damaged body."""
    again = hmac.new(sync_key, _canonical(header) + b"\n", hashlib.sha256)
    inflater = zlib.decompressobj(wbits=31)  # gzip
    batches: list[dict] = []
    pending: list[bytes] = []  # the start of a line not yet ended, in pieces (a line may be long)
    damaged = False
    remaining = body_end - fh.tell()
    while remaining:
        chunk = fh.read(min(CHUNK, remaining))
        if not chunk:
            raise _forged()  # the file got shorter since its signature was checked
        remaining -= len(chunk)
        again.update(chunk)
        if decryptor is not None:
            chunk = decryptor.update(chunk)
        if damaged:
            continue
        try:
            *lines, rest = inflater.decompress(chunk).split(b"\n")
            if lines:
                lines[0] = b"".join((*pending, lines[0]))
                pending = []
                batches.extend(json.loads(line) for line in lines if line.strip())
            pending.append(rest)
        except (zlib.error, ValueError):
            damaged = True
    if decryptor is not None:
        from cryptography.exceptions import InvalidTag

        tag = fh.read(TAG_SIZE)
        again.update(tag)
        try:
            decryptor.finalize_with_tag(tag)
        except (InvalidTag, ValueError):
            if hmac.compare_digest(mac, again.hexdigest()):
                raise ValidationError("Sync passphrase: it does not open this file.", field="passphrase") from None
            raise _forged() from None
    if fh.read(1) or not hmac.compare_digest(mac, again.hexdigest()):
        raise _forged()
    try:
        if damaged or not inflater.eof or inflater.unused_data:
            raise ValueError("damaged body")
        last = b"".join(pending)
        if last.strip():
            batches.append(json.loads(last))
    except ValueError:
        raise _damaged() from None
    return batches
