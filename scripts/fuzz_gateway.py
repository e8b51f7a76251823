r"""Fuzzes the gateway's HTTP and web-socket inputs with Hypothesis, against a running gateway.

Hypothesis generates each target's inputs: arbitrary bytes and JSON, and bodies of the right
shape with odd values (strings of every kind, control characters, lone surrogates, huge
texts, deep nesting, numbers, lists, nulls). Every case goes to the real gateway. A case
fails when the gateway answers 500 or more, breaks off its answer or does not answer, closes
the widget's socket with 1011 (a server error) or 1006 (no close frame), or leaves a socket
frame unanswered. Each failing case is appended, request and response, to the failure log
(JSON lines; bodies as UTF-8 with ``surrogateescape``, so the bytes can be sent again). With
``--log`` the gateway's own log is read afterwards for tracebacks.

Nothing is changed for good: FAQ, change and notice ids are never real ones, a new FAQ always
names a topic that does not exist and every notice an unknown topic, so the knowledge files
stay as they are and nothing is published. Notes and dismissed inbox questions under random
ids, and the fuzzed conversations, are left in Redis: use a test system. With the default
``LOGIN_FAILURES_PER_ADDRESS`` the login target locks this address out of the console for
``LOGIN_LOCKOUT_SECONDS`` (the agent and the editor log in before it runs).

Needs the system running (``make run``) and an agent and an editor (``make user``). Example:

    python -m scripts.fuzz_gateway --seconds 120 --agent mina:PASSWORD --editor jun:PASSWORD \
        --telegram-secret "$TELEGRAM_WEBHOOK_SECRET" --log var/log/gateway.log

Options may come from the environment instead: FUZZ_GATEWAY_URL, TELEGRAM_WEBHOOK_SECRET,
FUZZ_AGENT and FUZZ_EDITOR (``name:password``), STORE_LOGIN_SECRET (signs shop logins for the
session target) and FUZZ_GATEWAY_LOG.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from websockets.client import WebSocketClientProtocol, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatusCode
from websockets.typing import Subprotocol

from bot.channels.telegram import SECRET_HEADER
from bot.console.auth import CSRF_HEADER
from bot.dashboard.charts import CHARTS
from bot.identity.tokens import sign_customer_token
from bot.identity.web_session import SUBPROTOCOL, TOKEN_SUBPROTOCOL
from bot.request_body import parsed_json
from bot.texts import Texts
from support.language import languages

ROOT = Path(__file__).resolve().parents[1]
HTTP_TIMEOUT_SECONDS = 60.0
# A frame's answer waits for Rasa's turn, which is slow on a busy 2-core machine.
ANSWER_SECONDS = 30.0
# Below RATE_LIMIT_MESSAGES' default of 20 a minute, so most message frames reach Rasa.
FRAMES_PER_SESSION = 15
# The widget's socket closes only for these reasons; any other close (1000 and 1011 after an exception,
# 1006 without a close frame) is a failure.
CLEAR_CLOSES = {1009: "frame too big", 4401: "no session, or the device forgot the conversation"}
# The gateway's WEBSOCKET_MAX_SIZE (bot/app.py).
MAX_FRAME_BYTES = 256 * 1024
CHUNK = 100
LOG_PROBLEMS = ("Traceback", "Exception occurred")
STORE_LOGIN_AUDIENCE = "maru-support"
# Telegram ids of fuzzed chats and updates, far from those the integration tests use.
FUZZ_TELEGRAM_IDS = st.integers(7_000_000_000, 7_000_999_999)
FUZZ_UPDATE_IDS = st.integers(7_000_000_000, 7_999_999_999)
# Change and notice ids are 12 hex digits: none is ever generated, so no real one is hit.
HEX_ID = re.compile(r"[0-9a-f]{12}")
NOTABLE = (
    "",
    " ",
    "\x00",
    "null",
    "true",
    "[]",
    "{}",
    "web-",
    "tg-1",
    "../../etc/passwd",
    "%00",
    "%2F",
    "<script>x</script>",
    "' OR '1'='1",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "\u202e",
    "\ufeff",
    "\u200b",
    "\u2028",
    "\U0001d518\U0001d52b",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "ㅋㅋㅋ",
    "안녕하세요",
    "/restart",
    "/session_start",
    '/faq{"x": 1}',
    "/csat:5",
    "/nps:10",
    "/rate_answer:up",
    "/greet_customer",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
)
CONTROL = [chr(c) for c in (*range(32), 127, *range(0x80, 0xA0))] + list("\u200b\u200e\u202e\u2028\u2060\ufeff\uffff")
# Bytes an HTTP header value may hold (no spaces, so it never starts or ends with one).
HEADER_BYTES = [*range(0x21, 0x7F), *range(0x80, 0x100)]
# What a web-socket subprotocol may be made of (an HTTP token; the client refuses to send anything else).
TOKEN_CHARACTERS = st.sampled_from("-!#$%&'*+.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


# Strategies


def rarely(strategy: SearchStrategy[Any], otherwise: SearchStrategy[Any]) -> SearchStrategy[Any]:
    """``strategy`` about one time in ten, else ``otherwise`` (for expensive or disruptive values)."""
    return st.integers(0, 9).flatmap(lambda n: strategy if n == 0 else otherwise)


UNICODE_TEXT = st.one_of(st.text(), st.lists(st.sampled_from(CONTROL)).map("".join), st.sampled_from(NOTABLE))
# Lone surrogates rarely: the gateway refuses any JSON holding one, so they would hide every other path.
ODD_TEXT = rarely(
    st.lists(st.one_of(st.characters(), st.integers(0xD800, 0xDFFF).map(chr)), min_size=1).map("".join), UNICODE_TEXT
)
HUGE_TEXT = st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=8), st.integers(1_000, 150_000))
TEXT = rarely(HUGE_TEXT, ODD_TEXT)
# For the fields of a Telegram update that are meant to parse.
TELEGRAM_TEXT = rarely(HUGE_TEXT, UNICODE_TEXT)
# Long, not huge: a whole query string travels in the request line.
QUERY_TEXT = rarely(
    st.builds(lambda piece, times: piece * times, st.text(min_size=1, max_size=2), st.integers(100, 500)), ODD_TEXT
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ODD_TEXT, inner, max_size=4),
    max_leaves=10,
)
ANY_VALUE = TEXT | JSON_VALUES
# Telegram ids other than the fuzz range's must not be numbers: they could name another test's chat.
NOT_INTEGERS = ANY_VALUE.filter(lambda v: isinstance(v, bool) or not isinstance(v, int))
RAW_BODIES = st.one_of(
    st.binary(max_size=4096),
    st.integers(1, 150_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 50_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.integers(4_300, 6_000).map(lambda n: b"9" * n),
    st.sampled_from([b"", b"null", b"NaN", b"-Infinity", b"\xef\xbb\xbf{}", b'{"a": 1} trailing', b'"\\ud800"', b"{"]),
)
HEADER_VALUES = st.lists(st.sampled_from(HEADER_BYTES), max_size=200).map(bytes)


def encoded(value: Any, ascii_only: bool = True) -> bytes:
    """JSON as bytes; lone surrogates become invalid UTF-8 when not escaped."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def objects(fields: dict[str, SearchStrategy[Any]]) -> SearchStrategy[dict[str, Any]]:
    """JSON objects with any of ``fields`` and a few stray keys."""
    stray = st.dictionaries(ODD_TEXT, JSON_VALUES, max_size=3)
    return st.builds(lambda extra, known: {**extra, **known}, stray, st.fixed_dictionaries({}, optional=fields))


def bodies(fields: dict[str, SearchStrategy[Any]]) -> SearchStrategy[bytes]:
    """Request bodies: raw bytes, any JSON, and objects with the route's fields (escaped or raw UTF-8)."""
    shaped = objects(fields)
    return st.one_of(
        RAW_BODIES,
        JSON_VALUES.map(encoded),
        shaped.map(encoded),
        shaped.map(lambda body: encoded(body, ascii_only=False)),
    )


def percent_encoded(value: str | bytes) -> str:
    """A path segment or query part as the URL carries it (any bytes, surrogates included)."""
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote(raw, safe="")


SEGMENTS = st.one_of(ODD_TEXT.map(percent_encoded), st.binary(max_size=40).map(percent_encoded))
RAW_QUERIES = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="#"), max_size=80)


def queries(names: list[str], values: SearchStrategy[str]) -> SearchStrategy[str]:
    """Query strings: the route's parameters (repeated, odd values) and stray ones, or raw junk."""
    name = st.one_of(st.sampled_from(names), ODD_TEXT) if names else ODD_TEXT
    pairs = st.lists(st.tuples(name, values), max_size=5)
    encoded_pairs = pairs.map(lambda items: "&".join(f"{percent_encoded(k)}={percent_encoded(v)}" for k, v in items))
    return st.one_of(encoded_pairs, RAW_QUERIES)


def tampered(token: str) -> SearchStrategy[str]:
    """The token with one character changed."""
    if not token:
        return st.just("x")
    return st.integers(0, len(token) - 1).map(lambda i: token[:i] + ("B" if token[i] == "A" else "A") + token[i + 1 :])


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Three dot-separated parts: header and claims of any JSON (deep nesting too), any signature.
JWT_LIKE = st.builds(
    lambda header, claims, signature: f"{_b64(header)}.{_b64(claims)}.{_b64(signature)}",
    st.one_of(
        JSON_VALUES.map(encoded), st.integers(1, 2_000).map(lambda n: b"[" * n + b"]" * n), st.binary(max_size=64)
    ),
    JSON_VALUES.map(encoded),
    st.binary(max_size=64),
)


# Cases and outcomes


@dataclass(frozen=True)
class HttpCase:
    """One HTTP request; ``role`` picks the client (and its console session)."""

    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    headers: tuple[tuple[bytes, bytes], ...] = ()
    role: str = "customer"
    csrf: bytes | None = None

    def url(self, gateway: str) -> str:
        """The full URL on the gateway."""
        return gateway + self.path + (f"?{self.query}" if self.query else "")


@dataclass(frozen=True)
class Frame:
    """One web-socket frame (text or binary) for the widget's socket."""

    data: str | bytes


@dataclass(frozen=True)
class Handshake:
    """Opening the widget's socket with these subprotocols and ``?lang=``."""

    protocols: tuple[str, ...]
    lang: str | None


@dataclass(frozen=True)
class Outcome:
    """What a case got: a label for the tally, and why it is a failure (None if it is not)."""

    label: str
    failure: str | None = None
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tally:
    """The cases a target tried and what they got."""

    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: int = 0


@dataclass
class Target:
    """A route (or socket) and the cases Hypothesis draws for it."""

    name: str
    cases: SearchStrategy[Any]
    send: Callable[[Any], Outcome]
    tally: Tally = field(default_factory=Tally)


def _shown(data: str | bytes | None) -> str | None:
    """Bytes as text that gives the same bytes back (``surrogateescape``)."""
    if data is None or isinstance(data, str):
        return data
    return data.decode("utf-8", "surrogateescape")


# The fuzzing session


class Fuzz:
    """Clients signed in as a customer, an agent and an editor, and what the targets must avoid."""

    def __init__(
        self,
        gateway: str,
        agent: tuple[str, str],
        editor: tuple[str, str],
        telegram_secret: str | None = None,
        store_login_secret: str | None = None,
        failures: Path = ROOT / "var" / "fuzz" / "failures.jsonl",
    ) -> None:
        self.gateway = gateway.rstrip("/")
        self.telegram_secret = telegram_secret
        self.store_login_secret = store_login_secret
        self.failures = failures
        self._users = {"agent": agent, "editor": editor}
        self.http = {
            role: httpx.Client(base_url=self.gateway, timeout=HTTP_TIMEOUT_SECONDS)
            for role in ("customer", "agent", "editor")
        }
        self.csrf: dict[str, str] = {}
        self.loop = asyncio.new_event_loop()
        self.socket: WebSocketClientProtocol | None = None
        self.socket_frames: list[str | bytes] = []
        self.session_token = ""
        self.faq_ids: set[str] = set()
        self.topics: set[str] = set()
        self.bad_request = {Texts.load(ROOT / "domain.yml").get("utter_bad_request", c) for c in languages().codes}

    def __enter__(self) -> Fuzz:
        for role, (name, password) in self._users.items():
            self.http[role].post("/console/login", json={"name": name, "password": password}).raise_for_status()
            self.csrf[role] = self.http[role].get("/console/api/me").json()["csrf"]
        self.session_token = self.new_session_token()
        for code in languages().codes:
            for faq in self.http["editor"].get("/editor/api/faqs", params={"language": code}).json():
                self.faq_ids.add(faq["id"])
                self.topics.add(faq["topic"])
        self.failures.parent.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.loop.run_until_complete(self.close_socket())
        self.loop.close()
        for client in self.http.values():
            client.close()

    def new_session_token(self) -> str:
        """A fresh widget session's token (a new conversation)."""
        response = self.http["customer"].post("/web/session", json={})
        self.http["customer"].cookies.clear()
        response.raise_for_status()
        token: str = response.json()["session_token"]
        return token

    def record(self, target: Target, case: Any, outcome: Outcome) -> None:
        """Counts the outcome; a failure goes to the failure log with everything needed to send it again."""
        target.tally.cases += 1
        target.tally.outcomes[outcome.label] += 1
        if outcome.failure is None:
            return
        target.tally.failures += 1
        entry = {"target": target.name, "failure": outcome.failure, "case": self._described(case), **outcome.response}
        with self.failures.open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        print(f"FAIL {target.name}: {outcome.failure}", file=sys.stderr)

    def _described(self, case: Any) -> dict[str, Any]:
        if isinstance(case, HttpCase):
            headers = {name.decode(): value.decode("latin-1") for name, value in self._headers(case).items()}
            return {
                "method": case.method,
                "url": case.url(self.gateway),
                "as": case.role,
                "headers": headers,
                "body": _shown(case.body),
            }
        if isinstance(case, Frame):
            # The socket's earlier frames of the same session, oldest first: they may matter.
            return {
                "frame": _shown(case.data),
                "binary": isinstance(case.data, bytes),
                "session_frames_before": [_shown(f) for f in self.socket_frames[:-1]],
            }
        return {"subprotocols": list(case.protocols), "lang": case.lang}

    # HTTP

    def _headers(self, case: HttpCase) -> dict[bytes, bytes]:
        headers = dict(case.headers)
        if case.role != "customer" and case.method == "POST":
            headers[CSRF_HEADER.encode()] = self.csrf[case.role].encode() if case.csrf is None else case.csrf
        return headers

    def send_http(self, case: HttpCase) -> Outcome:
        """Sends the request; 5xx, a broken answer or none at all is a failure."""
        client = self.http[case.role]
        try:
            response = client.request(
                case.method, case.url(self.gateway), content=case.body, headers=self._headers(case)
            )
        except httpx.LocalProtocolError:
            raise  # the case itself is not valid HTTP: a mistake of this script's
        except httpx.HTTPError as error:
            return Outcome("no answer", f"no answer: {type(error).__name__}: {error}")
        finally:
            if case.role == "customer":
                client.cookies.clear()
        answer = {"response": {"status": response.status_code, "body": response.text[:4000]}}
        failure = f"HTTP {response.status_code}" if response.status_code >= 500 else None
        return Outcome(str(response.status_code), failure, answer)

    # The widget's socket

    def send_frame(self, frame: Frame) -> Outcome:
        """Sends one frame on the widget's socket (a new session's socket when needed)."""
        return self.loop.run_until_complete(self._exchange(frame))

    async def _open_socket(self) -> None:
        await self.close_socket()
        protocols = [Subprotocol(SUBPROTOCOL), Subprotocol(TOKEN_SUBPROTOCOL + self.new_session_token())]
        self.socket = await connect(self._socket_url(), subprotocols=protocols, max_size=None)
        await asyncio.wait_for(self.socket.recv(), ANSWER_SECONDS)  # the history
        self.socket_frames = []

    async def close_socket(self) -> None:
        """Closes the widget's socket, if one is open (before a pause: an idle client misses pings)."""
        if self.socket is not None:
            await self.socket.close()
            self.socket = None

    def _socket_url(self, query: str = "") -> str:
        return self.gateway.replace("http", "ws", 1) + "/web/socket" + query

    async def _exchange(self, frame: Frame) -> Outcome:
        """Sends the frame, then a malformed probe; the socket is usable once the probe's refusal comes back.

        Frames are handled in order, so the probe's answer also means the frame's turn is over.
        """
        if self.socket is None or len(self.socket_frames) >= FRAMES_PER_SESSION:
            await self._open_socket()
        assert self.socket is not None
        self.socket_frames.append(frame.data)
        refusals = 2 if refused_at_once(frame.data) else 1
        size = len(frame.data if isinstance(frame.data, bytes) else frame.data.encode())
        try:
            await self.socket.send(frame.data)
            await self.socket.send("{}")
            while refusals:
                event = json.loads(await asyncio.wait_for(self.socket.recv(), ANSWER_SECONDS))
                if event.get("type") == "message" and event.get("role") == "bot" and event["text"] in self.bad_request:
                    refusals -= 1
        except ConnectionClosed as closed:
            self.socket = None
            code = closed.rcvd.code if closed.rcvd else 1006
            reason = closed.rcvd.reason if closed.rcvd else ""
            # A frame over the limit: the server closes while it may still be arriving (then the
            # client sees the reset, 1006, before the 1009).
            failure = None if size > MAX_FRAME_BYTES and code in (1006, 1009) else _unclear_close(code)
            return Outcome(f"closed {code}", failure, {"close": {"code": code, "reason": reason}})
        except asyncio.TimeoutError:
            await self.close_socket()
            return Outcome("no answer", f"no answer to the frame within {ANSWER_SECONDS:.0f} s")
        return Outcome("answered")

    def send_handshake(self, case: Handshake) -> Outcome:
        """Opens a socket with the case's subprotocols and waits for the history or the close."""
        return self.loop.run_until_complete(self._handshake(case))

    async def _handshake(self, case: Handshake) -> Outcome:
        query = "" if case.lang is None else f"?lang={case.lang}"
        try:
            socket = await connect(self._socket_url(query), subprotocols=[Subprotocol(p) for p in case.protocols])
        except InvalidStatusCode as refused:
            failure = f"handshake refused with {refused.status_code}" if refused.status_code >= 500 else None
            return Outcome(f"refused {refused.status_code}", failure)
        except InvalidHandshake as error:
            return Outcome(f"handshake {type(error).__name__}")
        try:
            await asyncio.wait_for(socket.recv(), ANSWER_SECONDS)
            return Outcome("history")
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else 1006
            return Outcome(f"closed {code}", _unclear_close(code), {"close": {"code": code}})
        except asyncio.TimeoutError:
            return Outcome("no answer", f"no history within {ANSWER_SECONDS:.0f} s")
        finally:
            await socket.close()


def _unclear_close(code: int) -> str | None:
    return None if code in CLEAR_CLOSES else f"the socket closed with {code}"


def refused_at_once(data: str | bytes) -> bool:
    """Whether the gateway answers the frame with its malformed-frame refusal (as ``bot.channels.web`` reads it)."""
    try:
        frame = parsed_json(data)
    except ValueError:
        return True
    return not isinstance(frame, dict) or frame.get("type") not in ("message", "button")


# Targets


def web_session_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Session requests: tokens real, tampered and odd; shop logins; languages and ``resume`` of any kind."""
    tokens = st.one_of(st.just(fuzz.session_token), tampered(fuzz.session_token), ANY_VALUE)
    customer_tokens = st.one_of(JWT_LIKE, ANY_VALUE)
    if fuzz.store_login_secret:
        secret = fuzz.store_login_secret
        signed = st.builds(
            lambda customer, name: sign_customer_token(customer, secret, STORE_LOGIN_AUDIENCE, name=name),
            # Prefixed: a fuzzed customer never shares (or forgets) another customer's conversations.
            ODD_TEXT.map(lambda c: ("fuzz-" + c)[:128]),
            st.none() | ODD_TEXT,
        )
        customer_tokens = st.one_of(signed, JWT_LIKE, ANY_VALUE)
    fields = {"session_token": tokens, "customer_token": customer_tokens, "language": ANY_VALUE, "resume": ANY_VALUE}
    origins = st.one_of(
        HEADER_VALUES, st.sampled_from([b"null", b"http://evil.example", b"http://[::1", b"http://127.0.0.1:99999"])
    )
    headers = st.lists(
        st.one_of(
            origins.map(lambda v: (b"Origin", v)),
            HEADER_VALUES.map(lambda v: (b"Cookie", b"maru_session=" + v)),
            HEADER_VALUES.map(lambda v: (b"X-Forwarded-For", v)),
        ),
        max_size=3,
    ).map(tuple)
    return st.builds(HttpCase, st.just("POST"), st.just("/web/session"), body=bodies(fields), headers=headers)


def frames(fuzz: Fuzz) -> SearchStrategy[Frame]:
    """Socket frames: any text or bytes, any JSON, messages and button presses with odd fields."""
    forged = st.one_of(
        TEXT,
        st.sampled_from(["/csat:5", "/nps:10", "/rate_answer:up", "/queue_wait", "/restart", '/inform{"a":1}']),
        ODD_TEXT.map(lambda s: "/csat:" + s),
    )
    client_ids = ANY_VALUE
    message = objects({"text": ANY_VALUE, "client_id": client_ids}).map(lambda o: {**o, "type": "message"})
    button = objects({"payload": st.one_of(forged, JSON_VALUES), "client_id": client_ids}).map(
        lambda o: {**o, "type": "button"}
    )
    shaped = st.one_of(message, button, objects({"type": ANY_VALUE, "text": ANY_VALUE, "payload": ANY_VALUE}))
    return st.one_of(
        TEXT.map(_text_frame),
        RAW_BODIES.map(Frame),
        JSON_VALUES.map(lambda v: Frame(json.dumps(v))),
        shaped.map(lambda v: Frame(json.dumps(v))),
        shaped.map(lambda v: Frame(encoded(v, ascii_only=False))),
    )


def _text_frame(text: str) -> Frame:
    """A text frame, or a binary one for text no text frame can carry (lone surrogates are not UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Frame(text.encode("utf-8", "surrogatepass"))
    return Frame(text)


def handshakes(fuzz: Fuzz) -> SearchStrategy[Handshake]:
    """Socket openings with the real token, tampered or forged ones, none, and odd ``lang`` values."""
    token = fuzz.session_token
    offered = st.one_of(
        st.just(token), tampered(token), st.text(TOKEN_CHARACTERS, max_size=300), st.sampled_from(["", "web-x"])
    )
    protocols = st.one_of(
        offered.map(lambda t: (SUBPROTOCOL, TOKEN_SUBPROTOCOL + t)),
        offered.map(lambda t: (TOKEN_SUBPROTOCOL + t,)),
        st.just((SUBPROTOCOL,)),
        st.lists(st.text(TOKEN_CHARACTERS, min_size=1, max_size=40), min_size=1, max_size=3).map(tuple),
    )
    return st.builds(Handshake, protocols, st.none() | ODD_TEXT.map(percent_encoded))


HANDSHAKE_HEADERS = [
    (b"Upgrade", b"websocket"),
    (b"Connection", b"Upgrade"),
    (b"Sec-WebSocket-Key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    (b"Sec-WebSocket-Version", b"13"),
]
HANDSHAKE_NAMES = [name for name, _ in HANDSHAKE_HEADERS] + [b"Sec-WebSocket-Protocol", b"Sec-WebSocket-Extensions"]


def socket_request_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Plain HTTP requests to the socket routes: handshake headers right, odd or missing."""
    header = st.one_of(st.sampled_from(HANDSHAKE_HEADERS), st.tuples(st.sampled_from(HANDSHAKE_NAMES), HEADER_VALUES))
    return st.builds(
        lambda path, method, headers, query: HttpCase(method, path, query, headers=tuple(headers)),
        st.sampled_from(["/web/socket", "/console/socket"]),
        st.sampled_from(["GET", "POST", "HEAD"]),
        st.lists(header, max_size=6),
        RAW_QUERIES,
    )


def login_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Console logins with any body."""
    fields = {"name": ANY_VALUE, "password": ANY_VALUE}
    return st.builds(HttpCase, st.just("POST"), st.just("/console/login"), body=bodies(fields))


CONSOLE_ROUTES = (
    ("GET", "/console/api/conversations/{}"),
    ("GET", "/console/api/conversations/{}/assist"),
    ("POST", "/console/api/conversations/{}/claim"),
    ("POST", "/console/api/conversations/{}/reply"),
    ("POST", "/console/api/conversations/{}/notes"),
    ("POST", "/console/api/conversations/{}/transfer"),
    ("POST", "/console/api/conversations/{}/resolve"),
    ("GET", "/console/api/callbacks/{}"),
    ("POST", "/console/api/callbacks/{}/pick-up"),
    ("POST", "/console/api/callbacks/{}/email"),
    ("POST", "/console/api/callbacks/{}/done"),
    ("POST", "/console/api/follow-ups/{}/done"),
    ("GET", "/console/api/queue"),
    ("GET", "/console/api/agents"),
    ("GET", "/console/api/follow-ups"),
)
CSRF_VALUES = rarely(HEADER_VALUES, st.none())


def console_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """The agent's API on random conversations, callbacks and follow-ups, with any body and query."""
    ids = st.one_of(
        SEGMENTS, st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=30).map("web-".__add__)
    )
    fields = {"text": ANY_VALUE, "agent": ANY_VALUE, "finish": ANY_VALUE, "note": ANY_VALUE}
    return st.builds(
        lambda route, conversation, query, body, csrf: HttpCase(
            route[0],
            route[1].format(conversation),
            query,
            body if route[0] == "POST" else None,
            role="agent",
            csrf=csrf,
        ),
        st.sampled_from(CONSOLE_ROUTES),
        ids,
        queries(["q"], QUERY_TEXT),
        bodies(fields),
        CSRF_VALUES,
    )


EDITOR_ROUTES = (
    ("GET", "/editor/api/faqs"),
    ("GET", "/editor/api/faqs/{}"),
    ("POST", "/editor/api/faqs/{}/answer"),
    ("POST", "/editor/api/faqs/{}/phrasings"),
    ("POST", "/editor/api/faqs/{}/phrasings/remove"),
    ("POST", "/editor/api/faqs/{}/phrasings/move"),
    ("POST", "/editor/api/faqs/{}/retire"),
    ("POST", "/editor/api/faqs"),
    ("POST", "/editor/api/changes/{}/rollback"),
    ("GET", "/editor/api/changes"),
    ("GET", "/editor/api/languages"),
    ("GET", "/editor/api/preview"),
    ("GET", "/editor/api/inbox"),
    ("POST", "/editor/api/inbox/dismiss"),
    ("GET", "/editor/api/training"),
)


def editor_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """The editor's API on FAQ and change ids that do not exist, with any body and query."""
    known = fuzz.faq_ids | fuzz.topics
    # Never a real FAQ, topic or change: no edit can succeed, so the knowledge files stay as they are.
    unknown = ODD_TEXT.filter(lambda s: s.strip() not in known and not HEX_ID.fullmatch(s.strip()))
    fields = {
        "answer": ANY_VALUE,
        "text": ANY_VALUE,
        "to": st.one_of(unknown, JSON_VALUES),
        "id": st.one_of(unknown, JSON_VALUES),
        "question": ANY_VALUE,
        "phrasings": st.one_of(st.lists(TEXT, max_size=5), JSON_VALUES),
        "texts": ANY_VALUE,
    }
    language = st.one_of(st.sampled_from(languages().codes), ODD_TEXT)
    query_values = st.one_of(language, QUERY_TEXT)

    def case(
        route: tuple[str, str], faq: str, query: str, body: dict[str, Any] | bytes, csrf: bytes | None
    ) -> HttpCase:
        if isinstance(body, dict):
            body = encoded(body)
        return HttpCase(
            route[0],
            route[1].format(percent_encoded(faq)),
            query,
            body if route[0] == "POST" else None,
            role="editor",
            csrf=csrf,
        )

    # A new FAQ's body is always an object naming a topic that does not exist.
    shaped = st.builds(lambda body, topic: {**body, "topic": topic}, objects(fields), unknown)
    return st.builds(
        case,
        st.sampled_from(EDITOR_ROUTES),
        unknown,
        queries(["q", "language"], query_values),
        st.one_of(shaped, bodies(fields).filter(lambda b: not _names_a_topic(b))),
        CSRF_VALUES,
    )


def _names_a_topic(body: bytes) -> bool:
    """Whether a generated body may name a topic (only the always-unknown ``shaped`` bodies do)."""
    return b"topic" in body


def notice_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Notices that can never be published (an unknown topic, or no object), withdrawals of unknown ids."""
    unknown_topic = ODD_TEXT.map(lambda s: "no-such-topic " + s)
    fields = {
        "text": ANY_VALUE,
        "language": ANY_VALUE,
        "starts": ANY_VALUE,
        "ends": ANY_VALUE,
        "topics": st.lists(st.one_of(ODD_TEXT, JSON_VALUES), max_size=3),
    }
    # Every notice names at least one topic that does not exist: none is ever published.
    invalid = st.builds(
        lambda body, topics, extra: {**body, "topics": [*topics, extra]},
        objects(fields),
        fields["topics"],
        unknown_topic,
    ).map(encoded)
    bad_shape = st.one_of(RAW_BODIES, JSON_VALUES.filter(lambda v: not isinstance(v, dict)).map(encoded))
    ids = SEGMENTS.filter(lambda s: not HEX_ID.fullmatch(s))
    publish = st.builds(
        HttpCase,
        st.just("POST"),
        st.just("/editor/api/notices"),
        body=st.one_of(invalid, bad_shape),
        role=st.just("editor"),
        csrf=CSRF_VALUES,
    )
    withdraw = st.builds(
        lambda i, csrf: HttpCase("POST", f"/editor/api/notices/{i}/withdraw", role="editor", csrf=csrf),
        ids,
        CSRF_VALUES,
    )
    return st.one_of(publish, withdraw, st.just(HttpCase("GET", "/editor/api/notices", role="editor")))


def dashboard_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """The summary, charts and exports with any query string."""
    names = st.one_of(
        st.sampled_from([*CHARTS, "ratings", "conversations"]), st.from_regex(r"[a-z]{1,12}", fullmatch=True)
    )
    paths = st.one_of(
        st.just("/dashboard/api/summary"),
        names.map(lambda n: f"/dashboard/charts/{n}.svg"),
        names.map(lambda n: f"/dashboard/export/{n}.csv"),
    )
    values = st.one_of(
        st.dates().map(lambda d: d.isoformat()),
        st.sampled_from(["0001-01-01", "0001-01-20", "9999-12-31", "9999-12-20"]),
        st.sampled_from(["all", "web", "telegram", *languages().codes]),
        QUERY_TEXT,
    )
    return st.builds(
        lambda path, query: HttpCase("GET", path, query, role="editor"),
        paths,
        queries(["from", "to", "channel", "language"], values),
    )


def _telegram_updates() -> SearchStrategy[dict[str, Any]]:
    """Updates shaped like Telegram's (with odd values now and then), and any JSON object with an update id."""
    text = st.one_of(TELEGRAM_TEXT, st.sampled_from(["/start", "/csat:5", "hello", "배송비 얼마예요"]))
    user = st.fixed_dictionaries(
        {"id": rarely(NOT_INTEGERS, FUZZ_TELEGRAM_IDS), "is_bot": st.booleans(), "first_name": TELEGRAM_TEXT},
        optional={"language_code": ANY_VALUE, "username": TELEGRAM_TEXT, "last_name": TELEGRAM_TEXT},
    )
    chat = st.fixed_dictionaries(
        {
            "id": rarely(NOT_INTEGERS, FUZZ_TELEGRAM_IDS),
            "type": st.sampled_from(["private", "group", "channel"]) | TELEGRAM_TEXT,
        }
    )
    photo = st.fixed_dictionaries(
        {
            "file_id": TELEGRAM_TEXT,
            "file_unique_id": TELEGRAM_TEXT,
            "width": st.integers(0, 9999),
            "height": st.integers(0, 9999),
        }
    )
    entity = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["bold", "url", "bot_command"]) | TELEGRAM_TEXT,
            "offset": st.integers(),
            "length": st.integers(),
        }
    )
    message = st.fixed_dictionaries(
        {
            "message_id": st.integers(),
            "date": rarely(ANY_VALUE, st.integers(0, 2**31)),
            "chat": rarely(ANY_VALUE, chat),
        },
        optional={
            "from": rarely(ANY_VALUE, user),
            "text": rarely(ANY_VALUE, text),
            "caption": TELEGRAM_TEXT,
            "photo": rarely(JSON_VALUES, st.lists(photo, max_size=2)),
            "entities": rarely(JSON_VALUES, st.lists(entity, max_size=2)),
        },
    )
    query = st.fixed_dictionaries(
        {"id": TELEGRAM_TEXT, "from": rarely(ANY_VALUE, user), "chat_instance": TELEGRAM_TEXT},
        optional={"data": ANY_VALUE, "message": rarely(ANY_VALUE, message)},
    )
    shaped = st.fixed_dictionaries(
        {"update_id": FUZZ_UPDATE_IDS},
        optional={
            "message": message,
            "edited_message": message,
            "callback_query": query,
            "channel_post": message,
            "my_chat_member": JSON_VALUES,
        },
    )
    loose = st.builds(
        lambda o, update: {**o, "update_id": update},
        objects({"message": JSON_VALUES, "callback_query": JSON_VALUES}),
        FUZZ_UPDATE_IDS,
    )
    return st.one_of(shaped, loose)


def telegram_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Webhook calls with the right secret and any update."""
    secret = (fuzz.telegram_secret or "").encode()
    updates = st.one_of(_telegram_updates().map(encoded), _telegram_updates().map(lambda u: encoded(u, False)))
    body = st.one_of(updates, updates, bodies({"update_id": st.one_of(NOT_INTEGERS, FUZZ_UPDATE_IDS)}))
    return st.builds(
        lambda b: HttpCase("POST", "/telegram/webhook", body=b, headers=((SECRET_HEADER.encode(), secret),)), body
    )


def wrong_secret_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Webhook calls with a wrong secret or none."""
    secret = (fuzz.telegram_secret or "secret").encode()
    wrong = st.one_of(
        HEADER_VALUES.filter(lambda v: v != secret), st.just(secret.upper() + b"x"), st.just(secret[:-1])
    ).map(lambda v: ((SECRET_HEADER.encode(), v),))
    headers = st.one_of(st.just(()), wrong)
    updates = _telegram_updates().map(encoded)
    return st.builds(
        lambda h, b: HttpCase("POST", "/telegram/webhook", body=b, headers=h), headers, st.one_of(updates, RAW_BODIES)
    )


def metrics_cases(fuzz: Fuzz) -> SearchStrategy[HttpCase]:
    """Scrapes with any ``Authorization`` header."""
    bearer = HEADER_VALUES.filter(bool).map(lambda v: b"Bearer " + v)
    authorization = st.one_of(HEADER_VALUES, bearer, st.just(b"bearer"))
    return st.builds(
        lambda a, q: HttpCase("GET", "/metrics", q, headers=((b"Authorization", a),)), authorization, RAW_QUERIES
    )


def targets(fuzz: Fuzz) -> list[Target]:
    """Every target, in the order they run."""
    found = [
        Target("POST /web/session", web_session_cases(fuzz), fuzz.send_http),
        Target("web socket frames", frames(fuzz), fuzz.send_frame),
        Target("web socket handshake", handshakes(fuzz), fuzz.send_handshake),
        Target("socket routes, plain HTTP", socket_request_cases(fuzz), fuzz.send_http),
        Target("console API (agent)", console_cases(fuzz), fuzz.send_http),
        Target("editor API (editor)", editor_cases(fuzz), fuzz.send_http),
        Target("editor notices (invalid)", notice_cases(fuzz), fuzz.send_http),
        Target("dashboard API and exports", dashboard_cases(fuzz), fuzz.send_http),
    ]
    if fuzz.telegram_secret:
        found.append(Target("Telegram webhook", telegram_cases(fuzz), fuzz.send_http))
    found += [
        Target("Telegram webhook, wrong secret", wrong_secret_cases(fuzz), fuzz.send_http),
        Target("GET /metrics", metrics_cases(fuzz), fuzz.send_http),
        # Last: with the default per-address limit it locks this address out of the console.
        Target("POST /console/login", login_cases(fuzz), fuzz.send_http),
    ]
    return found


# Running


def run_target(
    fuzz: Fuzz, target: Target, examples: int, derandomize: bool = False, until: float | None = None
) -> None:
    """Sends ``examples`` cases Hypothesis draws for the target (fewer if ``until``, a monotonic time, passes)."""

    @settings(
        max_examples=examples,
        derandomize=derandomize,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
            HealthCheck.filter_too_much,
        ],
    )
    @given(target.cases)
    def send(case: Any) -> None:
        if until is not None and time.monotonic() >= until:
            return
        fuzz.record(target, case, target.send(case))

    try:
        send()
    finally:
        fuzz.loop.run_until_complete(fuzz.close_socket())


def log_problems(log: Path, offset: int) -> list[str]:
    """The gateway log's lines after ``offset`` that show an unhandled exception."""
    with log.open("rb") as handle:
        handle.seek(offset)
        text = handle.read().decode("utf-8", "replace")
    return [line for line in text.splitlines() if any(problem in line for problem in LOG_PROBLEMS)]


def report(found: list[Target]) -> str:
    """One line per target (cases, 5xx and other failures, what came back) and the total."""
    lines = [f"{'target':32} {'cases':>6} {'failed':>6}  outcomes"]
    for target in found:
        tally = target.tally
        outcomes = ", ".join(f"{label} ×{count}" for label, count in sorted(tally.outcomes.items()))
        lines.append(f"{target.name:32} {tally.cases:>6} {tally.failures:>6}  {outcomes}")
    cases, failures = sum(t.tally.cases for t in found), sum(t.tally.failures for t in found)
    lines.append(f"{'total':32} {cases:>6} {failures:>6}")
    return "\n".join(lines)


def _credentials(value: str | None, option: str) -> tuple[str, str]:
    if not value or ":" not in value:
        raise SystemExit(f"fuzz_gateway: {option} NAME:PASSWORD is required")
    name, password = value.split(":", 1)
    return name, password


def main() -> int:
    """Command line entry point; exit status 1 if any case failed or the gateway logged an exception."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gateway", default=os.environ.get("FUZZ_GATEWAY_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget, shared equally by the targets")
    parser.add_argument("--agent", default=os.environ.get("FUZZ_AGENT"), help="an agent's NAME:PASSWORD")
    parser.add_argument("--editor", default=os.environ.get("FUZZ_EDITOR"), help="an editor's NAME:PASSWORD")
    parser.add_argument("--telegram-secret", default=os.environ.get("TELEGRAM_WEBHOOK_SECRET"))
    parser.add_argument("--store-login-secret", default=os.environ.get("STORE_LOGIN_SECRET"))
    parser.add_argument("--log", type=Path, default=os.environ.get("FUZZ_GATEWAY_LOG"), help="the gateway's log file")
    parser.add_argument("--failures", type=Path, default=ROOT / "var" / "fuzz" / "failures.jsonl")
    args = parser.parse_args()
    log_start = args.log.stat().st_size if args.log else 0
    fuzz = Fuzz(
        args.gateway,
        _credentials(args.agent, "--agent"),
        _credentials(args.editor, "--editor"),
        args.telegram_secret,
        args.store_login_secret,
        args.failures,
    )
    with fuzz:
        found = targets(fuzz)
        share = args.seconds / len(found)
        for target in found:
            until = time.monotonic() + share
            while time.monotonic() < until:
                run_target(fuzz, target, CHUNK, until=until)
    print(report(found))
    failed = sum(t.tally.failures for t in found)
    if failed:
        print(f"failing cases logged to {args.failures}")
    problems = log_problems(args.log, log_start) if args.log else []
    if args.log:
        print(f"gateway log: {len(problems)} lines with a traceback or an unhandled exception ({args.log})")
        for line in problems[:20]:
            print(f"  {line[:300]}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
