"""Credentials for Rasa's HTTP API in a header, never in a query string that access logs keep.

Rasa 3.6 takes its API token only as ``?token=``; its other form is a JWT in the
``Authorization`` header (``rasa run --jwt-secret``). Everything here signs a short-lived
admin JWT with the shared ``RASA_TOKEN`` instead.
"""

from __future__ import annotations

import time

import jwt

ALGORITHM = "HS256"
LIFETIME_SECONDS = 300
USER = {"username": "maru-gateway", "role": "admin"}


def rasa_api_headers(secret: str, now: float | None = None) -> dict[str, str]:
    """The ``Authorization`` header for Rasa's HTTP API, valid for a few minutes."""
    issued = int(time.time() if now is None else now)
    claims = {"user": USER, "iat": issued, "exp": issued + LIFETIME_SECONDS}
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm=ALGORITHM)}"}


def rasa_api_flags(secret: str) -> list[str]:
    """The ``rasa run`` flags that accept those headers (and no query-string token)."""
    return ["--enable-api", "--jwt-secret", secret, "--jwt-method", ALGORITHM]


if __name__ == "__main__":
    # For shell scripts and health checks: the header line for curl -H (the secret comes from RASA_TOKEN).
    import os

    print("Authorization: " + rasa_api_headers(os.environ["RASA_TOKEN"])["Authorization"])
