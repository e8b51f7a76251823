"""Starts the real processes for integration tests: Redis, the action server and Rasa."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import httpx

from scripts.local_redis import LocalRedis
from support.rasa_auth import rasa_api_flags, rasa_api_headers

ROOT = Path(__file__).resolve().parents[2]
MODEL = Path(os.environ.get("MODEL_DIR", ROOT / "models")) / "maru.tar.gz"
RASA_TOKEN = "integration-test-token-of-32-bytes-at-least"
TELEGRAM_TOKEN = "123456:integration-test"
TELEGRAM_SECRET = "integration-webhook-secret"
# The shop's login secret, shared with the tests that sign customer tokens (32 bytes at least).
STORE_LOGIN_SECRET = "integration-store-login-secret-0123456789"


SESSION_SECRET = "integration-session-secret"


def rasa_headers() -> dict[str, str]:
    """The header that opens the stack's Rasa HTTP API (a JWT; Rasa takes no token in the URL here)."""
    return rasa_api_headers(RASA_TOKEN)


def conversation_of(cookie: str | None) -> str:
    """The conversation id a web session token (or cookie) of the stack's gateway stands for."""
    from bot.identity.web_session import WebSessionTokens

    conversation = WebSessionTokens(SESSION_SECRET).conversation(cookie)
    assert conversation, "the customer has no valid session token"
    return conversation


def handoff_of(redis_url: str, conversation: str) -> dict[str, str]:
    """The conversation's handoff record as stored (empty if it was never handed off)."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return dict(client.hgetall(f"handoff:{conversation}"))
    finally:
        client.connection_pool.disconnect()


def transcript_of(redis_url: str, conversation: str) -> list[tuple[str, str]]:
    """The conversation's stored transcript as (role, text) pairs, oldest first."""
    import json

    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        entries = [json.loads(raw) for raw in client.lrange(f"transcript:{conversation}", 0, -1)]
    finally:
        client.connection_pool.disconnect()
    return [(entry["role"], entry["text"]) for entry in entries]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(ready: Callable[[], bool], seconds: float, what: str) -> None:
    """Polls until ready() is true, or fails after the timeout."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{what} was not ready after {seconds} s")


@contextmanager
def scratch_redis() -> Iterator[str]:
    """A private, empty Redis server on a free port (no persistence) for as long as the block runs."""
    server = LocalRedis()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return True


@dataclass
class Stack:
    """The running processes and how to reach them."""

    workdir: Path
    redis_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    rasa_port: int = field(default_factory=free_port)
    gateway_port: int = field(default_factory=free_port)
    telegram_api_url: str = ""
    smtp_port: int = 0
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, BinaryIO] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "HF_HUB_OFFLINE": "1",
            "REDIS_URL": self.redis_url,
            "STORE_DB_PATH": str(self.workdir / "store.sqlite3"),
            # Open around the clock, so the queue tests don't depend on when the suite runs.
            "SUPPORT_FILE": str(ROOT / "tests" / "data" / "support_always_open.yml"),
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            # The gateway's /health checks the action server here.
            "ACTIONS_URL": f"http://127.0.0.1:{self.actions_port}",
            "SANIC_HOST": "127.0.0.1",
            "RASA_TOKEN": RASA_TOKEN,
            "RASA_URL": self.rasa_url,
            "SESSION_SECRET": SESSION_SECRET,
            "GATEWAY_PORT": str(self.gateway_port),
            "PUBLIC_URL": self.gateway_url,
            "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_URL": self.telegram_api_url,
            **self._mail(),
            "STORE_LOGIN_SECRET": STORE_LOGIN_SECRET,
            # Every test customer comes from 127.0.0.1: the per-address limits are tested on a gateway of their own.
            "NEW_SESSIONS_PER_MINUTE": "100000",
            "LOGIN_FAILURES_PER_ADDRESS": "100000",
        }

    def _mail(self) -> dict[str, str]:
        """The local SMTP server's settings, when the stack has one (else mail is off)."""
        if not self.smtp_port:
            return {"SMTP_HOST": ""}
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp_port),
            "SMTP_SECURITY": "none",
            "SMTP_FROM": "Maru <help@maru.example>",
        }

    def _spawn(self, name: str, command: list[str]) -> None:
        self.logs[name] = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=self.logs[name], stderr=subprocess.STDOUT
        )

    def start_redis(self) -> None:
        redis_server = shutil.which("redis-server")
        assert redis_server, "redis-server is not installed; run 'make setup'"
        data = self.workdir / "redis"
        data.mkdir(exist_ok=True)
        self._spawn(
            "redis",
            [redis_server, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", str(data),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""],
        )  # fmt: skip
        wait_until(lambda: _accepts(self.redis_port), 10, "redis")

    def start_actions(self) -> None:
        self._spawn(
            "actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.actions_port)]
        )
        url = f"http://127.0.0.1:{self.actions_port}/health"
        wait_until(lambda: httpx.get(url, timeout=2).status_code == 200, 60, "action server")

    def start_rasa(self) -> None:
        rasa = str(Path(sys.executable).parent / "rasa")
        self._spawn(
            "rasa",
            [rasa, "run", *rasa_api_flags(RASA_TOKEN), "-i", "127.0.0.1", "-p", str(self.rasa_port),
             "--model", str(MODEL), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
        )  # fmt: skip
        status = f"{self.rasa_url}/status"
        wait_until(lambda: "model_id" in httpx.get(status, headers=rasa_headers(), timeout=2).json(), 180, "rasa")

    def start_gateway(self, **overrides: str) -> None:
        """Starts the gateway (optionally with other settings, e.g. a Rasa that is down)."""
        name = overrides.pop("name", "gateway")
        env = {**self.env(), **overrides}
        self.logs[name] = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=self.logs[name], stderr=subprocess.STDOUT
        )
        health = f"http://127.0.0.1:{env['GATEWAY_PORT']}/health"
        wait_until(lambda: httpx.get(health, timeout=5).status_code in (200, 503), 30, name)

    def add_user(self, name: str, role: str, display_name: str, password: str = "integration-password") -> None:
        """Creates a console user with the admin command line."""
        subprocess.run(
            [sys.executable, "-m", "bot.admin", "add-user", name, "--role", role, "--display-name", display_name,
             "--password-stdin"],
            cwd=ROOT, env=self.env(), input=password.encode() + b"\n", check=True, capture_output=True,
        )  # fmt: skip

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self.logs.pop(name).close()

    def kill(self, name: str) -> None:
        """Stops a process with SIGKILL, as a crash would: no shutdown code runs."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()
        self.logs.pop(name).close()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


@contextmanager
def running_stack(workdir: Path, telegram_api_url: str, smtp_port: int) -> Iterator[Stack]:
    """Redis, action server, Rasa server with the trained model and the gateway; stopped afterwards."""
    from datetime import date

    from actions.store import build_database

    assert MODEL.exists(), f"no trained model at {MODEL}; run 'make train'"
    stack = Stack(workdir, telegram_api_url=telegram_api_url, smtp_port=smtp_port)
    build_database(workdir / "store.sqlite3", date.today())
    try:
        stack.start_redis()
        stack.start_actions()
        stack.start_rasa()
        stack.start_gateway()
        yield stack
    finally:
        stack.stop_all()
