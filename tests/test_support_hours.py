"""Support opening hours shared by the gateway and the actions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from support.hours import SUPPORT_FILE, OpeningHours, read_support_file, support_file

ROOT = Path(__file__).resolve().parents[1]
SEOUL = ZoneInfo("Asia/Seoul")


def test_the_shipped_hours_close_evenings_sundays_and_korean_holidays() -> None:
    hours = OpeningHours.from_config(read_support_file())
    assert hours.is_open(datetime(2026, 11, 23, 17, 59, tzinfo=SEOUL))  # Monday
    assert not hours.is_open(datetime(2026, 11, 23, 18, 0, tzinfo=SEOUL))
    assert not hours.is_open(datetime(2026, 11, 29, 11, 0, tzinfo=SEOUL))  # Sunday
    assert not hours.is_open(datetime(2026, 12, 25, 11, 0, tzinfo=SEOUL))  # Christmas, a public holiday
    tuesday_morning = datetime(2026, 11, 24, 9, 0, tzinfo=SEOUL)
    assert hours.next_opening(datetime(2026, 11, 23, 18, 30, tzinfo=SEOUL)) == tuesday_morning


def test_24_00_keeps_support_open_until_midnight() -> None:
    hours = OpeningHours.from_config(read_support_file(ROOT / "tests" / "data" / "support_always_open.yml"))
    assert hours.is_open(datetime(2026, 11, 29, 23, 59, 59, tzinfo=SEOUL))
    assert hours.is_open(datetime(2026, 11, 30, 0, 0, tzinfo=SEOUL))
    assert hours.is_open(datetime(2026, 12, 25, 3, 0, tzinfo=SEOUL))


def test_the_support_file_can_be_chosen_by_the_environment(tmp_path: Path) -> None:
    assert support_file({}) == SUPPORT_FILE
    assert support_file({"SUPPORT_FILE": str(tmp_path / "hours.yml")}) == tmp_path / "hours.yml"


def test_the_next_business_day_ends_at_its_closing_time_after_weekends_and_holidays() -> None:
    hours = OpeningHours.from_config(read_support_file())
    # Monday morning and Monday night alike: Tuesday's close.
    for moment in (datetime(2026, 11, 23, 10, 0, tzinfo=SEOUL), datetime(2026, 11, 23, 23, 30, tzinfo=SEOUL)):
        assert hours.next_business_day_end(moment) == datetime(2026, 11, 24, 18, 0, tzinfo=SEOUL)
    # Friday: Saturday's short hours; Saturday: Monday (Sunday is closed).
    assert hours.next_business_day_end(datetime(2026, 11, 27, 12, 0, tzinfo=SEOUL)) == datetime(
        2026, 11, 28, 14, 0, tzinfo=SEOUL
    )
    assert hours.next_business_day_end(datetime(2026, 11, 28, 12, 0, tzinfo=SEOUL)) == datetime(
        2026, 11, 30, 18, 0, tzinfo=SEOUL
    )
    # Wednesday before Chuseok (24-26 September 2026): the following Monday.
    assert hours.next_business_day_end(datetime(2026, 9, 23, 10, 0, tzinfo=SEOUL)) == datetime(
        2026, 9, 28, 18, 0, tzinfo=SEOUL
    )
    # A moment given in another zone is read in the team's: 23:30 UTC Monday is Tuesday morning in Seoul.
    assert hours.next_business_day_end(datetime(2026, 11, 23, 23, 30, tzinfo=ZoneInfo("UTC"))) == datetime(
        2026, 11, 25, 18, 0, tzinfo=SEOUL
    )
