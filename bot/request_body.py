"""The JSON object in a request body, shared by the console, editor and notice APIs."""

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
