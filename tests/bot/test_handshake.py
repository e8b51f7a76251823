"""A request to a socket route that is no valid web-socket handshake gets websockets' own 4xx, never a 500."""

from __future__ import annotations

import pytest

from bot.security.handshake import handshake_refusal

HANDSHAKE = [
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Sec-WebSocket-Version", "13"),
]


@pytest.mark.parametrize(
    "extra", [[], [("Sec-WebSocket-Protocol", "maru.v1, maru.token.abc.def")], [("Sec-WebSocket-Extensions", ";;")]]
)
def test_a_valid_handshake_is_left_to_the_server(extra: list[tuple[str, str]]) -> None:
    assert handshake_refusal("/web/socket", HANDSHAKE + extra) is None


# Found by scripts/fuzz_gateway.py: each of these was a 500 with a traceback (Sanic 21.12 with websockets 10).
@pytest.mark.parametrize(
    ("headers", "refusal"),
    [
        ([], (426, "Failed to open a WebSocket connection: missing Connection header. "
                   "This address needs a WebSocket client.")),
        (HANDSHAKE[:3], (400, "Failed to open a WebSocket connection: missing Sec-WebSocket-Version header.")),
        ([*HANDSHAKE[:3], ("Sec-WebSocket-Version", "12")],
         (400, "Failed to open a WebSocket connection: invalid Sec-WebSocket-Version header: 12.")),
        ([*HANDSHAKE[:2], ("Sec-WebSocket-Key", "\udcff\udcfe"), HANDSHAKE[3]],
         (400, "Failed to open a WebSocket connection: a handshake header is not UTF-8 text.")),
        ([*HANDSHAKE, ("Sec-WebSocket-Protocol", "maru.v1, maru token")],
         (400, "Failed to open a WebSocket connection: invalid Sec-WebSocket-Protocol header: "
               "expected comma at 14 in maru.v1, maru token.")),
    ],
)  # fmt: skip
def test_anything_else_gets_the_refusal_websockets_would_send(
    headers: list[tuple[str, str]], refusal: tuple[int, str]
) -> None:
    assert handshake_refusal("/web/socket", headers) == refusal
