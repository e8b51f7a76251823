import pytest

from bot.redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 please", "card [card] please"),
        ("4111-1111-1111-1111", "[card]"),
        ("order 10421 and 1234 5678 9012 3456", "order 10421 and 1234 5678 9012 3456"),  # fails Luhn
        ("write to mina.kim@example.com today", "write to [email] today"),
        ("call me on 010-2345-6789", "call me on [phone]"),
        ("+82 10 2345 6789 works", "[phone] works"),
        ("order #10421 arrived on 2026-11-18", "order #10421 arrived on 2026-11-18"),
        ("<b>hi</b>", "<b>hi</b>"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
