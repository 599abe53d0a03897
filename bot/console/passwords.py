"""Password hashing: scrypt with a random per-user salt, compared in constant time.

Stored as `scrypt$N$r$p$salt$hash` (base64), so the cost can be raised later and old hashes
still verify. N=2**14, r=8 costs about 16 MiB and some tens of milliseconds per check: cheap
for a sign-in, expensive for someone guessing offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from bot.errors import InputError

DEFAULT_N = 2**14
N, R, P = DEFAULT_N, 8, 1  # N is read at each call (tests lower it)
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 8
MAX_LENGTH = 256  # scrypt takes any length; a megabyte "password" is only a way to burn CPU


def check_strength(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise InputError(f"密码太短：至少 {MIN_LENGTH} 个字符")
    if len(password) > MAX_LENGTH:
        raise InputError(f"密码太长：最多 {MAX_LENGTH} 个字符")
    if password.strip() != password or not password.strip():
        raise InputError("密码首尾不能有空格")


def hash_password(password: str) -> str:
    check_strength(password)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, N, R, P)
    return "$".join(("scrypt", str(N), str(R), str(P), _b64(salt), _b64(key)))


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(key)
        actual = _derive(password[:MAX_LENGTH], base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


# Verified against when the user does not exist, so "no such user" takes as long as
# "wrong password" and the timing does not tell which usernames exist.
_DUMMY_SALT = secrets.token_bytes(SALT_BYTES)


def burn_time(password: str) -> None:
    _derive(password[:MAX_LENGTH], _DUMMY_SALT, N, R, P)


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024,
        dklen=KEY_BYTES,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
