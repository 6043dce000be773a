"""Password policy and hashing: Argon2id at OWASP's minimum cost or better, policy from resources.

The policy (length, user name, common passwords, repeated characters) and the Argon2id cost live
in `resources/password_policy.toml`. Invariants: only Argon2id hashes are ever stored; a hash
made with weaker parameters than the policy's is reported by `needs_rehash` so sign-in can
replace it; verifying spends the same time whether or not the user exists.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

import resources
from iopdesk.errors import ValidationError

# OWASP Password Storage Cheat Sheet floor for Argon2id: 19 MiB, 2 iterations, 1 lane.
OWASP_MIN_MEMORY_KIB = 19 * 1024
OWASP_MIN_TIME_COST = 2


@lru_cache(maxsize=1)
def policy() -> dict:
    """The shipped password and sign-in policy (resources/password_policy.toml)."""
    with resources.path("password_policy.toml").open("rb") as fh:
        data = tomllib.load(fh)
    cost = data["hash"]
    if cost["memory_kib"] < OWASP_MIN_MEMORY_KIB or cost["time_cost"] < OWASP_MIN_TIME_COST:
        raise ValueError("password_policy.toml: Argon2id cost below the OWASP minimum (19 MiB, t=2)")
    return data


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The common-password list (resources/, one a line; lines starting "# " say where it is from)."""
    text = resources.path(policy()["password"]["common_list"]).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("# "))


# Runs a guesser tries first: along the alphabet, the digits (9 runs on to 0) and the keyboard,
# row after row, forwards or backwards ("abcd", "7890", "qwerty", "poiuy", "!@#$").
SEQUENCES = ("abcdefghijklmnopqrstuvwxyz", "01234567890123456789", "qwertyuiopasdfghjklzxcvbnm",
             "!@#$%^&*()")
_LEET = str.maketrans("0134578@$!", "oieastbasi")
SHORTEST_PIECE = 3
LONGEST_JUDGED = 160  # longer ones are judged by the whole-string checks only (keeps the work small)


def _in_sequence(piece: str) -> bool:
    return any(piece in row or piece in row[::-1] for row in SEQUENCES)


def _guessable_piece(piece: str) -> bool:
    """A common password, a run along a sequence, one character repeated, or a year 1900–2099."""
    return (piece in _common_passwords() or piece.translate(_LEET) in _common_passwords()
            or _in_sequence(piece) or len(set(piece)) == 1
            or (len(piece) == 4 and piece.isdigit() and piece[:2] in ("19", "20")))


def guessable(secret: str) -> str | None:
    """Why `secret` is among the first things a guesser tries, in words, or None.

    Caught: one character or group repeated ("aaaaaaaaaaaa", "passwordpassword", "abcabcabcabc");
    a string of at most three pieces, each a common password (resources/, also with the usual
    letter-for-digit swaps), a run along the alphabet, the digits or the keyboard ("123456789012",
    "qwertyuiopas"), a character repeated, or a year ("qwerty123456", "Password2026!!!"), with
    spaces, dots, dashes and underscores between them ignored; and fewer than five different
    characters. Length is the caller's rule.
    """
    text = (secret or "").lower()
    if not text:
        return None
    if len(text) > 1 and text in (text + text)[1:-1]:  # a whole made of one group repeated
        return "one character or group of characters repeated is guessed at once"
    if len(set(text)) < 5:
        return "it uses fewer than five different characters"
    text = re.sub(r"[\s._-]+", "", text)  # "shadow hunter" is guessed as soon as "shadowhunter"
    if text in _common_passwords() or text.translate(_LEET) in _common_passwords():
        return "it is one of the most common passwords"
    if len(text) > LONGEST_JUDGED:
        return None
    # fewest guessable pieces covering text[:end]; None when it cannot be covered
    fewest: list[int | None] = [0] + [None] * len(text)
    for end in range(SHORTEST_PIECE, len(text) + 1):
        for start in range(0, end - SHORTEST_PIECE + 1):
            before = fewest[start]
            if before is not None and before < 3 and _guessable_piece(text[start:end]):
                pieces = before + 1
                if fewest[end] is None or pieces < fewest[end]:
                    fewest[end] = pieces
    if fewest[-1] is not None:
        return ("it is made of common passwords, runs along the keyboard or alphabet and repeats, "
                "which are guessed first")
    return None


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    cost = policy()["hash"]
    return PasswordHasher(time_cost=cost["time_cost"], memory_cost=cost["memory_kib"],
                          parallelism=cost["parallelism"], type=Type.ID)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash("not a real password")


MIN_LENGTH = 12  # the shipped default; the enforced value is policy()["password"]["min_length"]


@dataclass(frozen=True)
class HashParameters:
    """What a stored PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash) says about its cost."""

    variant: str
    version: int
    memory_kib: int
    time_cost: int
    parallelism: int


def parse_hash(stored_hash: str) -> HashParameters:
    """Read the algorithm and cost out of a stored PHC string; ValueError if it is not Argon2."""
    match = re.fullmatch(r"\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[^$]+\$[^$]+",
                         stored_hash or "")
    if match is None:
        raise ValueError("not an Argon2 PHC string")
    variant, version, memory, time_cost, lanes = match.groups()
    return HashParameters(variant, int(version), int(memory), int(time_cost), int(lanes))


def hash_password(password: str, username: str | None = None) -> str:
    """Argon2id hash of a password that meets the policy (raises ValidationError otherwise)."""
    check_policy(password, username)
    return hasher().hash(password)


def check_policy(password: str, username: str | None = None) -> None:
    """Raise ValidationError(field="password") unless the password meets the clinic's policy:
    long enough, not too long, no leading/trailing spaces, not the user name, not a common
    password, and no run of more identical characters than allowed."""
    rules = policy()["password"]
    password = password or ""
    if len(password) < rules["min_length"]:
        raise ValidationError(f"Password: use at least {rules['min_length']} characters.", field="password")
    if len(password) > rules["max_length"]:
        raise ValidationError(f"Password: use at most {rules['max_length']} characters.", field="password")
    if password.strip() != password:
        raise ValidationError("Password: no leading or trailing spaces.", field="password")
    name = (username or "").strip().lower()
    if rules["refuse_username"] and name and name in password.lower():
        raise ValidationError("Password: must not contain the user name.", field="password")
    if password.lower() in _common_passwords():
        raise ValidationError("Password: this is a commonly used password; choose another.", field="password")
    limit = rules["max_repeated"]
    if re.search(r"(.)\1{" + str(limit) + ",}", password):
        raise ValidationError(
            f"Password: no character more than {limit} times in a row.", field="password")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no such user."""
    try:
        return hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when a stored hash is not Argon2id or is weaker than the policy's cost (re-hash it at
    sign-in). A stronger hash is kept as it is."""
    try:
        params = extract_parameters(stored_hash)
    except InvalidHashError:
        return True
    wanted = hasher()
    return (params.type is not Type.ID or params.memory_cost < wanted.memory_cost
            or params.time_cost < wanted.time_cost)
