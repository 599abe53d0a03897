"""Password hashing: scrypt, a salt per hash, constant-time check."""

from __future__ import annotations

import pytest

from bot.console import passwords
from bot.errors import InputError


def test_a_hash_verifies_only_its_password() -> None:
    stored = passwords.hash_password("correct-horse")
    assert passwords.verify_password("correct-horse", stored)
    assert not passwords.verify_password("correct-horsE", stored)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert passwords.hash_password("correct-horse") != passwords.hash_password("correct-horse")


def test_the_hash_records_scrypt_and_its_cost() -> None:
    scheme, n, r, p, salt, key = passwords.hash_password("correct-horse").split("$")
    assert (scheme, n, r, p) == ("scrypt", str(passwords.N), "8", "1")
    assert salt and key


def test_the_default_cost_is_the_real_one() -> None:
    assert passwords.DEFAULT_N == 2**14  # the conftest lowers N, not the default


def test_a_damaged_hash_never_verifies() -> None:
    assert not passwords.verify_password("x", "scrypt$1$2")
    assert not passwords.verify_password("x", "md5$abc")


@pytest.mark.parametrize("bad", ["short", " spaced-out ", "x" * 300])
def test_weak_or_odd_passwords_are_refused(bad: str) -> None:
    with pytest.raises(InputError):
        passwords.hash_password(bad)
