"""How buttons are laid out as Telegram inline keyboards."""

from __future__ import annotations

from bot.channels.telegram import keyboard_rows


def test_rating_scales_share_a_row_on_telegram() -> None:
    thumbs = [{"title": "👍", "payload": "/rate_answer:m1:up"}, {"title": "👎", "payload": "/rate_answer:m1:down"}]
    other = {"title": "Talk to a person", "payload": "/request_human"}
    assert keyboard_rows([other, *thumbs]) == [[other], thumbs]
    scale = [{"title": str(n), "payload": f"/nps:s1:{n}"} for n in range(11)]
    assert keyboard_rows(scale) == [scale[:6], scale[6:]]
