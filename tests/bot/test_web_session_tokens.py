"""The widget's session token: names one conversation, only when genuine and fresh."""

from __future__ import annotations

import time

import pytest

from bot.identity.web_session import MAX_AGE_SECONDS, WebSessionTokens, token_of_subprotocols

TOKENS = WebSessionTokens("web-session-test-secret")


def test_a_token_names_the_conversation_it_was_issued_for() -> None:
    assert TOKENS.conversation(TOKENS.issue("web-abc")) == "web-abc"


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        42,
        "web-abc",
        WebSessionTokens("another-secret").issue("web-abc"),
        TOKENS.issue("tg-1234"),
    ],
)
def test_anything_else_names_no_conversation(token: object) -> None:
    assert TOKENS.conversation(token) is None


def test_an_altered_token_names_no_conversation() -> None:
    token = TOKENS.issue("web-abc")
    payload, rest = token.split(".", 1)
    assert TOKENS.conversation(payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest) is None


def test_an_old_token_has_expired(monkeypatch: pytest.MonkeyPatch) -> None:
    token = TOKENS.issue("web-abc")
    later = time.time() + MAX_AGE_SECONDS + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert TOKENS.conversation(token) is None


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("maru.v1, maru.token.abc.def", "abc.def"),
        ("maru.token.xyz", "xyz"),
        ("maru.v1", None),
        (None, None),
    ],
)
def test_the_socket_offers_its_token_as_a_subprotocol(header: str | None, token: str | None) -> None:
    assert token_of_subprotocols(header) == token
