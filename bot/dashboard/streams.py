"""The CSV exports of the feedback store's streams (``RATINGS_STREAM``, ``SESSIONS_STREAM``).

``FeedbackStore.records`` reads a whole range at once; ``records`` reads it a page at a
time, so an export never holds a year of records in memory. An export starts with a UTF-8
byte-order mark: without one, Excel reads a CSV file in the system's code page (CP949 on a
Korean Windows), which garbles Korean comments and ₩.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime

from redis.asyncio import Redis

from bot.dashboard.query import Query
from bot.store.feedback import STORE_TIMEZONE

PAGE = 500
RATING_COLUMNS = ("time", "conversation", "channel", "language", "kind", "part", "faq_id", "score", "agent", "category",
                  "comment")  # fmt: skip
SESSION_COLUMNS = ("time", "started", "conversation", "channel", "language", "answered", "handoff", "contained")
TIME_COLUMNS = {"time": "ts", "started": "started"}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Encoded as UTF-8 (EF BB BF), it tells Excel the file is UTF-8.
BYTE_ORDER_MARK = "\ufeff"

Record = dict[str, str]


async def records(redis: Redis, stream: str, query: Query) -> AsyncIterator[Record]:
    """Every record of the range in a stream that passes the filters, oldest first, read a page at a time."""
    oldest, newest = query.stream_ids()
    while True:
        entries = await redis.xrange(stream, min=oldest, max=newest, count=PAGE)
        for _, values in entries:
            record = _decoded(values)
            if query.keeps(record):
                yield record
        if len(entries) < PAGE:
            return
        oldest = "(" + entries[-1][0].decode()


def csv_start(columns: tuple[str, ...]) -> str:
    """An export's first chunk: the byte-order mark, then the header line."""
    return BYTE_ORDER_MARK + csv_text([], columns, header=True)


def csv_text(rows: Iterable[Mapping[str, str]], columns: tuple[str, ...], header: bool) -> str:
    """Records as CSV lines (with a header line if asked), quoted by the csv module and safe to open."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(_cell(row, column)) for column in columns])
    return buffer.getvalue()


def safe_cell(value: str) -> str:
    """The value, with a leading ' if a spreadsheet would otherwise run it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def local_time(ts: str) -> str:
    """A stored timestamp as store-local ISO 8601 time."""
    return datetime.fromtimestamp(float(ts), STORE_TIMEZONE).isoformat(timespec="seconds")


def _cell(row: Mapping[str, str], column: str) -> str:
    if column in TIME_COLUMNS:
        stored = row.get(TIME_COLUMNS[column])
        return local_time(stored) if stored else ""
    return row.get(column, "")


def _decoded(values: Mapping[bytes, bytes]) -> Record:
    return {key.decode(): value.decode() for key, value in values.items()}
