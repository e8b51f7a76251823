"""Dates, times and amounts the way each language writes them (data/locale.yml)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from actions.locale import locale_for
from support.locale import write_moment

SEOUL = ZoneInfo("Asia/Seoul")


def test_korean_dates_amounts_and_payment_methods() -> None:
    korean = locale_for("ko")
    assert korean.day(date(2026, 12, 7)) == "12월 7일 (월)"
    assert korean.money(39000) == "39,000원"
    assert korean.payment("kakaopay") == "카카오페이"


def test_english_is_unchanged() -> None:
    english = locale_for("en")
    assert english.day(date(2026, 12, 7)) == "Mon 7 Dec"
    assert english.money(39000) == "₩39,000"


def test_a_moment_is_written_with_its_weekday_in_the_language() -> None:
    opening = datetime(2026, 12, 8, 9, 0, tzinfo=SEOUL)
    assert write_moment(opening, "ko") == "12월 8일 (화) 09:00"
    assert write_moment(opening, "en") == "Tue 8 Dec 09:00"
    assert write_moment(opening, "ja") == "Tue 8 Dec 09:00"
