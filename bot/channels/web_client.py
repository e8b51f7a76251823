"""A Python client of the web channel protocol (what the widget speaks), for tests and benchmarks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from websockets.client import connect
from websockets.typing import Subprotocol

from bot.identity.web_session import SUBPROTOCOL, TOKEN_SUBPROTOCOL


class WebCustomer:
    """Holds a session token and a socket; collects what the gateway pushes."""

    def __init__(
        self, gateway_url: str, session_token: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self._url = gateway_url
        self.session_token = session_token
        # Sent with the session request and the socket's handshake (a proxy's X-Forwarded-For, say).
        self._headers = headers or {}
        self.session: dict[str, Any] = {}
        self._socket: Any = None

    async def connect(self, customer_token: str | None = None) -> list[dict[str, Any]]:
        """Gets a session (presenting the token it has; signed in with the shop's token) and opens the socket.

        Returns:
            The history the socket sends first.
        """
        body: dict[str, str] = {"customer_token": customer_token} if customer_token else {}
        if self.session_token:
            body["session_token"] = self.session_token
        async with httpx.AsyncClient(base_url=self._url, headers=self._headers) as http:
            response = await http.post("/web/session", json=body)
            response.raise_for_status()
            self.session = response.json()
            self.session_token = self.session["session_token"]
        ws_url = self._url.replace("http", "ws", 1) + "/web/socket"
        protocols = [Subprotocol(SUBPROTOCOL), Subprotocol(TOKEN_SUBPROTOCOL + str(self.session_token))]
        self._socket = await connect(ws_url, subprotocols=protocols, extra_headers=self._headers)
        history = await self.next_event()
        assert history["type"] == "history"
        messages: list[dict[str, Any]] = history["messages"]
        return messages

    async def close(self) -> None:
        """Closes the socket."""
        await self._socket.close()

    async def next_event(self, timeout: float = 15) -> dict[str, Any]:
        """The next event the gateway pushes."""
        event: dict[str, Any] = json.loads(await asyncio.wait_for(self._socket.recv(), timeout))
        return event

    async def next_message(self, role: str, timeout: float = 15) -> dict[str, Any]:
        """The next message of ``role`` the gateway pushes, skipping other events."""
        while True:
            event = await self.next_event(timeout)
            if event["type"] == "message" and event["role"] == role:
                return event

    async def send_raw(self, frame: str) -> None:
        """Sends a frame as is (tests of malformed input)."""
        await self._socket.send(frame)

    async def say(self, text: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Sends a message and returns the bot messages of the turn."""
        await self._socket.send(json.dumps({"type": "message", "text": text}))
        return await self.bot_turn(timeout)

    async def say_with_id(self, text: str, client_id: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Sends a message as the widget does, with its ``client_id``; returns the bot messages until its ack."""
        await self._socket.send(json.dumps({"type": "message", "text": text, "client_id": client_id}))
        messages: list[dict[str, Any]] = []
        while True:
            event = await self.next_event(timeout)
            if event == {"type": "ack", "client_id": client_id}:
                return messages
            if event["type"] == "message" and event["role"] != "customer":
                messages.append(event)

    async def press(self, payload: str, timeout: float = 15) -> list[dict[str, Any]]:
        """Presses a button and returns the bot messages of the turn."""
        await self._socket.send(json.dumps({"type": "button", "payload": payload}))
        return await self.bot_turn(timeout)

    async def bot_turn(self, timeout: float) -> list[dict[str, Any]]:
        """Bot messages until the typing indicator goes off (or a lone gateway message)."""
        messages: list[dict[str, Any]] = []
        typing = False
        while True:
            event = await self.next_event(timeout)
            if event["type"] == "typing":
                typing = event["on"]
                if not typing:
                    return messages
            elif event["type"] == "message" and event["role"] != "customer":
                messages.append(event)
                if not typing:
                    return messages
