"""The JSON object in a request body and its text fields, shared by the console, editor and notice APIs."""

from __future__ import annotations

import json
from typing import Any

from sanic import Request


def json_object(request: Request, error: type[ValueError]) -> dict[str, Any]:
    """The body as a JSON object; raises ``error`` with a clear message otherwise."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as invalid:
        raise error("the request body is not JSON") from invalid
    if not isinstance(body, dict):
        raise error("the request body must be a JSON object")
    return body


def text_field(request: Request, name: str, max_chars: int, error: type[ValueError], label: str = "") -> str:
    """A required text field of the JSON body, stripped; ``error`` names it (as ``label``) when empty or too long."""
    label = label or f"'{name}'"
    value = str(json_object(request, error).get(name) or "").strip()
    if not value:
        raise error(f"{label} is empty")
    if len(value) > max_chars:
        raise error(f"{label} is longer than {max_chars} characters")
    return value
