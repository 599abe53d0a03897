"""HTTP digest authentication for SIP requests (RFC 3261 22, RFC 2617, RFC 8760): the
answer to a 401 WWW-Authenticate or 407 Proxy-Authenticate challenge, for REGISTER and
for REFER when the proxy or trunk wants the bot to prove who it is. MD5 and SHA-256,
qop=auth (or no qop, the RFC 2069 form older equipment uses)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from bot.telephony.sip.headers import split_list

_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


class AuthError(ValueError):
    """A challenge the bot cannot answer (unknown scheme, algorithm or qop)."""


@dataclass(frozen=True)
class Challenge:
    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False

    @classmethod
    def parse(cls, value: str) -> Challenge:
        scheme, _, rest = value.strip().partition(" ")
        if scheme.lower() != "digest":
            raise AuthError(f"authentication scheme {scheme!r} is not Digest")
        params: dict[str, str] = {}
        for item in split_list(rest):
            name, _, val = item.partition("=")
            params[name.strip().lower()] = val.strip().strip('"')
        if "nonce" not in params:
            raise AuthError(f"digest challenge without a nonce: {value[:80]!r}")
        algorithm = params.get("algorithm", "MD5").upper()
        if algorithm not in _HASHES:
            raise AuthError(f"digest algorithm {algorithm!r} is not MD5 or SHA-256")
        qop = tuple(q.strip().lower() for q in params.get("qop", "").split(",") if q.strip())
        if qop and "auth" not in qop:
            raise AuthError(
                f"digest qop {params['qop']!r} offers no 'auth' (auth-int is unsupported)"
            )
        return cls(
            params.get("realm", ""),
            params["nonce"],
            algorithm,
            qop,
            params.get("opaque"),
            params.get("stale", "").lower() == "true",
        )


def _h(algorithm: str, text: str) -> str:
    return _HASHES[algorithm](text.encode("utf-8")).hexdigest()


def digest_response(
    challenge: Challenge,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str,
    nc: int = 1,
) -> str:
    ha1 = _h(challenge.algorithm, f"{username}:{challenge.realm}:{password}")
    ha2 = _h(challenge.algorithm, f"{method}:{uri}")
    if "auth" in challenge.qop:
        return _h(challenge.algorithm, f"{ha1}:{challenge.nonce}:{nc:08x}:{cnonce}:auth:{ha2}")
    return _h(challenge.algorithm, f"{ha1}:{challenge.nonce}:{ha2}")


def authorization(
    challenge: Challenge,
    username: str,
    password: str,
    method: str,
    uri: str,
    cnonce: str | None = None,
    nc: int = 1,
) -> str:
    """The Authorization / Proxy-Authorization header value answering `challenge`."""
    cnonce = cnonce or secrets.token_hex(8)
    response = digest_response(challenge, username, password, method, uri, cnonce, nc)
    parts = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        f"algorithm={challenge.algorithm}",
    ]
    if "auth" in challenge.qop:
        parts += [f'cnonce="{cnonce}"', "qop=auth", f"nc={nc:08x}"]
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    return "Digest " + ", ".join(parts)
