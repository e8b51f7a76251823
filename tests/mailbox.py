"""A real SMTP server on loopback that keeps what it receives, for tests of code that sends mail."""

from __future__ import annotations

import email.policy
import threading
import time
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"
REFUSAL = "550 5.1.1 mailbox unavailable"
POLL_SECONDS = 0.02


class LocalMailbox:
    """An aiosmtpd server in its own thread on 127.0.0.1 and a free port, without TLS or login.

    Use it as a context manager, or call start() and stop(). Each start() gets a new port, unless
    given the port of an earlier run: a server that was down comes back where its clients expect it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self._raw: list[bytes] = []
        self._refusing = False
        self._controller: _FreePortController | None = None

    def start(self, port: int = 0) -> None:
        """Starts listening (on a free port, or on ``port``); returns once the server answers."""
        if self._controller is not None:
            raise RuntimeError("the mailbox is already running")
        controller = _FreePortController(_Handler(self), hostname=HOST, port=port, server_hostname="localhost")
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stops the server and its thread; the messages stay readable."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> LocalMailbox:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the running server listens on."""
        if self._controller is None:
            raise RuntimeError("the mailbox is not running")
        return self._controller.port

    @property
    def messages(self) -> list[EmailMessage]:
        """A snapshot of the messages received so far, in arrival order."""
        with self._lock:
            return list(self._messages)

    @property
    def raw_messages(self) -> list[bytes]:
        """The messages received so far as sent over the wire (headers encoded as they went)."""
        with self._lock:
            return list(self._raw)

    def wait_for(self, count: int, seconds: float) -> list[EmailMessage]:
        """Waits until at least ``count`` messages arrived and returns them all.

        Raises:
            AssertionError: Fewer than ``count`` arrived within ``seconds``.
        """
        deadline = time.monotonic() + seconds
        while True:
            received = self.messages
            if len(received) >= count:
                return received
            if time.monotonic() >= deadline:
                raise AssertionError(f"expected {count} message(s) within {seconds}s, got {len(received)}")
            time.sleep(POLL_SECONDS)

    def clear(self) -> None:
        """Forgets the messages received so far."""
        with self._lock:
            self._messages.clear()
            self._raw.clear()

    def refuse_recipients(self, refuse: bool) -> None:
        """Makes the server answer every RCPT with 550 (True), or accept them again (False)."""
        with self._lock:
            self._refusing = refuse

    def _refusing_now(self) -> bool:
        with self._lock:
            return self._refusing

    def _receive(self, data: bytes) -> None:
        # SMTP ends lines with CRLF; as in a mail client, the parsed text ends them with \n.
        message = BytesParser(_class=EmailMessage, policy=email.policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
        with self._lock:
            self._messages.append(message)
            self._raw.append(data)


class _Handler:
    """The aiosmtpd hooks: accept or refuse recipients, and hand each message to the mailbox."""

    def __init__(self, mailbox: LocalMailbox) -> None:
        self._mailbox = mailbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self._mailbox._refusing_now():
            return REFUSAL
        # A handle_RCPT hook replaces aiosmtpd's own, which is what records the recipient.
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # The bytes as sent, whatever aiosmtpd's decode_data option makes of ``content``.
        assert isinstance(envelope.original_content, bytes)
        self._mailbox._receive(envelope.original_content)
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """A Controller that reads its port from its socket: on port 0 the OS picks a free one, with no race."""

    def _trigger_server(self) -> None:
        # start() connects to self.port to check the server answers: it must be the real port by then.
        # Not isinstance(asyncio.Server): once Sanic is imported the loop may be uvloop's, with its own Server.
        sockets = getattr(self.server, "sockets", None)
        assert sockets, "the SMTP server did not start"
        self.port = sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]
