"""The clinic file's passphrase (issue 19, item 7): whoever copies an encrypted clinic file can try
passphrases offline as fast as their hardware allows, so length alone is not enough; repeats,
keyboard and alphabet runs and the most common passwords are what such a guesser tries first."""

from __future__ import annotations

import pytest

from iopdesk.errors import ValidationError
from iopdesk.passwords import guessable
from iopdesk.storage.encryption import check_passphrase, encrypt_clinic

GUESSED_FIRST = {
    "aaaaaaaaaaaa": "repeated",
    "abcabcabcabc": "repeated",
    "passwordpassword": "repeated",
    "123456789012": "most common passwords",
    "qwertyuiopas": "runs along the keyboard",
    "zyxwvutsrqpo": "runs along the keyboard or alphabet",
    "qwerty123456": "most common passwords",
    "Password2026!!!": "common passwords",
    "monkeydragon1234": "common passwords",
    "p@ssw0rdp@ssw0rd": "repeated",
    "correct horse battery staple": "most common passwords",
    "shadow-hunter-ranger": "common passwords",
    "1212121212ab": "fewer than five different characters",
}

GOOD = ["blue river stone 42", "amber lantern quiet 77", "tide-lantern-okra-94", "Harbor Light 2026!",
        "a long clinic passphrase"]


@pytest.mark.parametrize("passphrase", GUESSED_FIRST)
def test_a_passphrase_a_guesser_tries_first_is_refused_saying_why(passphrase):
    with pytest.raises(ValidationError) as refused:
        check_passphrase(passphrase)
    assert refused.value.field == "passphrase"
    message = str(refused.value)
    assert message.startswith("Passphrase: too easy to guess (") and GUESSED_FIRST[passphrase] in message
    assert message.endswith("use a few unrelated words.")


@pytest.mark.parametrize("passphrase", GOOD)
def test_a_few_unrelated_words_are_accepted(passphrase):
    check_passphrase(passphrase)
    assert guessable(passphrase) is None


def test_length_is_still_the_first_rule():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        check_passphrase("tide okra")


def test_a_very_long_passphrase_is_judged_quickly():
    assert guessable(" ".join(f"tide {n} lantern" for n in range(5000))) is None
    assert guessable("x" * 100_000) is not None


def test_encrypting_with_a_guessable_passphrase_leaves_the_clinic_file_as_it_was(clinic_file):
    pytest.importorskip("sqlcipher3")
    before = clinic_file.read_bytes()
    with pytest.raises(ValidationError, match="too easy to guess"):
        encrypt_clinic(clinic_file, "aaaaaaaaaaaa")
    assert clinic_file.read_bytes() == before
