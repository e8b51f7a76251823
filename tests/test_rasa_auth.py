"""The header the gateway opens Rasa's HTTP API with: a short-lived admin JWT, signed with RASA_TOKEN."""

from __future__ import annotations

import jwt
import pytest

from support.rasa_auth import LIFETIME_SECONDS, rasa_api_flags, rasa_api_headers

SECRET = "rasa-token-of-at-least-32-bytes-0123456789"
NOW = 1_800_000_000


def test_the_header_carries_an_admin_jwt_that_expires_soon() -> None:
    scheme, token = rasa_api_headers(SECRET, now=NOW)["Authorization"].split(" ")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False, "verify_iat": False})
    assert scheme == "Bearer"
    assert claims == {"user": {"username": "maru-gateway", "role": "admin"}, "iat": NOW, "exp": NOW + LIFETIME_SECONDS}


def test_another_key_does_not_open_it() -> None:
    token = rasa_api_headers(SECRET)["Authorization"].split(" ")[1]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-at-least-32-bytes-000", algorithms=["HS256"])


def test_rasa_is_started_with_the_jwt_form_and_no_query_token() -> None:
    assert rasa_api_flags(SECRET) == ["--enable-api", "--jwt-secret", SECRET, "--jwt-method", "HS256"]
