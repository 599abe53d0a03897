"""Digest answers, checked against the RFC 2617 example and by recomputation."""

from __future__ import annotations

import hashlib

import pytest

from bot.telephony.sip.auth import AuthError, Challenge, authorization, digest_response

RFC2617 = (
    'Digest realm="testrealm@host.com", qop="auth,auth-int", '
    'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)


def test_the_rfc_2617_example() -> None:
    challenge = Challenge.parse(RFC2617)
    assert challenge.qop == ("auth", "auth-int")
    response = digest_response(
        challenge, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", cnonce="0a4f113b", nc=1
    )
    assert response == "6629fae49393a05397450978507c4ef1"


def test_the_header_has_every_field_the_server_checks() -> None:
    header = authorization(
        Challenge.parse(RFC2617),
        "Mufasa",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        cnonce="0a4f113b",
    )
    assert header.startswith("Digest ")
    for part in (
        'username="Mufasa"',
        'realm="testrealm@host.com"',
        'uri="/dir/index.html"',
        'response="6629fae49393a05397450978507c4ef1"',
        'cnonce="0a4f113b"',
        "qop=auth",
        "nc=00000001",
        'opaque="5ccc069c403ebaf9f0171e9517f40e41"',
        "algorithm=MD5",
    ):
        assert part in header


def test_without_qop_the_rfc_2069_form() -> None:
    challenge = Challenge.parse('Digest realm="r", nonce="n"')
    ha1 = hashlib.md5(b"u:r:p").hexdigest()
    ha2 = hashlib.md5(b"REFER:sip:bot@h").hexdigest()
    expected = hashlib.md5(f"{ha1}:n:{ha2}".encode()).hexdigest()
    assert digest_response(challenge, "u", "p", "REFER", "sip:bot@h", "c") == expected
    assert "qop" not in authorization(challenge, "u", "p", "REFER", "sip:bot@h")


def test_sha_256_is_answered() -> None:
    challenge = Challenge.parse('Digest realm="r", nonce="n", algorithm=SHA-256, qop="auth"')
    assert len(digest_response(challenge, "u", "p", "REGISTER", "sip:h", "c")) == 64


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('Basic realm="r"', "not Digest"),
        ('Digest realm="r"', "without a nonce"),
        ('Digest realm="r", nonce="n", algorithm=AKAv1-MD5', "not MD5 or SHA-256"),
        ('Digest realm="r", nonce="n", qop="auth-int"', "auth-int"),
    ],
)
def test_challenges_we_cannot_answer_say_why(value: str, reason: str) -> None:
    with pytest.raises(AuthError, match=reason):
        Challenge.parse(value)
