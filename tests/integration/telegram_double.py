"""A local stand-in for the Telegram Bot API: records calls, answers like Telegram, errors included.

Chosen methods can be made to fail the way Telegram fails: an error code with
Telegram's JSON body (400 "message is not modified", 403 blocked, 429 with
``retry_after``, 502), or no answer within the client's time-out. Removing a
keyboard that is already gone fails with 400 "message is not modified", as it does
on Telegram.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Maru", "username": "maru_support_bot"}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
BLOCKED = "Forbidden: bot was blocked by the user"


@dataclass
class Failure:
    """Calls of ``method`` (to ``chat_id``, if set) fail with ``status`` while ``times`` and ``until`` allow."""

    method: str
    status: int
    description: str
    chat_id: int | None = None
    times: int | None = None
    until: float | None = None
    retry_after: int | None = None
    hang_seconds: float = 0.0

    def applies(self, method: str, params: dict[str, Any]) -> bool:
        if method != self.method or (self.chat_id is not None and params.get("chat_id") != self.chat_id):
            return False
        if self.until is not None and time.time() >= self.until:
            return False
        return self.times is None or self.times > 0

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class BotApiDouble:
    """Serves /bot<token>/<method> on loopback and keeps every call in ``calls``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.pending_updates: list[dict[str, Any]] = []
        self.failures: list[Failure] = []
        # (method, params, status) of every call, failed ones included.
        self.attempts: list[tuple[str, dict[str, Any], int, float]] = []
        self._keyboards_removed: set[tuple[Any, Any]] = set()
        self._lock = threading.Lock()
        self._message_id = 100
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = {key: _maybe_json(value) for key, value in parse_qsl(body)}
                status, reply = double.respond(method, params)
                payload = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, method: str, status: int, description: str, **when: Any) -> Failure:
        """Makes calls of ``method`` fail like Telegram (see ``Failure`` for ``chat_id``, ``times``, ``until``)."""
        failure = Failure(method, status, description, **when)
        with self._lock:
            self.failures.append(failure)
        return failure

    def heal(self) -> None:
        """Every method answers normally again."""
        with self._lock:
            self.failures.clear()

    def respond(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body for one call."""
        failure = self._failure_for(method, params)
        if failure is None and method == "editMessageReplyMarkup" and not params.get("reply_markup"):
            failure = self._keyboard_already_removed(params)
        if failure is not None:
            with self._lock:
                self.attempts.append((method, params, failure.status, time.time()))
            time.sleep(failure.hang_seconds)
            return failure.status, failure.body()
        with self._lock:
            self.attempts.append((method, params, 200, time.time()))
        return 200, {"ok": True, "result": self.answer(method, params)}

    def _failure_for(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if failure.applies(method, params):
                    if failure.times is not None:
                        failure.times -= 1
                    return failure
        return None

    def _keyboard_already_removed(self, params: dict[str, Any]) -> Failure | None:
        message = (params.get("chat_id"), params.get("message_id"))
        with self._lock:
            if message in self._keyboards_removed:
                return Failure("editMessageReplyMarkup", 400, NOT_MODIFIED)
            self._keyboards_removed.add(message)
        return None

    def answer(self, method: str, params: dict[str, Any]) -> Any:
        with self._lock:
            self.calls.append((method, params))
            self._message_id += 1
            message_id = self._message_id
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return self._take_updates(int(params.get("offset") or 0))
        if method in ("sendMessage", "editMessageReplyMarkup"):
            return {
                "message_id": params.get("message_id", message_id),
                "date": int(time.time()),
                "chat": {"id": params.get("chat_id"), "type": "private"},
                "text": params.get("text", ""),
            }
        return True

    def _take_updates(self, offset: int) -> list[dict[str, Any]]:
        """Queued updates from ``offset`` on; waits a little when there are none, like long polling.

        As on Telegram, asking from ``offset`` confirms the updates before it: they are forgotten.
        """
        with self._lock:
            if offset:
                self.pending_updates[:] = [u for u in self.pending_updates if u["update_id"] >= offset]
            ready = list(self.pending_updates)
        if not ready:
            time.sleep(0.2)
        return ready

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict[str, Any]]:
        """The parameters of every successful call of ``method`` (to one chat, if given)."""
        with self._lock:
            return [p for m, p in self.calls if m == method and (chat_id is None or p.get("chat_id") == chat_id)]

    def tries(self, method: str = "sendMessage", chat_id: int | None = None) -> list[tuple[int, float, str]]:
        """(status, time, text) of every call of ``method``, failed ones included."""
        with self._lock:
            return [
                (status, at, str(p.get("text", "")))
                for m, p, status, at in self.attempts
                if m == method and (chat_id is None or p.get("chat_id") == chat_id)
            ]


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
