"""Checking a notice before it is published."""

from __future__ import annotations

from typing import Any

import pytest

from bot.editor.notices import BadNotice, parse_notice
from bot.store.notices import Notice

TOPICS = {"shipping", "delivery_times", "orders"}
GOOD: dict[str, Any] = {
    "text": "Deliveries to Jeju are delayed 2 days by the storm.",
    "topics": ["shipping", "delivery_times"],
    "starts": "2026-11-24T09:00+09:00",
    "ends": "2026-11-26T18:00+09:00",
}


def test_a_good_notice_is_parsed() -> None:
    assert parse_notice(GOOD, TOPICS, "dara") == Notice(
        # 2026-11-24 00:00 and 2026-11-26 09:00 UTC
        "",
        GOOD["text"],
        "en",
        ["delivery_times", "shipping"],
        1795478400.0,
        1795683600.0,
        "dara",
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"text": ""}, "the notice needs a text of 1 to 500 characters"),
        ({"text": "x" * 501}, "the notice needs a text of 1 to 500 characters"),
        ({"topics": []}, "name at least one topic"),
        ({"topics": ["weather"]}, "unknown topics: weather; known: delivery_times, orders, shipping"),
        ({"starts": "tomorrow"}, "'starts' must be a date and time"),
        ({"ends": "2026-11-26T18:00"}, "'ends' needs a time zone"),
        ({"ends": "2026-11-23T18:00+09:00"}, "the end must be after the start"),
    ],
)
def test_bad_notices_are_refused_with_the_reason(change: dict[str, Any], error: str) -> None:
    with pytest.raises(BadNotice, match=error):
        parse_notice({**GOOD, **change}, TOPICS, "dara")
