"""The store's signed login: a short-lived JWT that says which store customer is chatting.

The store's website, where the customer is already logged in, asks its own server for a
token and hands it to our chat widget. The gateway believes only what that token signs:
the customer id comes from ``sub`` and never from anything else the widget sends. The
design follows Zendesk messaging's JWT for authenticated users and Intercom's identity
verification: the store and the gateway share one secret, the store signs, we verify.

What the verification insists on, and why:

- HS256 only, decided before any key is used. The header is read unverified first so
  that ``none``, RS256/ES256 (algorithm confusion) and other HMAC sizes are refused as
  ``"algorithm"``; PyJWT is then told to accept HS256 and nothing else.
- ``sub``, ``exp`` and ``aud`` are required; ``aud`` must be exactly our audience, so a
  token the store made for another service cannot be replayed here.
- At most 24 hours of life left: a leaked year-long token would be a standing key to the
  customer's orders.
- ``iat`` and ``nbf`` are optional, but a token that says it is not valid yet is refused.
- PyJWT checks the signature and that the claims exist; the claims' values are checked
  here. PyJWT only knows its own clock, and this module checks every time against ``now``
  (so tests can fix it); it also tells a wrongly typed ``aud`` (``"claims"``) from another
  service's (``"audience"``).

A rejected token raises :class:`TokenRejected` with a short reason for logs and metrics;
its message never repeats the token or the secret.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from jwt.types import Options

ALGORITHM = "HS256"
# Store and gateway clocks disagree by a few seconds; more than this is a stale token.
LEEWAY_SECONDS = 30.0
MAX_LIFETIME_SECONDS = 24 * 60 * 60
# A login token is a few hundred characters; anything far longer is not one of ours.
MAX_TOKEN_CHARS = 4096
MAX_CUSTOMER_ID_CHARS = 128
MAX_NAME_CHARS = 100
# HMAC-SHA256 is only as strong as its key; PyJWT also warns below this length.
MIN_SECRET_BYTES = 32

Reason = Literal["malformed", "algorithm", "signature", "expired", "audience", "claims", "lifetime"]

_EXPLANATIONS: dict[Reason, str] = {
    "malformed": "not a well-formed token",
    "algorithm": f"not signed with {ALGORITHM}",
    "signature": "the signature does not match",
    "expired": "the token has expired",
    "audience": "the token was issued for another service",
    "claims": "required claims are missing, of the wrong type or not yet valid",
    "lifetime": "the token lives longer than 24 hours",
}

# PyJWT verifies the signature and that the claims exist; their values are checked below
# against the caller's `now` (see the module docstring).
_DECODE_OPTIONS: Options = {
    "require": ["sub", "exp", "aud"],
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
}


@dataclass(frozen=True)
class StoreLogin:
    """A store customer the store has vouched for.

    Attributes:
        customer_id: The store's own id for the customer (the token's ``sub``).
        name: The name to greet the customer by, if the store sent a usable one.
        expires_at: Unix time after which the store's word no longer holds.
    """

    customer_id: str
    name: str | None
    expires_at: float


class TokenRejected(ValueError):
    """A customer token that must not be trusted.

    Attributes:
        reason: One of ``malformed``, ``algorithm``, ``signature``, ``expired``,
            ``audience``, ``claims`` or ``lifetime``.
    """

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"store login rejected ({reason}): {_EXPLANATIONS[reason]}")
        self.reason: Reason = reason


def verify_customer_token(token: str, secret: str, audience: str, now: float | None = None) -> StoreLogin:
    """The customer a store-signed token vouches for.

    Args:
        token: The JWT the store's page gave the widget.
        secret: The secret shared with the store (``STORE_LOGIN_SECRET``).
        audience: The ``aud`` the token must carry (``STORE_LOGIN_AUDIENCE``).
        now: Unix time to check the token against; the current time if omitted.

    Raises:
        TokenRejected: The token is not one to trust; ``reason`` says why.
        ValueError: Store login is not configured (empty or short secret, empty audience).
    """
    _require_configured(secret, audience)
    _check_shape(token)
    claims = _decode(token, secret)
    return _login_from_claims(claims, audience, time.time() if now is None else now)


def sign_customer_token(
    customer_id: str,
    secret: str,
    audience: str,
    lifetime_seconds: int = 600,
    name: str | None = None,
    now: float | None = None,
) -> str:
    """A token for a logged-in customer, as the store's server makes it.

    Args:
        customer_id: The store's id for the customer, sent as ``sub``.
        secret: The secret shared with the gateway.
        audience: The gateway's audience, sent as ``aud``.
        lifetime_seconds: Seconds until the token expires; the gateway refuses more than 24 hours.
        name: The customer's display name, if the store wants the assistant to use it.
        now: Unix time of issue; the current time if omitted.

    Raises:
        ValueError: The secret or audience is unusable.
    """
    _require_configured(secret, audience)
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {
        "sub": customer_id,
        "aud": audience,
        "iat": issued_at,
        "exp": issued_at + lifetime_seconds,
    }
    if name is not None:
        claims["name"] = name
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _require_configured(secret: str, audience: str) -> None:
    # A missing secret is a deployment mistake, not a customer's bad token: fail loudly.
    if not secret or not audience:
        raise ValueError("store login is not configured")
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"store login secret must be at least {MIN_SECRET_BYTES} bytes")


def _check_shape(token: object) -> None:
    # A JWT is ASCII (base64url and dots); PyJWT fails on lone surrogates with an encoding error.
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise TokenRejected("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise TokenRejected("malformed") from None
    # Decided from the header alone, before the secret meets anything the sender chose.
    if header.get("alg") != ALGORITHM:
        raise TokenRejected("algorithm")


def _decode(token: str, secret: str) -> dict[str, Any]:
    # `from None` everywhere: PyJWT's messages may quote parts of the token.
    try:
        claims: dict[str, Any] = jwt.decode(token, secret, algorithms=[ALGORITHM], options=_DECODE_OPTIONS)
    except jwt.InvalidSignatureError:
        raise TokenRejected("signature") from None
    except jwt.DecodeError:
        raise TokenRejected("malformed") from None
    except jwt.InvalidAlgorithmError:
        raise TokenRejected("algorithm") from None
    except jwt.InvalidTokenError:
        raise TokenRejected("claims") from None
    return claims


def _login_from_claims(claims: dict[str, Any], audience: str, now: float) -> StoreLogin:
    customer_id = claims.get("sub")
    if not isinstance(customer_id, str) or not 0 < len(customer_id) <= MAX_CUSTOMER_ID_CHARS:
        raise TokenRejected("claims")
    expires_at = _finite_number(claims.get("exp"))
    if expires_at is None:
        raise TokenRejected("claims")
    _check_audience(claims.get("aud"), audience)
    _check_times(claims, expires_at, now)
    return StoreLogin(customer_id=customer_id, name=_display_name(claims.get("name")), expires_at=expires_at)


def _check_audience(claimed: object, audience: str) -> None:
    # A list of audiences is valid JWT but not what we ask stores for: one token, one service.
    if not isinstance(claimed, str):
        raise TokenRejected("claims")
    if claimed != audience:
        raise TokenRejected("audience")


def _check_times(claims: dict[str, Any], expires_at: float, now: float) -> None:
    if now >= expires_at + LEEWAY_SECONDS:
        raise TokenRejected("expired")
    if expires_at - now > MAX_LIFETIME_SECONDS:
        raise TokenRejected("lifetime")
    # iat and nbf are optional, but a token that says it is not valid yet is not valid yet.
    for claim in ("iat", "nbf"):
        if claim not in claims:
            continue
        moment = _finite_number(claims[claim])
        if moment is None or moment > now + LEEWAY_SECONDS:
            raise TokenRejected("claims")


def _finite_number(value: object) -> float | None:
    # JSON gives ints, floats, and through Python's parser also NaN, Infinity and huge ints;
    # bool is an int subclass but never a time.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _display_name(value: object) -> str | None:
    # The name only decorates the greeting, so an unusable one is dropped rather than refused.
    if isinstance(value, str) and value.strip() and len(value) <= MAX_NAME_CHARS:
        return value
    return None
