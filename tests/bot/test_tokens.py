import base64
import hashlib
import hmac
import json
import math
import time
import traceback
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from bot.identity.tokens import StoreLogin, TokenRejected, sign_customer_token, verify_customer_token

SECRET = "maru-test-secret-7f3a9c1e5b2d4f6a8c0e"
AUDIENCE = "maru-support"
NOW = 1_800_000_000.0
EXP = int(NOW) + 600


def claims(**changes: Any) -> dict[str, Any]:
    """Valid claims for customer c-8812, with `changes` applied; a value of ... drops the claim."""
    base: dict[str, Any] = {"sub": "c-8812", "aud": AUDIENCE, "iat": int(NOW), "exp": EXP}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not ...}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(payload: dict[str, Any], key: bytes = SECRET.encode(), header: dict[str, Any] | None = None) -> str:
    """An HMAC-SHA256-signed token built without PyJWT, so any header or claim can be used."""
    signing_input = (
        b64(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(payload).encode())
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


def reason_for(token: str, now: float = NOW, secret: str = SECRET) -> str:
    with pytest.raises(TokenRejected) as caught:
        verify_customer_token(token, secret, AUDIENCE, now=now)
    return caught.value.reason


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_valid_token_gives_the_customer() -> None:
    token = sign_customer_token("c-8812", SECRET, AUDIENCE, name="Mina Kim", now=NOW)
    login = verify_customer_token(token, SECRET, AUDIENCE, now=NOW)
    assert login == StoreLogin(customer_id="c-8812", name="Mina Kim", expires_at=float(EXP))


def test_name_is_optional() -> None:
    token = sign_customer_token("c-8812", SECRET, AUDIENCE, now=NOW)
    assert verify_customer_token(token, SECRET, AUDIENCE, now=NOW) == StoreLogin("c-8812", None, float(EXP))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("김민아", "김민아"),
        ("N" * 100, "N" * 100),
        ("N" * 101, None),
        ("", None),
        ("  ", None),
        (42, None),
        (["Mina"], None),
    ],
)
def test_unusable_name_is_dropped_not_refused(name: object, expected: str | None) -> None:
    assert verify_customer_token(hand_made(claims(name=name)), SECRET, AUDIENCE, now=NOW).name == expected


def test_customer_id_of_128_chars_is_accepted() -> None:
    assert verify_customer_token(hand_made(claims(sub="c" * 128)), SECRET, AUDIENCE, now=NOW).customer_id == "c" * 128


def test_sign_makes_a_ten_minute_hs256_token() -> None:
    token = sign_customer_token("c-8812", SECRET, AUDIENCE, now=NOW + 0.7)
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    payload = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience=AUDIENCE, options={"verify_exp": False, "verify_iat": False}
    )
    assert payload == {"sub": "c-8812", "aud": AUDIENCE, "iat": int(NOW), "exp": EXP}


def test_now_defaults_to_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: NOW)
    token = sign_customer_token("c-8812", SECRET, AUDIENCE)
    assert verify_customer_token(token, SECRET, AUDIENCE).expires_at == float(EXP)
    monkeypatch.setattr(time, "time", lambda: EXP + 60.0)
    with pytest.raises(TokenRejected, match="expired"):
        verify_customer_token(token, SECRET, AUDIENCE)


def test_expired() -> None:
    assert reason_for(sign_customer_token("c-8812", SECRET, AUDIENCE, now=NOW), now=NOW + 3600) == "expired"


@pytest.mark.parametrize("seconds_after_exp", [-1.0, 0.0, 29.0, 29.9])
def test_within_leeway_is_accepted(seconds_after_exp: float) -> None:
    login = verify_customer_token(hand_made(claims()), SECRET, AUDIENCE, now=EXP + seconds_after_exp)
    assert login.customer_id == "c-8812"


@pytest.mark.parametrize("seconds_after_exp", [30.0, 31.0])
def test_just_past_leeway_is_refused(seconds_after_exp: float) -> None:
    assert reason_for(hand_made(claims()), now=EXP + seconds_after_exp) == "expired"


def test_wrong_secret() -> None:
    token = sign_customer_token("c-8812", "another-store-secret-0123456789abcdef", AUDIENCE, now=NOW)
    assert reason_for(token) == "signature"


def test_tampered_payload_fails_the_signature() -> None:
    header, payload, signature = sign_customer_token("c-8812", SECRET, AUDIENCE, now=NOW).split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["sub"] = "c-0001"
    assert reason_for(f"{header}.{b64(json.dumps(forged).encode())}.{signature}") == "signature"


@pytest.mark.parametrize(
    ("aud", "reason"),
    [("other-service", "audience"), ("Maru-Support", "audience"), ([AUDIENCE], "claims"), (7, "claims")],
)
def test_audience_must_be_exactly_ours(aud: object, reason: str) -> None:
    assert reason_for(hand_made(claims(aud=aud))) == reason


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": ...},
        {"sub": ...},
        {"exp": ...},
        {"sub": None},
        {"sub": ""},
        {"sub": "c" * 129},
        {"sub": 8812},
        {"exp": "soon"},
        {"exp": True},
        {"exp": math.nan},
        {"exp": math.inf},
        {"exp": 10**400},
        {"iat": "today"},
        {"iat": NOW + 120},
        {"nbf": NOW + 120},
        {"jti": 5},
    ],
)
def test_missing_or_wrongly_typed_claims(changes: dict[str, Any]) -> None:
    assert reason_for(hand_made(claims(**changes))) == "claims"


def test_iat_and_nbf_within_leeway_are_accepted() -> None:
    token = hand_made(claims(iat=NOW + 20, nbf=NOW + 20))
    assert verify_customer_token(token, SECRET, AUDIENCE, now=NOW).customer_id == "c-8812"


def test_alg_none() -> None:
    token = b64(b'{"alg":"none","typ":"JWT"}') + "." + b64(json.dumps(claims()).encode()) + "."
    assert reason_for(token) == "algorithm"


@pytest.mark.parametrize("header", [{"alg": "HS512", "typ": "JWT"}, {"alg": "hs256"}, {"typ": "JWT"}, {"alg": None}])
def test_other_or_missing_alg_in_header(header: dict[str, Any]) -> None:
    assert reason_for(hand_made(claims(), header=header)) == "algorithm"


def test_hs512_token() -> None:
    assert (
        reason_for(jwt.encode(claims(), SECRET + "-long-enough-for-sha512-0123456789abcdef", algorithm="HS512"))
        == "algorithm"
    )


def test_rs256_token(rsa_key: rsa.RSAPrivateKey) -> None:
    assert reason_for(jwt.encode(claims(), rsa_key, algorithm="RS256")) == "algorithm"


def test_es256_token() -> None:
    assert reason_for(jwt.encode(claims(), ec.generate_private_key(ec.SECP256R1()), algorithm="ES256")) == "algorithm"


def test_public_key_as_hmac_secret(rsa_key: rsa.RSAPrivateKey) -> None:
    public_pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert reason_for(hand_made(claims(), key=public_pem)) == "signature"


@pytest.mark.parametrize("lifetime", [2 * 24 * 3600, 24 * 3600 + 1, 365 * 24 * 3600])
def test_long_lived_token(lifetime: int) -> None:
    assert reason_for(sign_customer_token("c-8812", SECRET, AUDIENCE, lifetime_seconds=lifetime, now=NOW)) == "lifetime"


def test_a_full_day_is_still_accepted() -> None:
    token = sign_customer_token("c-8812", SECRET, AUDIENCE, lifetime_seconds=24 * 3600, now=NOW)
    assert verify_customer_token(token, SECRET, AUDIENCE, now=NOW).expires_at == NOW + 24 * 3600


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c",
        "not a token",
        "!!!.!!!.!!!",
        pytest.param("x" * 5000, id="5000-chars"),
        b64(b"[1]") + "." + b64(b"{}") + ".",
        pytest.param(hand_made(claims(padding="x" * 4000)), id="signed-but-over-4096-chars"),
        # Found by scripts/fuzz_gateway.py: PyJWT failed on it with an encoding error (a 500).
        pytest.param("a\udc80.b.c", id="lone-surrogate"),
    ],
)
def test_malformed(token: str) -> None:
    assert reason_for(token) == "malformed"


def test_payload_that_is_not_json_is_malformed() -> None:
    signing_input = b64(b'{"alg":"HS256"}') + "." + b64(b"sub=c-8812")
    signature = b64(hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest())
    assert reason_for(f"{signing_input}.{signature}") == "malformed"


@pytest.mark.parametrize("token", [None, 42, b"eyJ.eyJ.sig", ["a", "b", "c"]])
def test_not_a_string_is_malformed(token: object) -> None:
    with pytest.raises(TokenRejected) as caught:
        verify_customer_token(token, SECRET, AUDIENCE, now=NOW)  # type: ignore[arg-type]
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(hand_made(claims(), key=b"another-store-secret-0123456789abcdef"), id="signature"),
        pytest.param(hand_made(claims(aud="other-service")), id="audience"),
        pytest.param(hand_made(claims(exp=EXP - 3600)), id="expired"),
        pytest.param(hand_made(claims(sub="")), id="claims"),
        pytest.param(hand_made(claims(), header={"alg": "HS512"}), id="algorithm"),
        pytest.param(hand_made(claims(padding="x" * 4000)), id="too-long"),
        pytest.param("garbage", id="garbage"),
    ],
)
def test_error_never_repeats_token_or_secret(token: str) -> None:
    with pytest.raises(TokenRejected) as caught:
        verify_customer_token(token, SECRET, AUDIENCE, now=NOW)
    # What a log would show: the message, the repr and the whole traceback, chained exceptions included.
    shown = str(caught.value) + repr(caught.value) + "".join(traceback.format_exception(caught.value))
    assert SECRET not in shown
    for segment in token.split("."):
        assert not segment or segment not in shown


def test_message_names_the_reason() -> None:
    assert str(TokenRejected("expired")) == "store login rejected (expired): the token has expired"


@pytest.mark.parametrize(("secret", "audience"), [("", AUDIENCE), (SECRET, "")])
def test_unconfigured_store_login_is_a_programming_error(secret: str, audience: str) -> None:
    token = hand_made(claims())
    with pytest.raises(ValueError, match=r"^store login is not configured$") as caught:
        verify_customer_token(token, secret, audience, now=NOW)
    assert not isinstance(caught.value, TokenRejected)
    with pytest.raises(ValueError, match=r"^store login is not configured$"):
        sign_customer_token("c-8812", secret, audience, now=NOW)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        verify_customer_token(hand_made(claims(), key=b"short"), "short", AUDIENCE, now=NOW)
