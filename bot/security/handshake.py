"""Refuses a web-socket handshake that is not one, with the 4xx websockets itself would answer.

Sanic 21.12 hands websockets 10 its own request object, and websockets' refusal path sets an
attribute that object does not have: every handshake websockets refuses (a plain GET of a
socket route, a missing key, a ``Sec-WebSocket-Protocol`` header that is not a token list)
became a 500 with a traceback. This middleware runs websockets' own checks on socket routes
first and answers with their verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

from sanic import Request
from sanic.response import HTTPResponse, text
from websockets.datastructures import Headers
from websockets.exceptions import InvalidHandshake, InvalidUpgrade
from websockets.headers import parse_subprotocol
from websockets.http11 import Request as HandshakeRequest
from websockets.server import ServerConnection


def handshake_refusal(path: str, headers: Iterable[tuple[str, str]]) -> tuple[int, str] | None:
    """The status and text websockets refuses this handshake with, or None if it accepts it."""
    received = Headers(headers)
    try:
        ServerConnection().process_request(HandshakeRequest(path, received))
        # Parsed by the handshake only on routes with subprotocols, but never valid anywhere.
        for offered in received.get_all("Sec-WebSocket-Protocol"):
            parse_subprotocol(offered)
    except InvalidUpgrade as error:
        return 426, f"Failed to open a WebSocket connection: {error}. This address needs a WebSocket client."
    except InvalidHandshake as error:
        return 400, f"Failed to open a WebSocket connection: {error}."
    except ValueError:
        # The key held bytes that are not UTF-8 (Sanic keeps them as surrogate escapes).
        return 400, "Failed to open a WebSocket connection: a handshake header is not UTF-8 text."
    return None


async def refuse_bad_handshakes(request: Request) -> HTTPResponse | None:
    """Request middleware: a socket route's request that is no valid handshake gets websockets' 4xx."""
    if request.route is None or not request.route.ctx.websocket:
        return None
    refusal = handshake_refusal(request.path, request.headers.items())
    if refusal is None:
        return None
    status, message = refusal
    headers = {"Upgrade": "websocket"} if status == 426 else {}
    # The message may quote a header's bytes that are not UTF-8.
    return text(message.encode("utf-8", "replace").decode(), status=status, headers=headers)
