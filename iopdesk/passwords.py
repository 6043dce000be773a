"""Password hashing with Argon2id at OWASP's minimum cost (19 MiB memory, 2 iterations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .errors import ValidationError

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash("not a real password")
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """Argon2id hash of a password that meets the policy (raises ValidationError otherwise)."""
    check_policy(password)
    return HASHER.hash(password)


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"Password: use at least {MIN_LENGTH} characters.", field="password"
        )
    if password.strip() != password or not password.strip():
        raise ValidationError("Password: no leading or trailing spaces.", field="password")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no such user."""
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
