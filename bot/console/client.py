"""A Python client of the console API and socket (what the console page speaks), for tests and benchmarks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.client import connect

from bot.console.auth import COOKIE, CSRF_HEADER


class ConsoleAgent:
    """A logged-in console user with an HTTP client and, once opened, the live socket."""

    def __init__(self, gateway_url: str) -> None:
        self._url = gateway_url
        self.http = httpx.AsyncClient(base_url=gateway_url, timeout=15)
        self.csrf = ""
        self._socket: Any = None

    async def login(self, name: str, password: str) -> dict[str, Any]:
        """Logs in and fetches the CSRF token."""
        response = await self.http.post("/console/login", json={"name": name, "password": password})
        response.raise_for_status()
        me = (await self.http.get("/console/api/me")).json()
        self.csrf = me["csrf"]
        return dict(me)

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        """A state-changing API call with the CSRF header."""
        return await self.http.post(path, json=body or {}, headers={CSRF_HEADER: self.csrf})

    async def open_socket(self, conversation: str | None = None) -> None:
        """Opens the live socket (the queue, or one conversation); the agent counts as online meanwhile."""
        query = f"?conversation={conversation}" if conversation else ""
        cookie = self.http.cookies.get(COOKIE)
        ws_url = self._url.replace("http", "ws", 1) + "/console/socket" + query
        self._socket = await connect(ws_url, extra_headers={"Cookie": f"{COOKIE}={cookie}"})
        ready = await self.next_event()
        assert ready["type"] == "ready"

    async def next_event(self, timeout: float = 15) -> dict[str, Any]:
        """The next event the console socket pushes."""
        event: dict[str, Any] = json.loads(await asyncio.wait_for(self._socket.recv(), timeout))
        return event

    async def wait_for(self, matches: Callable[[dict[str, Any]], bool], timeout: float = 15) -> dict[str, Any]:
        """The first pushed event that matches, skipping others."""
        while True:
            event = await self.next_event(timeout)
            if matches(event):
                return event

    async def close(self, log_out: bool = False) -> None:
        """Closes the socket, logs out if asked (the agent goes offline at once) and closes the client."""
        if self._socket is not None:
            await self._socket.close()
        if log_out:
            await self.post("/console/logout")
        await self.http.aclose()
