"""A local stand-in for the Telegram Bot API: records calls, answers like Telegram."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Maru", "username": "maru_support_bot"}


class BotApiDouble:
    """Serves /bot<token>/<method> on loopback and keeps every call in ``calls``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.pending_updates: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._message_id = 100
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.rsplit("/", 1)[-1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                params = {key: _maybe_json(value) for key, value in parse_qsl(body)}
                result = double.answer(method, params)
                payload = json.dumps({"ok": True, "result": result}).encode()
                self.send_response(200)
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
        """Queued updates from ``offset`` on; waits a little when there are none, like long polling."""
        with self._lock:
            ready = [u for u in self.pending_updates if u["update_id"] >= offset]
        if not ready:
            time.sleep(0.2)
        return ready

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[dict[str, Any]]:
        """The parameters of every call of ``method`` (to one chat, if given)."""
        with self._lock:
            return [p for m, p in self.calls if m == method and (chat_id is None or p.get("chat_id") == chat_id)]


def _maybe_json(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value
