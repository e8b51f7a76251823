"""The gateway's log lines: one JSON object per line, the conversation while a message is handled."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import warnings
from collections.abc import Iterator

import pytest
import structlog

from bot.observability.logs import QUIET, SANIC, configure_logging, conversation_logged, formatter

LOGGERS = ("", *QUIET, *SANIC)


def line(log_format: str, record: logging.LogRecord) -> str:
    return formatter(log_format).format(record)


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("bot.conversation", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_has_time_level_logger_and_message() -> None:
    logged = json.loads(line("json", record("Rasa failed: %s", "ConnectError")))
    assert sorted(logged) == ["level", "logger", "message", "time"]
    assert (logged["level"], logged["logger"], logged["message"]) == (
        "warning",
        "bot.conversation",
        "Rasa failed: ConnectError",
    )
    assert logged["time"].endswith("Z")


def test_the_conversation_handled_is_on_every_line_written_meanwhile() -> None:
    with conversation_logged("web-abc"):
        inside = json.loads(line("json", record("no answer")))
    after = json.loads(line("json", record("no answer")))
    assert (inside["conversation"], "conversation" in after) == ("web-abc", False)


def test_an_explicit_conversation_wins() -> None:
    with conversation_logged("web-abc"):
        logged = json.loads(line("json", record("could not erase", conversation="web-other")))
    assert logged["conversation"] == "web-other"


async def test_tasks_started_while_handling_a_message_name_its_conversation() -> None:
    async def log_line() -> str:
        return line("json", record("late"))

    with conversation_logged("tg-42"):
        task = asyncio.create_task(log_line())
    assert json.loads(await task)["conversation"] == "tg-42"


def test_a_json_line_stays_one_line_with_an_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        failed = logging.LogRecord("bot.editor.training", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    text = line("json", failed)
    assert "\n" not in text
    assert json.loads(text)["exception"].endswith("RuntimeError: boom")


def test_text_lines_for_development() -> None:
    with conversation_logged("web-abc"):
        text = line("text", record("no answer"))
    assert text.split(" ", 1)[1] == "[warning  ] no answer                      [bot.conversation] conversation=web-abc"


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, text"):
        formatter("xml")


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """configure_logging changes process-wide loggers: they are put back afterwards.

    The root logger only loses the handler configure_logging gave it (pytest adds its own per test phase).
    """
    saved = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level) for name in LOGGERS[1:]}
    propagate = {name: logging.getLogger(name).propagate for name in LOGGERS[1:]}
    root = logging.getLogger()
    root_level = root.level
    yield
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.level, logger.propagate = handlers, level, propagate[name]
    root.handlers = [h for h in root.handlers if not isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)]
    root.setLevel(root_level)
    logging.captureWarnings(False)


def test_every_line_of_the_process_goes_through_one_handler(
    restored_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    logging.getLogger("sanic.error").addHandler(logging.StreamHandler(io.StringIO()))  # as Sanic() installs one
    configure_logging("json")
    logging.getLogger("sanic.error").error("Exception occurred while handling uri")
    logging.getLogger("bot.delivery").info("sent")
    # httpx logs request URLs at INFO, with the Telegram and Rasa tokens in them.
    logging.getLogger("httpx").info("HTTP Request: GET http://rasa/status?token=secret")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("passing coroutines is deprecated", DeprecationWarning, stacklevel=1)
    lines = [json.loads(text) for text in err.getvalue().splitlines()]
    assert [entry["logger"] for entry in lines] == ["sanic.error", "bot.delivery", "py.warnings"]
    assert [entry["message"] for entry in lines[:2]] == ["Exception occurred while handling uri", "sent"]
    assert "DeprecationWarning: passing coroutines is deprecated" in lines[2]["message"]
