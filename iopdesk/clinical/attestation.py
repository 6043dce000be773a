"""The attestation a signer confirms before a signature takes effect: the statement for the kind
of record (`resources/attestations.toml`), then the signer's name, credentials, date and time.

The screens show it and ask for a confirmation before they sign; the signing services keep the
same words, made with the signature's own time, in the sign event of the audit trail, so the trail
says what was attested, by whom and when.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import lru_cache

import resources
from iopdesk.errors import ValidationError
from iopdesk.kernel.formats import date_text, time_text


@lru_cache(maxsize=1)
def _kinds() -> dict[str, dict]:
    with resources.path("attestations.toml").open("rb") as fh:
        return tomllib.load(fh)


def _kind(kind: str) -> dict:
    try:
        return _kinds()[kind]
    except (KeyError, TypeError):
        raise ValidationError(f"Attestation: no statement for {kind!r}.", field="kind") from None


def kinds() -> tuple[str, ...]:
    """The kinds of record that are signed with an attestation."""
    return tuple(_kinds())


def statement(kind: str) -> str:
    """The statement for `kind` (note, group_session, cosign, plan, plan_review, discharge)."""
    return _kind(kind)["statement"]


def permission(kind: str) -> str:
    """The permission that signing a record of `kind` needs."""
    return _kind(kind)["permission"]


def signing_permissions() -> frozenset[str]:
    """Every permission that signs something."""
    return frozenset(table["permission"] for table in _kinds().values())


def signature_line(name: str, credentials: str, signed_at: dt.datetime, time_style: str) -> str:
    """"Cleo Clinician, LPC · 12/07/2026 10:42 AM": who signs and when, in the workstation's time
    (`signed_at` is a stored UTC stamp)."""
    local = signed_at.replace(tzinfo=dt.UTC).astimezone().replace(tzinfo=None)
    who = f"{name}, {credentials}" if credentials else name
    return f"{who} · {date_text(local.date())} {time_text(local.time(), time_style)}"


def attestation(kind: str, name: str, credentials: str, signed_at: dt.datetime, time_style: str) -> str:
    """The whole attestation: statement, then "— " and the signature line."""
    return f"{statement(kind)}\n— {signature_line(name, credentials, signed_at, time_style)}"
