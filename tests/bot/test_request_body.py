"""JSON from clients: what Python's parser accepts but the gateway can't use is refused as not JSON."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import cast

import pytest
from sanic import Request

from bot.request_body import json_object, parsed_json


class BadBody(ValueError):
    pass


# Found by scripts/fuzz_gateway.py: each of these was a 500 (RecursionError, or UnicodeEncodeError in Redis).
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "the JSON is nested too deeply"),
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "the JSON is nested too deeply"),
        (b'{"text": "\\ud800"}', "a string in the JSON is not Unicode text (a lone surrogate)"),
        (b'{"\\udc80": "key"}', "a string in the JSON is not Unicode text (a lone surrogate)"),
    ],
)
def test_json_that_breaks_the_parser_or_an_encoder_is_refused(raw: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parsed_json(raw)


def test_json_of_any_unicode_text_is_read() -> None:
    raw = b'{"a": ["\\ud83d\\ude00", 1.5, null], "b": "\xed\x95\x9c"}'
    assert parsed_json(raw) == {"a": ["😀", 1.5, None], "b": "한"}


def test_a_body_the_parser_refuses_gets_the_routes_error() -> None:
    request = cast(Request, SimpleNamespace(body=b'{"text": "\\udfff"}'))
    with pytest.raises(BadBody, match=r"^the request body is not JSON$"):
        json_object(request, BadBody)
