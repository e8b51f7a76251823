"""JSON from clients, parsed safely for every channel; a request body's object and text fields for the APIs."""

from __future__ import annotations

import json
from typing import Any

from sanic import Request

from support.plain_text import plain_text


def parsed_json(raw: str | bytes) -> Any:
    """JSON text as Python values, for any text a client sends (bodies, socket frames, webhooks).

    Raises:
        ValueError: it is not JSON, it nests deeper than Python's parser can follow, or a string in it
            holds a lone surrogate (an escaped one parses, but no UTF-8 encoder takes it: not Redis, not httpx).
    """
    try:
        value = json.loads(raw)
        json.dumps(value, ensure_ascii=False).encode()
    except RecursionError as error:
        raise ValueError("the JSON is nested too deeply") from error
    except UnicodeEncodeError as error:
        raise ValueError("a string in the JSON is not Unicode text (a lone surrogate)") from error
    return value


def json_object(request: Request, error: type[ValueError]) -> dict[str, Any]:
    """The body as a JSON object; raises ``error`` with a clear message otherwise."""
    try:
        body = parsed_json(request.body or b"{}")
    except ValueError as invalid:
        raise error("the request body is not JSON") from invalid
    if not isinstance(body, dict):
        raise error("the request body must be a JSON object")
    return body


def text_field(request: Request, name: str, max_chars: int, error: type[ValueError], label: str = "") -> str:
    """A required text field of the JSON body as plain text, stripped; ``error`` names it when empty or too long."""
    label = label or f"'{name}'"
    value = plain_text(str(json_object(request, error).get(name) or "")).strip()
    if not value:
        raise error(f"{label} is empty")
    if len(value) > max_chars:
        raise error(f"{label} is longer than {max_chars} characters")
    return value
