"""The gateway's log lines: one JSON object per line (``LOG_FORMAT=json``, the default) or text for development.

Each line has ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, while a
customer's message is handled, ``conversation`` (the id only, set by ``conversation_logged``
or passed as ``extra={"conversation": ...}``). Log calls never pass what a customer wrote,
nor an email address or phone number. httpx logs every request URL at INFO, and those hold
the Telegram bot token and Rasa's API token, so its loggers only pass warnings on.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import structlog

FORMATS = ("json", "text")
CONVERSATION: ContextVar[str | None] = ContextVar("conversation", default=None)
# Loggers that write secrets at INFO (request URLs): kept at WARNING.
QUIET = ("httpx", "httpcore")
# Sanic's loggers, which Sanic() gives handlers of their own: they go through the root handler instead.
SANIC = ("sanic.root", "sanic.error", "sanic.access")


@contextmanager
def conversation_logged(conversation: str) -> Iterator[None]:
    """Log lines written inside the block (and in tasks it starts) name the conversation."""
    token = CONVERSATION.set(conversation)
    try:
        yield
    finally:
        CONVERSATION.reset(token)


def _add_conversation(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Adds the conversation being handled, unless the call passed one."""
    conversation = CONVERSATION.get()
    if conversation is not None:
        event.setdefault("conversation", conversation)
    return event


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of one of ``FORMATS``.

    Raises:
        ValueError: an unknown format.
    """
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, got {log_format!r}")
    rendering: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(ensure_ascii=False)]
        if log_format == "json"
        else [structlog.dev.ConsoleRenderer(colors=False, event_key="message", timestamp_key="time")]
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            _add_conversation,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.EventRenamer("message"),
            *rendering,
        ],
    )


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """Sends every log line of the process, Sanic's and Python warnings included, to stderr in ``log_format``.

    Call it after the Sanic app is created: creating it installs Sanic's own handlers.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in SANIC:
        sanic_logger = logging.getLogger(name)
        sanic_logger.handlers = []
        sanic_logger.propagate = True
