"""The dashboard's SVG charts: well-formed, sized, labelled from the data, escaped, and honest when empty."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bot.dashboard import charts, metrics
from bot.dashboard.metrics import DayCsat, FaqScore, Handoffs, Nps, ReasonRate
from tests.bot.test_metrics import COUNTERS, totals

SVG = "{http://www.w3.org/2000/svg}"


def texts_of(svg: bytes) -> list[str]:
    """Every text the chart shows (matplotlib writes SVG text elements with svg.fonttype none)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("name", sorted(charts.CHARTS))
def test_every_chart_is_an_svg_with_a_natural_size(name: str) -> None:
    svg = charts.CHARTS[name](totals(), metrics.daily_tallies(COUNTERS, "all", "all"))
    root = ET.fromstring(svg)
    assert root.get("width") == "460.8pt"
    assert root.get("height") == "216pt"
    assert charts.EMPTY not in texts_of(svg)


def test_csat_chart_labels_the_days_and_faces() -> None:
    days = [DayCsat("2026-11-16", {"1": 2, "2": 1, "3": 6}), DayCsat("2026-11-17", {"1": 0, "2": 0, "3": 0})]
    shown = texts_of(charts.csat_chart(days))
    assert {"16 Nov", "17 Nov", "unhappy", "neutral", "happy", "CSAT: ratings per day"} <= set(shown)


def test_a_long_range_shows_at_most_eight_date_labels() -> None:
    days = [DayCsat(f"2026-10-{day:02d}", {"1": 1, "2": 1, "3": 1}) for day in range(1, 31)]
    shown = texts_of(charts.csat_chart(days))
    assert sum(label.endswith(" Oct") for label in shown) <= charts.MAX_DATE_LABELS


def test_nps_chart_shows_the_score_and_groups() -> None:
    shown = texts_of(charts.nps_chart(Nps(12, 5, 3, 4, 100 / 12)))
    assert "NPS +8 (12 answers)" in shown
    assert {"detractors 0–6", "passives 7–8", "promoters 9–10", "5", "3", "4"} <= set(shown)


def test_handoffs_chart_shows_rates_and_counts() -> None:
    chart = charts.handoffs_chart(Handoffs(4, 0.4, [ReasonRate("customer_request", 3, 0.3), ReasonRate("x", 1, 0.1)]))
    shown = [text.strip() for text in texts_of(chart)]
    assert {"customer_request", "30.0% (3)", "10.0% (1)"} <= set(shown)


def test_handoffs_before_any_session_closed_are_counted_by_reason() -> None:
    handoffs = Handoffs(2, None, [ReasonRate("customer_request", 2, None)])
    shown = [text.strip() for text in texts_of(charts.handoffs_chart(handoffs))]
    assert {"Handoffs by reason", "customer_request", "2"} <= set(shown)
    assert charts.EMPTY not in shown
    assert charts.handoffs_text(handoffs) == (
        "Handoffs by reason: customer_request 2 handoffs (no session closed yet to share them by)."
    )


def test_a_legend_never_covers_the_title() -> None:
    # Imported after bot.dashboard.charts, which silences matplotlib's import-time deprecation warning.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figures: list[Figure] = []
    draw = charts._svg

    def kept(figure: Figure) -> bytes:
        figures.append(figure)
        return draw(figure)

    faqs = [FaqScore(faq_id, 1, 2, 3, 1 / 3) for faq_id in ("returns_change_of_mind_fee", "account_password_reset")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(charts, "_svg", kept)
        charts.faqs_chart(faqs)
        charts.csat_chart([DayCsat("2026-11-16", {"1": 2, "2": 1, "3": 6})])
    for figure in figures:
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        title, legend = figure._suptitle, figure.axes[0].get_legend()
        assert title is not None
        assert legend is not None
        assert not title.get_window_extent(renderer).overlaps(legend.get_window_extent(renderer))


def test_faq_chart_shows_the_worst_ten_only() -> None:
    faqs = [FaqScore(f"faq_{n:02d}", n, 10 - n, 10, n / 10) for n in range(12)]
    shown = texts_of(charts.faqs_chart(faqs))
    assert "faq_09" in shown
    assert "faq_10" not in shown
    assert "0%" in [text.strip() for text in shown]


def test_labels_from_data_are_escaped_text_never_markup_or_math() -> None:
    hostile = '<script>alert("x")</script> $\\frac{1}{2}$'
    svg = charts.faqs_chart([FaqScore(hostile, 0, 1, 1, 0.0)])
    assert b"<script" not in svg
    assert hostile in texts_of(svg)


@pytest.mark.parametrize(
    "svg",
    [
        charts.csat_chart([DayCsat("2026-11-17", {"1": 0, "2": 0, "3": 0})]),
        charts.nps_chart(Nps(0, 0, 0, 0, None)),
        charts.handoffs_chart(Handoffs(0, None, [])),
        charts.faqs_chart([]),
    ],
)
def test_an_empty_range_says_so(svg: bytes) -> None:
    assert charts.EMPTY in texts_of(svg)


def test_the_same_data_gives_the_same_file() -> None:
    daily = metrics.daily_tallies(COUNTERS, "web", "en")
    assert charts.CHARTS["csat"](totals(), daily) == charts.CHARTS["csat"](totals(), daily)


def test_the_csat_text_gives_the_range_and_the_faces() -> None:
    days = [DayCsat("2026-11-16", {"1": 2, "2": 1, "3": 6}), DayCsat("2026-11-17", {"1": 0, "2": 0, "3": 1})]
    assert charts.csat_text(days) == (
        "CSAT ratings per day, 16 Nov to 17 Nov: 10 ratings on 2 days (7 happy, 1 neutral, 2 unhappy)."
    )
    one = [DayCsat("2026-11-16", {"1": 0, "2": 0, "3": 1}), DayCsat("2026-11-17", {"1": 0, "2": 0, "3": 0})]
    assert charts.csat_text(one) == (
        "CSAT ratings per day, 16 Nov to 17 Nov: 1 rating on 1 day (1 happy, 0 neutral, 0 unhappy)."
    )


def test_the_nps_text_gives_the_score_and_groups() -> None:
    assert charts.nps_text(Nps(12, 5, 3, 4, 100 / 12)) == (
        "NPS +8 from 12 answers: 5 promoters (9–10), 3 passives (7–8), 4 detractors (0–6)."
    )
    assert charts.nps_text(Nps(1, 0, 0, 1, -100.0)) == (
        "NPS -100 from 1 answer: 0 promoters (9–10), 0 passives (7–8), 1 detractor (0–6)."
    )


def test_the_handoffs_text_gives_each_reasons_share_and_count() -> None:
    handoffs = Handoffs(4, 0.4, [ReasonRate("customer_request", 3, 0.3), ReasonRate("frustration", 1, 0.1)])
    assert charts.handoffs_text(handoffs) == (
        "Handoffs by reason, as a share of sessions: "
        "customer_request 30.0% (3 handoffs); frustration 10.0% (1 handoff)."
    )


def test_the_faqs_text_gives_the_worst_ten_with_their_thumbs() -> None:
    faqs = [FaqScore(f"faq_{n:02d}", n, 10 - n, 10, n / 10) for n in range(12)]
    text = charts.faqs_text(faqs)
    assert text.startswith("Least helpful answers, worst 10 of 12: faq_00 0% helpful (0 up, 10 down); faq_01 10%")
    assert text.endswith("faq_09 90% helpful (9 up, 1 down).")
    assert "faq_10" not in text


def test_every_chart_has_a_text_from_the_same_figures() -> None:
    daily = metrics.daily_tallies(COUNTERS, "all", "all")
    assert charts.TEXTS.keys() == charts.CHARTS.keys()
    assert charts.TEXTS["nps"](totals(), daily) == charts.nps_text(metrics.nps(totals()))
    assert charts.TEXTS["csat"](totals(), daily) == charts.csat_text(metrics.csat_daily(daily))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("csat", "CSAT ratings per day: no data for these filters."),
        ("nps", "NPS: no data for these filters."),
        ("handoffs", "Handoffs by reason: no data for these filters."),
        ("faqs", "Least helpful answers: no data for these filters."),
    ],
)
def test_an_empty_range_says_so_in_words(name: str, text: str) -> None:
    assert charts.TEXTS[name]({}, {"2026-11-17": {}}) == text
