"""The dashboard's request filters, its paged stream reads (latest comments, exports) and safe CSV cells."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, time

import fakeredis
import pytest
from redis.asyncio import Redis

from bot.dashboard import streams
from bot.dashboard.query import MAX_DAYS, Query, QueryError, parse_query
from bot.store.feedback import SESSIONS_STREAM, STORE_TIMEZONE

TODAY = date(2026, 11, 18)
LANGUAGES = ["en"]


def query(start: date = TODAY, end: date = TODAY, channel: str = "all", language: str = "all") -> Query:
    return Query(start, end, channel, language)


def test_defaults_are_the_last_30_days_everywhere() -> None:
    parsed = parse_query({}, TODAY, LANGUAGES)
    assert parsed == Query(date(2026, 10, 20), TODAY, "all", "all")
    assert len(parsed.days) == 30
    assert parsed.describe() == {"from": "2026-10-20", "to": "2026-11-18", "days": 30, "channel": "all",
                                 "language": "all"}  # fmt: skip


def test_from_alone_runs_to_today_and_to_alone_looks_back_30_days() -> None:
    assert parse_query({"from": "2026-11-01"}, TODAY, LANGUAGES).start == date(2026, 11, 1)
    assert parse_query({"to": "2026-01-31", "channel": "telegram", "language": "en"}, TODAY, LANGUAGES) == Query(
        date(2026, 1, 2), date(2026, 1, 31), "telegram", "en"
    )


def test_a_range_of_366_days_is_the_longest() -> None:
    parsed = parse_query({"from": "2025-11-18", "to": "2026-11-18"}, TODAY, LANGUAGES)
    assert len(parsed.days) == MAX_DAYS
    with pytest.raises(QueryError, match="the range has 367 days; at most 366"):
        parse_query({"from": "2025-11-17", "to": "2026-11-18"}, TODAY, LANGUAGES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"from": "2026-02-30"}, "'from' must be a date written YYYY-MM-DD, not '2026-02-30'"),
        ({"to": "18/11/2026"}, "'to' must be a date written YYYY-MM-DD"),
        ({"from": "2026-1-5"}, "'from' must be a date"),
        ({"from": "x" * 500}, "not '" + "x" * 40 + "'$"),
        ({"from": "2026-11-19", "to": "2026-11-18"}, "'from' is after 'to'"),
        # Found by scripts/fuzz_gateway.py: these overflowed the date arithmetic (a 500).
        ({"to": "0001-01-05"}, "'to' must be a day from 2000-01-01 to 9999-12-30, not '0001-01-05'"),
        ({"from": "9999-12-31"}, "'from' must be a day from 2000-01-01 to 9999-12-30, not '9999-12-31'"),
        ({"channel": "fax"}, "unknown channel 'fax'; use one of: all, web, telegram"),
        ({"language": "ko"}, "unknown language 'ko'; use one of: all, en"),
    ],
)
def test_bad_filters_are_refused_with_a_clear_message(args: dict[str, str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_query(args, TODAY, LANGUAGES)


def test_bounds_are_store_local_midnights() -> None:
    start, end = query(date(2026, 11, 16), date(2026, 11, 17)).bounds()
    assert start == datetime.combine(date(2026, 11, 16), time(), STORE_TIMEZONE).timestamp()
    assert end - start == 2 * 24 * 3600
    assert query(date(2026, 11, 16), date(2026, 11, 17)).stream_ids() == (
        str(int(start * 1000)),
        str(int(end * 1000) - 1),
    )


def test_keeps_filters_records_by_channel_and_language() -> None:
    record = {"channel": "web", "language": "en"}
    assert query().keeps(record)
    assert query(channel="web", language="en").keeps(record)
    assert not query(channel="telegram").keeps(record)
    assert not query(language="ko").keeps(record)


@pytest.fixture
async def redis() -> AsyncIterator[fakeredis.FakeAsyncRedis]:
    client = fakeredis.FakeAsyncRedis()
    yield client
    await client.close()


def at(hour: int, day: date = TODAY) -> float:
    return datetime.combine(day, time(hour), STORE_TIMEZONE).timestamp()


async def add(redis: Redis, stream: str, ts: float, sequence: int, **fields: str) -> None:
    """A record whose stream id is its own time, as when the store writes it."""
    record = {"ts": repr(ts), "conversation": "web-1", "channel": "web", "language": "en", **fields}
    await redis.xadd(stream, record, id=f"{int(ts * 1000)}-{sequence}")


async def test_records_are_read_in_pages_oldest_first(
    redis: fakeredis.FakeAsyncRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(streams, "PAGE", 4)
    for n in range(10):
        await add(redis, SESSIONS_STREAM, at(9), n, started=repr(at(8)), contained="1", conversation=f"web-{n}")
    await add(redis, SESSIONS_STREAM, at(10), 0, started=repr(at(9)), channel="telegram", conversation="tg")
    read = [record["conversation"] async for record in streams.records(redis, SESSIONS_STREAM, query(channel="web"))]
    assert read == [f"web-{n}" for n in range(10)]


def test_csv_is_quoted_by_the_csv_module_with_local_times() -> None:
    row = {"ts": repr(at(9)), "conversation": "web-1", "kind": "comment", "comment": 'He said "hi",\nthen left'}
    text = streams.csv_text([row], streams.RATING_COLUMNS, header=True)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert parsed[0]["time"] == "2026-11-18T09:00:00+09:00"
    assert parsed[0]["comment"] == 'He said "hi",\nthen left'
    assert parsed[0]["faq_id"] == ""


def excel_decode(data: bytes) -> str:
    """A CSV file's bytes as Excel on a Korean Windows reads them.

    Excel sniffs the byte-order mark: UTF-8 after EF BB BF, else the system code page (CP949),
    showing what does not decode there as garbage rather than refusing the file.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    return data.decode("cp949", errors="replace")


KOREAN_COMMENT = "상자가 찌그러져 왔어요. 배송비 ₩3,000은 돌려주세요"


def test_an_export_with_korean_comments_and_won_amounts_opens_in_korean_excel_as_written() -> None:
    comment = {"conversation": "web-1", "kind": "comment"}
    rows = [
        {**comment, "ts": repr(at(9)), "category": "delivery", "comment": KOREAN_COMMENT},
        {**comment, "ts": repr(at(10)), "category": "price", "comment": "=₩50,000 이상 무료"},
    ]
    first_chunk = streams.csv_start(streams.RATING_COLUMNS)
    assert first_chunk == "\ufefftime,conversation,channel,language,kind,part,faq_id,score,agent,category,comment\r\n"
    sent = (first_chunk + streams.csv_text(rows, streams.RATING_COLUMNS, header=False)).encode("utf-8")
    assert sent.startswith(b"\xef\xbb\xbftime,")

    opened = list(csv.DictReader(io.StringIO(excel_decode(sent))))
    assert [(row["time"], row["category"], row["comment"]) for row in opened] == [
        ("2026-11-18T09:00:00+09:00", "delivery", KOREAN_COMMENT),
        ("2026-11-18T10:00:00+09:00", "price", "'=₩50,000 이상 무료"),  # still defused
    ]
    # The same bytes without the mark: Excel reads them as CP949 and the text is lost.
    garbled = excel_decode(sent.removeprefix(b"\xef\xbb\xbf"))
    assert KOREAN_COMMENT not in garbled
    assert "₩" not in garbled
    assert "상자" not in garbled


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("fine = good", "fine = good"),
        ("", ""),
    ],
)
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(value: str, safe: str) -> None:
    assert streams.safe_cell(value) == safe
    text = streams.csv_text([{"comment": value}], ("comment",), header=False)
    assert next(csv.reader(io.StringIO(text))) == [safe]
