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
    text = resources.path(policy()["password"]["common_list"]).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


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
