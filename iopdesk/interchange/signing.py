"""Who wrote a client record export: the clinic's Ed25519 export key, its signature, and trust.

A client record export leaves the clinic as a folder anyone can edit and re-hash (its file and row
hashes are plain SHA-256), so the manifest that lists them is signed. The signing key is the
clinic's own and never leaves the workstations of the clinic: its 32-byte seed is derived
(HKDF-SHA256, RFC 5869) from the clinic's audit key (iopdesk/audit/keys.py), kept outside the
clinic file in the user's config folder (0600, `$IOPDESK_AUDIT_KEY_FILE` in tests). Deriving it,
rather than keeping a second secret file, means every workstation and satellite that holds the
audit key (carried by `iopdesk audit key --export/--import`) signs with the same key, with
nothing more to copy, and that someone who can read the clinic file but not the audit key cannot
sign. The public key and its fingerprint are recorded in the clinic database on the first export
(setting `export_signing_key`) so staff can read the fingerprint out to a recipient.

The fingerprint is the first 128 bits of SHA-256 over the raw 32-byte public key, as 8 groups
of 4 hex digits: short enough to read over the phone, far beyond guessing (a second key with the
same fingerprint costs about 2^128 tries). An importing clinic trusts its own key and the keys in
its list (setting `trusted_export_keys`, full public keys, each with who trusted it and when);
any other signer is refused until an administrator confirms the fingerprint, compared out of
band with the exporting clinic, which adds the key to the list with an audit event.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from iopdesk.audit import chain as audit
from iopdesk.audit import keys
from iopdesk.errors import ValidationError
from iopdesk.kernel.clock import utcnow
from iopdesk.models import ClinicSetting

ALGORITHM = "Ed25519"
SIGNATURE_FILE = "signature.json"
OWN_KEY_SETTING = "export_signing_key"
TRUSTED_SETTING = "trusted_export_keys"
_DERIVATION = b"iopdesk client record export signing key, v1"
_HEX = re.compile(r"^[0-9a-f]*$")


@dataclass(frozen=True)
class Signer:
    """The key an export is signed with: raw public key as hex, and its fingerprint."""

    public_key: str
    fingerprint: str


def fingerprint(public_key: bytes) -> str:
    """"3F2A 91C0 …": the first 16 bytes of SHA-256 of the raw public key, grouped hex."""
    return _grouped(hashlib.sha256(public_key).hexdigest()[:32])


def normalised_fingerprint(text: object) -> str:
    """A fingerprint as typed (any case, spaces, colons or dashes between digits) in the shown
    form; ValidationError naming `trust` if it is not 32 hex digits."""
    digits = re.sub(r"[\s:-]", "", str(text or "")).lower()
    if len(digits) != 32 or not _HEX.match(digits):
        raise ValidationError(f"Trust: {str(text)[:80]!r} is not a key fingerprint (32 hex digits, "
                              "as shown when the import was refused).", field="trust")
    return _grouped(digits)


def _grouped(digits: str) -> str:
    digits = digits.upper()
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def signer_of(private: Ed25519PrivateKey) -> Signer:
    raw = _raw(private.public_key())
    return Signer(raw.hex(), fingerprint(raw))


def _setting(name: str):
    row = ClinicSetting.get_or_none(ClinicSetting.key == name)
    return row.value if row else None


def _put_setting(name: str, value) -> None:
    if ClinicSetting.update(value=value, updated_at=utcnow(), version=ClinicSetting.version + 1).where(
            ClinicSetting.key == name).execute() == 0:
        ClinicSetting.create(key=name, value=value)


def _derived(clinic, audit_key: bytes) -> Ed25519PrivateKey:
    clinic_id = str(clinic.setting("clinic_id", ""))
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=_DERIVATION + b"|" + clinic_id.encode()).derive(audit_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def clinic_signing_key(clinic) -> Ed25519PrivateKey:
    """The clinic's export key, derived from its audit key on this workstation; its public key
    is recorded in the clinic database the first time. Raises AuditKeyMissing without the audit
    key, ValidationError (field "key") when the audit key here gives another export key than the
    one recorded (the recorded one was made with a different audit key)."""
    private = _derived(clinic, keys.database_key(create=True))
    signer = signer_of(private)
    with clinic.db.atomic():
        recorded = _setting(OWN_KEY_SETTING)
        if recorded is None:
            _put_setting(OWN_KEY_SETTING, {"algorithm": ALGORITHM, "public_key": signer.public_key,
                                           "fingerprint": signer.fingerprint})
        elif recorded.get("public_key") != signer.public_key:
            raise ValidationError(
                f"Export key: this workstation's audit key gives the export key {signer.fingerprint}, but "
                f"this clinic signs with {recorded.get('fingerprint')}; nothing was exported. Install the "
                "clinic's audit key with `iopdesk audit key --import FILE`.", field="key")
    return private


def own_signer(clinic) -> Signer | None:
    """This clinic's export key: as recorded by its first export, else as this workstation's
    audit key gives it (None for a clinic that never used an audit key)."""
    recorded = clinic.setting(OWN_KEY_SETTING)
    if isinstance(recorded, dict):
        return Signer(str(recorded.get("public_key")), str(recorded.get("fingerprint")))
    audit_key = keys.database_key(create=False)
    return None if audit_key is None else signer_of(_derived(clinic, audit_key))


def signature_document(private: Ed25519PrivateKey, manifest: bytes) -> dict:
    """The content of signature.json: the signature over the manifest file's exact bytes."""
    return {"algorithm": ALGORITHM, "signs": "manifest.json",
            "public_key": signer_of(private).public_key, "signature": private.sign(manifest).hex()}


def verified_signer(document: object, manifest: bytes) -> Signer:
    """The signer of `manifest` (the bytes of manifest.json) according to `document` (the parsed
    signature.json), once its signature checks. ValidationError (field "manifest") naming the
    file that fails otherwise: signature.json when it is not a signature, manifest.json when the
    signature does not match it (changed after signing)."""
    def bad(message: str) -> ValidationError:
        return ValidationError(f"Manifest: {message}", field="manifest")

    if not isinstance(document, dict) or document.get("algorithm") != ALGORITHM:
        raise bad(f"{SIGNATURE_FILE} is not an {ALGORITHM} signature of the manifest.")
    key_hex, signature_hex = document.get("public_key"), document.get("signature")
    if not isinstance(key_hex, str) or not isinstance(signature_hex, str) \
            or not _HEX.match(key_hex) or not _HEX.match(signature_hex) \
            or len(key_hex) != 64 or len(signature_hex) != 128:
        raise bad(f"{SIGNATURE_FILE}: public_key or signature is not hex of the right length.")
    raw = bytes.fromhex(key_hex)
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(bytes.fromhex(signature_hex), manifest)
    except (InvalidSignature, ValueError):
        raise bad("manifest.json does not match its signature: it was changed after the export was signed "
                  f"(or {SIGNATURE_FILE} was), so no file of this export can be relied on.") from None
    return Signer(key_hex, fingerprint(raw))


def trusted_keys(clinic) -> list[dict]:
    """The exporters' keys this clinic trusts: dicts with public_key, fingerprint, clinic_id,
    clinic_name, trusted_at, trusted_by."""
    found = clinic.setting(TRUSTED_SETTING) or []
    return [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []


def is_trusted(clinic, signer: Signer) -> bool:
    """True for this clinic's own export key or one in its trusted list (whole public key)."""
    own = own_signer(clinic)
    if own is not None and own.public_key == signer.public_key:
        return True
    return any(entry.get("public_key") == signer.public_key for entry in trusted_keys(clinic))


def confirmed(signer: Signer, trust: str | None, *, claimed_by: str) -> None:
    """Refuse an untrusted signer unless `trust` (the administrator's confirmation) is its
    fingerprint. ValidationError field "trust": without `trust` the message shows the fingerprint
    to compare; with another fingerprint it says both."""
    if trust is None:
        raise ValidationError(
            f"Signer: this export is signed with the key {signer.fingerprint}, which this clinic does not "
            f"trust yet (the export says it comes from {claimed_by}). Ask that clinic for its export key "
            "fingerprint by phone or in person, never from the export itself; if it is the same, import "
            f"again confirming it (`--trust \"{signer.fingerprint}\"`). Nothing was imported.", field="trust")
    if normalised_fingerprint(trust) != signer.fingerprint:
        raise ValidationError(
            f"Trust: {normalised_fingerprint(trust)} is not the fingerprint of the key this export is signed "
            f"with ({signer.fingerprint}); nothing was imported.", field="trust")


def trust_key(clinic, signer: Signer, *, clinic_id: str | None, clinic_name: str | None) -> None:
    """Add `signer` to this clinic's trusted exporter keys, audited (action "trust", entity
    "export_key"), inside the caller's transaction. Needs `admin.settings`."""
    clinic.actor.require("admin.settings")
    entry = {"public_key": signer.public_key, "fingerprint": signer.fingerprint, "clinic_id": clinic_id,
             "clinic_name": clinic_name, "trusted_at": utcnow().replace(microsecond=0).isoformat(),
             "trusted_by": clinic.actor.username}
    with clinic.db.atomic():
        _put_setting(TRUSTED_SETTING, [*trusted_keys(clinic), entry])
        audit.record(clinic.actor, "trust", "export_key", None,
                     detail={"fingerprint": signer.fingerprint, "clinic_id": clinic_id, "clinic_name": clinic_name})
