"""Sends mail through the SMTP server named in the environment.

The action server sends one-time sign-in codes with it, and the gateway its callback and
check-in mail (``bot/mail/``). Mail is optional: without SMTP_HOST neither sends any. A failed
send raises MailFailed with a short reason, so the caller can tell the customer the mail did not
go, or try again later.
"""

from __future__ import annotations

import email.policy
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

DEFAULT_PORT = 587
IMPLICIT_TLS_PORT = 465
DEFAULT_TIMEOUT_SECONDS = 10.0
SECURITY_MODES = ("starttls", "tls", "none")


class MailFailed(RuntimeError):
    """The mail was not sent; the message says why, without any secret.

    Attributes:
        permanent: Sending the same message again can't succeed: the address is malformed, or the
            server refused the recipient for good (a 5xx answer).
    """

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send mail.

    Attributes:
        host: The SMTP server's host name or address.
        port: The SMTP server's port.
        sender: The From address, optionally with a display name ("Maru <help@maru.example>").
        username: The SMTP login, or None to send without logging in.
        password: The SMTP password; never shown in repr or errors.
        starttls: Upgrade the connection with STARTTLS, refusing to send if the server can't.
        implicit_tls: Speak TLS from the first byte (port 465).
        timeout_seconds: The longest wait for any one step: connecting, or one server reply.
    """

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    implicit_tls: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        if self.starttls and self.implicit_tls:
            raise ValueError("starttls and implicit_tls are mutually exclusive")

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> MailSettings | None:
        """Reads the SMTP_* variables.

        Returns:
            The settings, or None when SMTP_HOST is unset or empty: mail is not configured.

        Raises:
            ValueError: A variable is missing or malformed; the message names it.
        """
        host = env.get("SMTP_HOST", "").strip()
        if not host:
            return None
        security = _security(env)
        username = env.get("SMTP_USERNAME", "").strip() or None
        password = env.get("SMTP_PASSWORD") or None
        if password and not username:
            # Without a username aiosmtplib would skip the login and the password silently.
            raise ValueError("SMTP_PASSWORD is set but SMTP_USERNAME is not")
        return cls(
            host=host,
            port=_port(env, IMPLICIT_TLS_PORT if security == "tls" else DEFAULT_PORT),
            sender=_sender(env),
            username=username,
            password=password,
            starttls=security == "starttls",
            implicit_tls=security == "tls",
            timeout_seconds=_timeout(env),
        )


class Mailer:
    """Sends plain-text UTF-8 mail with the given settings, one connection per message."""

    def __init__(self, settings: MailSettings) -> None:
        sender = _single_address(settings.sender)
        if sender is None:
            raise ValueError(f"the sender {settings.sender!r} is not one mail address")
        self._settings = settings
        self._sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        """Sends one message to one recipient.

        Raises:
            MailFailed: The address is malformed, or the server could not be reached, timed out,
                refused the login, the sender or the recipient, or answered with an error.
        """
        recipient = _single_address(to)
        if recipient is None:
            raise MailFailed("the recipient is not a valid mail address", permanent=True)
        settings = self._settings
        try:
            await aiosmtplib.send(
                self._message(recipient, subject, body),
                hostname=settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                use_tls=settings.implicit_tls,
                # False rather than aiosmtplib's default None, which would quietly send in plain
                # text to a server that does not offer STARTTLS.
                start_tls=settings.starttls,
                timeout=settings.timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise MailFailed(self._without_password(_reason(error)), _refused_for_good(error)) from error

    def _message(self, recipient: Address, subject: str, body: str) -> EmailMessage:
        """The message with its headers; the default policy encodes non-ASCII text as UTF-8."""
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = recipient
        message["Subject"] = subject
        message["Date"] = datetime.now(timezone.utc)
        # The sender's domain, not make_msgid's default socket.getfqdn(), which can stall on DNS.
        message["Message-ID"] = make_msgid(domain=self._sender.domain)
        message.set_content(body)
        return message

    def _without_password(self, reason: str) -> str:
        """The reason with the password masked, since it quotes what the server answered."""
        password = self._settings.password
        return reason.replace(password, "********") if password else reason


def _reason(error: aiosmtplib.SMTPException | OSError) -> str:
    """A short reason for the log: which step failed and what the server said, if anything."""
    if isinstance(error, aiosmtplib.SMTPTimeoutError):
        return "the mail server did not answer in time"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        refusal = error.recipients[0]
        return f"the mail server refused the recipient: {refusal.code} {refusal.message}"
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return f"the mail server refused the login: {error.code}"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"the mail server answered {error.code} {error.message}"
    if isinstance(error, OSError):
        # aiosmtplib's connect error wraps the socket's error in text that repeats the host and port.
        return f"the connection to the mail server failed: {error.__cause__ or error}"
    return f"mail error: {error.message}"


def _refused_for_good(error: aiosmtplib.SMTPException | OSError) -> bool:
    """The server refused the recipient with a permanent (5xx) code; a 4xx refusal may pass later."""
    if not isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return False
    return all(refusal.code >= 500 for refusal in error.recipients)


def _single_address(value: str) -> Address | None:
    """The one well-formed address with a domain in ``value``, or None."""
    header = email.policy.default.header_factory("To", value)
    addresses: tuple[Address, ...] = header.addresses
    if header.defects or len(addresses) != 1 or not addresses[0].domain:
        return None
    return addresses[0]


def _security(env: Mapping[str, str]) -> str:
    raw = env.get("SMTP_SECURITY", "")
    security = raw.strip().lower() or "starttls"
    if security not in SECURITY_MODES:
        raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, got {raw!r}")
    return security


def _sender(env: Mapping[str, str]) -> str:
    sender = env.get("SMTP_FROM", "").strip()
    if not sender:
        raise ValueError("SMTP_FROM is required when SMTP_HOST is set")
    if _single_address(sender) is None:
        raise ValueError(f"SMTP_FROM must be one mail address, got {sender!r}")
    return sender


def _port(env: Mapping[str, str], default: int) -> int:
    raw = env.get("SMTP_PORT", "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ValueError(f"SMTP_PORT must be a port number from 1 to 65535, got {raw!r}")
    return port


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get("SMTP_TIMEOUT_SECONDS", "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"SMTP_TIMEOUT_SECONDS must be a positive number of seconds, got {raw!r}")
    return seconds
