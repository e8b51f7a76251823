"""The feedback dashboard against the real stack: roles, exact figures, CSV exports and customer text as text."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, expect
from redis.asyncio import Redis

from bot.dashboard import charts
from bot.store.feedback import STORE_TIMEZONE, FeedbackStore, Scope, day_of
from tests.bot.test_dashboard import excel_decode
from tests.integration.axe import violations
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration
PASSWORD = "dashboard-test-password"
# Ratings are written with explicit times on two days long ago that no other test writes to, so the figures
# for those days are exact whatever else the session's stack has seen.
DAY = date.fromisoformat(day_of(time.time())) - timedelta(days=200)
NEXT_DAY = DAY + timedelta(days=1)
RANGE = f"from={DAY.isoformat()}&to={NEXT_DAY.isoformat()}"
RUN = uuid.uuid4().hex[:8]
# Korean and ₩ too: the exports must open in Excel on a Korean Windows as written.
HTML_COMMENT = f"<img src=x onerror=alert(1)> 상자가 찌그러져 왔어요, ₩3,000 돌려주세요 {RUN}"
# The charts' text alternatives for the data set below.
CHART_TEXTS = {
    "csat": f"CSAT ratings per day, {DAY:%-d %b} to {NEXT_DAY:%-d %b}: "
    "7 ratings on 2 days (4 happy, 1 neutral, 2 unhappy).",
    "nps": "NPS +25 from 4 answers: 2 promoters (9–10), 1 passive (7–8), 1 detractor (0–6).",
    "handoffs": "Handoffs by reason, as a share of sessions: "
    "customer_request 25.0% (1 handoff); frustration 25.0% (1 handoff).",
    "faqs": "Least helpful answers, worst 1 of 1: shipping_cost 50% helpful (1 up, 1 down).",
}
FORMULA_COMMENT = f'=HYPERLINK("http://evil.example","{RUN}")'
ROUTES = [
    "/dashboard",
    "/dashboard/static/dashboard.js",
    "/dashboard/static/dashboard.css",
    "/dashboard/api/summary",
    *(f"/dashboard/charts/{name}.svg" for name in charts.CHARTS),
    "/dashboard/export/ratings.csv",
    "/dashboard/export/conversations.csv",
]


def at(day: date, hour: int) -> float:
    return datetime(day.year, day.month, day.day, hour, tzinfo=STORE_TIMEZONE).timestamp()


async def write_feedback(redis_url: str) -> None:
    """A small, hand-counted data set, written the way the gateway writes it."""
    redis = Redis.from_url(redis_url)
    store = FeedbackStore(redis)
    web = Scope(f"web-dash-a-{RUN}", "web", "en", at(DAY, 10))
    telegram = Scope(f"tg-dash-{RUN}", "telegram", "en", at(NEXT_DAY, 15))
    for score in (3, 3, 3, 2, 1, 1):  # 3 of 6 happy → 50 %
        await store.csat(web, "bot", score, agent=None)
    await store.csat(telegram, "agent", 3, agent="mina")  # telegram alone: 1 of 1
    for score in (10, 9, 8, 3):  # 2 promoters, 1 passive, 1 detractor → NPS 25
        await store.nps(web, score)
    # Sessions: a contained one that comes back 2 h later (so it is reopened) and needs a person,
    # a contained one, and one the bot could not answer → 4 sessions, 1 contained, 1 reopened.
    await store.session_ended(web, started=at(DAY, 9), had_handoff=False, answered=True)
    back = Scope(web.conversation, "web", "en", at(DAY, 13))
    await store.session_ended(back, started=at(DAY, 12), had_handoff=True, answered=True)
    await store.session_ended(
        Scope(f"web-dash-b-{RUN}", "web", "en", at(DAY, 11)), started=at(DAY, 10), had_handoff=False, answered=True
    )
    await store.session_ended(telegram, started=at(NEXT_DAY, 14), had_handoff=False, answered=False)
    await store.handoff(back, "customer_request", [])
    await store.handoff(telegram, "frustration", ["late_order"])
    for seconds in (30, 90, 600):  # median 90, p90 600 (nearest rank)
        await store.queue_wait(back, seconds)
    await store.thumb(web, "shipping_cost", up=True, question=None)
    await store.thumb(web, "shipping_cost", up=False, question=f"shipping to jeju <b>{RUN}</b>")
    now = Scope(web.conversation, "web", "en", time.time())
    await store.comment(now, "product", HTML_COMMENT, agent=None)
    await store.comment(now, "other", FORMULA_COMMENT, agent=None)
    await redis.close(close_connection_pool=True)


@pytest.fixture(scope="module")
def dashboard_data(stack: Stack) -> None:
    stack.add_user("dash_editor", "editor", "Dana", PASSWORD)
    stack.add_user("dash_admin", "admin", "Ari", PASSWORD)
    stack.add_user("dash_agent", "agent", "Gus", PASSWORD)
    asyncio.run(write_feedback(stack.redis_url))


@pytest.fixture(scope="module")
def editor(stack: Stack, dashboard_data: None) -> Iterator[httpx.Client]:
    """One signed-in editor for the module: logins are rate-limited per name (10 in 15 minutes)."""
    with logged_in(stack, "dash_editor") as client:
        yield client


@contextmanager
def logged_in(stack: Stack, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        client.post("/console/login", json={"name": name, "password": PASSWORD}).raise_for_status()
        yield client


def test_the_route_list_covers_every_dashboard_route() -> None:
    from bot.app import create_app
    from bot.settings import Secret, Settings

    settings = Settings("redis://127.0.0.1:1/0", "http://127.0.0.1:1", Secret("t"), Secret("s"))
    app = create_app(settings, name="dashboard_route_listing")
    paths = {"/" + route.path for route in app.router.routes if route.path.startswith("dashboard")}
    assert len(paths) == 5  # page, static, summary, charts, exports: each sampled in ROUTES


def test_only_editors_and_admins_open_the_dashboard(stack: Stack, dashboard_data: None) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as anonymous:
        for path in ROUTES:
            assert anonymous.get(path).status_code == 401, path
    with logged_in(stack, "dash_agent") as agent:
        for path in ROUTES:
            assert agent.get(path).status_code == 403, path
    for name in ("dash_editor", "dash_admin"):
        with logged_in(stack, name) as client:
            for path in ROUTES:
                response = client.get(path)
                assert response.status_code == 200, path
                assert response.headers["cache-control"] == "no-store", path


def test_the_summary_shows_the_exact_figures(editor: httpx.Client) -> None:
    summary = editor.get(f"/dashboard/api/summary?{RANGE}").json()
    assert summary["filters"] == {"from": DAY.isoformat(), "to": NEXT_DAY.isoformat(), "days": 2, "channel": "all",
                                  "language": "all"}  # fmt: skip
    assert summary["csat"] == {"ratings": 7, "counts": {"1": 2, "2": 1, "3": 4}, "share": 4 / 7}
    assert [day["counts"] for day in summary["csat_daily"]] == [{"1": 2, "2": 1, "3": 3}, {"1": 0, "2": 0, "3": 1}]
    assert summary["csat_by_agent"] == [{"agent": "mina", "ratings": 1, "share": 1.0}]
    assert summary["nps"] == {"responses": 4, "promoters": 2, "passives": 1, "detractors": 1, "score": 25.0}
    assert summary["containment"] == {"sessions": 4, "contained": 1, "reopened": 1, "rate": 0.25}
    assert summary["handoffs"] == {
        "total": 2,
        "rate": 0.5,
        "by_reason": [
            {"reason": "customer_request", "count": 1, "rate": 0.25},
            {"reason": "frustration", "count": 1, "rate": 0.25},
        ],
    }
    assert summary["queue_wait"] == {"count": 3, "median_seconds": 90.0, "p90_seconds": 600.0}
    shipping = {"faq_id": "shipping_cost", "up": 1, "down": 1, "volume": 2, "ratio": 0.5}
    assert summary["faqs"] == [{**shipping, "question": "How much does shipping cost?"}]
    assert summary["unanswered"] == [{"question": f"shipping to jeju <b>{RUN}</b>", "count": 1}]
    assert summary["frustration"] == [{"name": "late_order", "count": 1}]
    assert summary["chart_texts"] == CHART_TEXTS


def test_the_summary_follows_the_channel_filter(editor: httpx.Client) -> None:
    summary = editor.get(f"/dashboard/api/summary?{RANGE}&channel=telegram&language=en").json()
    assert summary["csat"]["share"] == 1.0
    assert summary["nps"]["responses"] == 0
    assert summary["nps"]["score"] is None
    assert summary["containment"] == {"sessions": 1, "contained": 0, "reopened": 0, "rate": 0.0}
    assert summary["queue_wait"]["count"] == 0
    assert summary["unanswered"] == []


def test_customer_text_comes_back_as_plain_data(editor: httpx.Client) -> None:
    comments = editor.get("/dashboard/api/summary").json()["comments"]
    texts = [comment["comment"] for comment in comments]
    assert HTML_COMMENT in texts
    assert texts.index(FORMULA_COMMENT) < texts.index(HTML_COMMENT)  # newest first


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-02-31", "'from' must be a date written YYYY-MM-DD"),
        ("from=2020-01-01&to=2026-01-01", "at most 366"),
        ("channel=fax", "unknown channel 'fax'"),
        ("language=xx", "unknown language 'xx'"),
    ],
)
def test_bad_filters_get_400_with_the_reason(editor: httpx.Client, query: str, message: str) -> None:
    for path in ("/dashboard/api/summary", "/dashboard/charts/csat.svg", "/dashboard/export/ratings.csv"):
        response = editor.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert message in response.json()["error"]


def test_charts_are_svg_images(editor: httpx.Client) -> None:
    response = editor.get(f"/dashboard/charts/csat.svg?{RANGE}")
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.content.startswith(b"<?xml")
    assert editor.get("/dashboard/charts/pie.svg").status_code == 404


def test_csv_exports(editor: httpx.Client) -> None:
    ratings = editor.get("/dashboard/export/ratings.csv")
    assert ratings.headers["content-type"] == "text/csv; charset=utf-8"
    assert ratings.headers["content-disposition"].startswith('attachment; filename="ratings-')
    assert ratings.content.startswith(b"\xef\xbb\xbftime,conversation,channel,")  # UTF-8 with its byte-order mark
    rows = [row for row in csv.DictReader(io.StringIO(excel_decode(ratings.content))) if RUN in row["conversation"]]
    assert sorted(row["kind"] for row in rows) == ["comment"] * 2 + ["csat"] * 7 + ["nps"] * 4 + ["thumb"] * 2
    comments = {row["category"]: row["comment"] for row in rows if row["kind"] == "comment"}
    assert comments == {"product": HTML_COMMENT, "other": "'" + FORMULA_COMMENT}  # a formula is defused
    assert {row["time"] for row in rows if row["kind"] == "nps"} == {f"{DAY.isoformat()}T10:00:00+09:00"}

    conversations = editor.get("/dashboard/export/conversations.csv?channel=web")
    assert conversations.content.startswith(b"\xef\xbb\xbftime,started,conversation,")
    opened = excel_decode(conversations.content)
    rows = [row for row in csv.DictReader(io.StringIO(opened)) if RUN in row["conversation"]]
    assert [(row["started"][11:16], row["handoff"], row["contained"]) for row in rows] == [
        ("09:00", "0", "1"),
        ("12:00", "1", "0"),
        ("10:00", "0", "1"),
    ]


def test_the_page_shows_figures_charts_and_comments_as_text(
    stack: Stack, dashboard_data: None, browser: Browser, tmp_path: Path
) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    context = browser.new_context()
    page = context.new_page()
    page.on("dialog", record)
    # Signed in through the API: the console's login page sends an editor to its own home page.
    login = context.request.post(
        stack.gateway_url + "/console/login", data={"name": "dash_editor", "password": PASSWORD}
    )
    assert login.ok

    page.goto(f"{stack.gateway_url}/dashboard?{RANGE}")
    expect(page.locator("#csat-share")).to_have_text("57 %", timeout=10_000)  # 4 of 7
    expect(page.locator("#nps-score")).to_have_text("+25")
    expect(page.locator("#containment")).to_have_text("25 %")
    expect(page.locator("#nps-note")).to_have_text("2 promoters · 1 passive · 1 detractor")
    expect(page.locator("#containment-note")).to_have_text(
        re.compile(
            r"^1 of 4 closed sessions · \d+ sessions? still open \(each counts 30 min after its last message\)"
            r" · 1 reopened within 24 h$"
        )
    )
    expect(page.locator("#wait-median")).to_have_text("1 min 30 s")
    expect(page.locator("#unanswered")).to_contain_text(f"shipping to jeju <b>{RUN}</b>")
    assert page.locator("#unanswered b").count() == 0
    charts_shown = page.locator("img.chart")
    expect(charts_shown).to_have_count(len(charts.CHARTS))
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('img.chart')).every(img => img.complete && img.naturalWidth > 0)"
    )
    for name, text in CHART_TEXTS.items():
        expect(page.get_by_role("img", name=text, exact=True)).to_have_id(f"chart-{name}")
    page.get_by_text("CSAT per day as a table").click()
    days = page.get_by_role("table", name="CSAT ratings per day (days with ratings)")
    expect(days.locator("tbody tr")).to_have_text([f"{DAY}2136", f"{NEXT_DAY}0011"])
    expect(page.get_by_role("status")).to_have_text(f"Showing {DAY} to {NEXT_DAY}, all channels, all languages.")

    page.get_by_label("Channel").select_option("telegram")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#csat-share")).to_have_text("100 %")
    assert "channel=telegram" in page.url

    page.goto(stack.gateway_url + "/dashboard")
    expect(page.locator("#comments li").filter(has_text=RUN).first).to_be_visible(timeout=10_000)
    expect(page.locator("#comments")).to_contain_text(HTML_COMMENT)
    assert page.locator("#comments img").count() == 0

    page.goto(f"{stack.gateway_url}/dashboard?channel=fax")
    expect(page.locator("#error")).to_contain_text("unknown channel 'fax'")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert dialogs == []
    context.close()


def test_the_page_passes_axe_with_its_charts_and_tables(stack: Stack, dashboard_data: None, browser: Browser) -> None:
    # The page's CSP refuses axe's script tag: this context bypasses it (the test above runs under it).
    context = browser.new_context(bypass_csp=True)
    assert context.request.post(
        stack.gateway_url + "/console/login", data={"name": "dash_editor", "password": PASSWORD}
    ).ok
    page = context.new_page()
    page.goto(f"{stack.gateway_url}/dashboard?{RANGE}")
    expect(page.locator("#csat-share")).to_have_text("57 %", timeout=10_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('img.chart')).every(img => img.complete && img.naturalWidth > 0)"
    )
    page.get_by_text("CSAT per day as a table").click()
    expect(page.locator("#csat-days tbody tr")).to_have_count(2)
    assert violations(page) == []
    context.close()
