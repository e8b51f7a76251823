"""The mailer against a real SMTP server on loopback, and its settings from the environment."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from support.mail import Mailer, MailFailed, MailSettings
from tests.mailbox import LocalMailbox

SENDER = "Maru Support <support@maru.example>"
CUSTOMER = "mina@example.com"
PASSWORD = "s3cret-pa55"


@pytest.fixture
def mailbox() -> Iterator[LocalMailbox]:
    with LocalMailbox() as running:
        yield running


def plain_settings(port: int, **overrides: Any) -> MailSettings:
    """Settings for a server on loopback without TLS, as the integration tests use."""
    settings = MailSettings(host="127.0.0.1", port=port, sender=SENDER, starttls=False, timeout_seconds=5.0)
    return replace(settings, **overrides)


def unused_port() -> int:
    """A loopback port that nothing listens on (the OS just handed it out and it was closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_a_message_arrives_with_its_headers_and_body(mailbox: LocalMailbox) -> None:
    await Mailer(plain_settings(mailbox.port)).send(CUSTOMER, "Your sign-in code", "Your code is 482913.\n")

    [message] = mailbox.wait_for(1, seconds=5)
    assert message["From"] == SENDER
    assert message["To"] == CUSTOMER
    assert message["Subject"] == "Your sign-in code"
    assert message.get_content() == "Your code is 482913.\n"
    assert message["Message-ID"].endswith("@maru.example>")
    assert message["Date"].datetime is not None


async def test_korean_subject_and_body_arrive_intact(mailbox: LocalMailbox) -> None:
    subject = "마루 로그인 인증번호"
    body = "안녕하세요, 고객님.\n인증번호는 482913입니다. 10분 동안 유효합니다.\n"

    await Mailer(plain_settings(mailbox.port, sender="마루 고객센터 <support@maru.example>")).send(
        CUSTOMER, subject, body
    )

    [message] = mailbox.wait_for(1, seconds=5)
    assert message["Subject"] == subject
    assert message["From"] == "마루 고객센터 <support@maru.example>"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == body


async def test_messages_are_kept_in_arrival_order_until_cleared(mailbox: LocalMailbox) -> None:
    mailer = Mailer(plain_settings(mailbox.port))
    for number in range(3):
        await mailer.send(CUSTOMER, f"code {number}", "body\n")

    assert [message["Subject"] for message in mailbox.wait_for(3, seconds=5)] == ["code 0", "code 1", "code 2"]
    mailbox.clear()
    assert mailbox.messages == []


async def test_a_refused_recipient_raises_mail_failed(mailbox: LocalMailbox) -> None:
    mailbox.refuse_recipients(True)

    with pytest.raises(MailFailed, match=r"refused the recipient: 550 5\.1\.1 mailbox unavailable") as refused:
        await Mailer(plain_settings(mailbox.port)).send(CUSTOMER, "code", "body\n")
    assert mailbox.messages == []
    assert refused.value.permanent is True

    mailbox.refuse_recipients(False)
    await Mailer(plain_settings(mailbox.port)).send(CUSTOMER, "code", "body\n")
    assert len(mailbox.wait_for(1, seconds=5)) == 1


async def test_no_server_on_the_port_raises_mail_failed_quickly() -> None:
    settings = plain_settings(unused_port(), username="support", password=PASSWORD, timeout_seconds=1.0)
    started = time.monotonic()

    with pytest.raises(MailFailed, match="connection to the mail server failed") as failure:
        await Mailer(settings).send(CUSTOMER, "code", "body\n")

    assert time.monotonic() - started < 2
    assert PASSWORD not in str(failure.value)
    assert failure.value.permanent is False


async def test_a_server_that_never_greets_times_out() -> None:
    with socket.socket() as silent:
        # It accepts connections (the kernel completes them from the backlog) but never says anything.
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = plain_settings(silent.getsockname()[1], timeout_seconds=0.3)

        with pytest.raises(MailFailed, match="did not answer in time"):
            await Mailer(settings).send(CUSTOMER, "code", "body\n")


async def test_starttls_is_required_not_attempted(mailbox: LocalMailbox) -> None:
    # The mailbox offers no STARTTLS: the code must not go out in plain text instead.
    with pytest.raises(MailFailed, match="STARTTLS"):
        await Mailer(plain_settings(mailbox.port, starttls=True)).send(CUSTOMER, "code", "body\n")
    assert mailbox.messages == []


@pytest.mark.parametrize("address", ["", "mina", "mina@example.com, eve@example.com", "mina@example.com\r\nBcc: e@x"])
async def test_a_malformed_recipient_raises_mail_failed(mailbox: LocalMailbox, address: str) -> None:
    with pytest.raises(MailFailed, match="not a valid mail address") as failure:
        await Mailer(plain_settings(mailbox.port)).send(address, "code", "body\n")
    assert mailbox.messages == []
    assert failure.value.permanent is True


def test_from_env_is_none_without_smtp_host() -> None:
    assert MailSettings.from_env({}) is None
    assert MailSettings.from_env({"SMTP_HOST": " ", "SMTP_FROM": SENDER}) is None


def test_from_env_requires_smtp_from() -> None:
    with pytest.raises(ValueError, match="SMTP_FROM"):
        MailSettings.from_env({"SMTP_HOST": "mail.example.com"})
    with pytest.raises(ValueError, match="SMTP_FROM"):
        MailSettings.from_env({"SMTP_HOST": "mail.example.com", "SMTP_FROM": "not an address"})


def test_from_env_defaults() -> None:
    settings = MailSettings.from_env({"SMTP_HOST": "mail.example.com", "SMTP_FROM": SENDER})

    assert settings == MailSettings(
        host="mail.example.com",
        port=587,
        sender=SENDER,
        username=None,
        password=None,
        starttls=True,
        implicit_tls=False,
        timeout_seconds=10.0,
    )


@pytest.mark.parametrize(
    ("security", "starttls", "implicit_tls", "default_port"),
    [("starttls", True, False, 587), ("tls", False, True, 465), ("none", False, False, 587), ("TLS", False, True, 465)],
)
def test_from_env_parses_each_security_mode(
    security: str, starttls: bool, implicit_tls: bool, default_port: int
) -> None:
    env = {"SMTP_HOST": "mail.example.com", "SMTP_FROM": SENDER, "SMTP_SECURITY": security}

    settings = MailSettings.from_env(env)
    with_port = MailSettings.from_env({**env, "SMTP_PORT": "2525"})

    assert settings is not None
    assert (settings.starttls, settings.implicit_tls, settings.port) == (starttls, implicit_tls, default_port)
    assert with_port is not None
    assert with_port.port == 2525


def test_from_env_rejects_an_unknown_security_mode() -> None:
    with pytest.raises(ValueError, match="SMTP_SECURITY must be one of starttls, tls, none, got 'ssl'"):
        MailSettings.from_env({"SMTP_HOST": "mail.example.com", "SMTP_FROM": SENDER, "SMTP_SECURITY": "ssl"})


def test_from_env_reads_the_login_and_timeout() -> None:
    settings = MailSettings.from_env(
        {
            "SMTP_HOST": "mail.example.com",
            "SMTP_FROM": SENDER,
            "SMTP_USERNAME": "support",
            "SMTP_PASSWORD": PASSWORD,
            "SMTP_TIMEOUT_SECONDS": "2.5",
        }
    )

    assert settings is not None
    assert (settings.username, settings.password, settings.timeout_seconds) == ("support", PASSWORD, 2.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SMTP_PORT", "smtp"),
        ("SMTP_PORT", "0"),
        ("SMTP_PORT", "70000"),
        ("SMTP_TIMEOUT_SECONDS", "soon"),
        ("SMTP_TIMEOUT_SECONDS", "0"),
        ("SMTP_TIMEOUT_SECONDS", "nan"),
    ],
)
def test_from_env_rejects_a_malformed_number_naming_it(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        MailSettings.from_env({"SMTP_HOST": "mail.example.com", "SMTP_FROM": SENDER, name: value})


def test_from_env_rejects_a_password_without_a_username() -> None:
    with pytest.raises(ValueError, match="SMTP_USERNAME") as failure:
        MailSettings.from_env({"SMTP_HOST": "mail.example.com", "SMTP_FROM": SENDER, "SMTP_PASSWORD": PASSWORD})
    assert PASSWORD not in str(failure.value)


def test_the_password_is_not_in_the_repr() -> None:
    settings = MailSettings(host="mail.example.com", port=587, sender=SENDER, username="support", password=PASSWORD)

    assert PASSWORD not in repr(settings)
    assert "support" in repr(settings)
