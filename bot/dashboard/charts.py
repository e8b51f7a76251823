"""The dashboard's charts as SVG, drawn with matplotlib on the server, and each chart in words.

Figures are built with matplotlib's object API (never pyplot, which keeps global
figures) on the Agg backend, with the DejaVu fonts matplotlib ships, so nothing is
downloaded or displayed. Text is written as SVG text (escaped by matplotlib), which
keeps charts small and lets the browser's fonts show any script. The texts (``TEXTS``)
are the charts' alternatives for people who cannot see them: the same numbers, from the
same figures.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Mapping
from datetime import date

from bot.dashboard import metrics
from bot.dashboard.metrics import DayCsat, FaqScore, Handoffs, Nps, Tally

with warnings.catch_warnings():
    # matplotlib 3.5 (pinned through Rasa) calls pyparsing names that pyparsing 3.3 deprecates, once, on import.
    warnings.simplefilter("ignore", DeprecationWarning)
    import matplotlib
    from matplotlib.axes import Axes
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

# No display: if anything ever asks for a canvas, it gets the image-only one.
matplotlib.use("Agg")
matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 9,
        "svg.fonttype": "none",
        "svg.hashsalt": "maru-dashboard",  # stable element ids: the same data gives the same file
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)
SIZE = (6.4, 3.0)  # inches; SVG sizes are in points, so the image has a natural size
UNHAPPY, NEUTRAL, HAPPY, GREY = "#c0392b", "#f0b429", "#2e8b57", "#8a9a96"
CSAT_COLOURS = {"1": UNHAPPY, "2": NEUTRAL, "3": HAPPY}
CSAT_NAMES = {"1": "unhappy", "2": "neutral", "3": "happy"}
BAR = 0.4  # half a day bar's width
WORST_FAQS = 10
MAX_DATE_LABELS = 8
EMPTY = "No data for these filters"


def csat_chart(days: list[DayCsat]) -> bytes:
    """Faces per day, stacked: the emoji distribution over time."""
    figure, axes = _figure("CSAT: ratings per day")
    if not any(sum(day.counts.values()) for day in days):
        return _empty(figure, axes)
    bottoms = [0] * len(days)
    for score in metrics.CSAT_SCORES:
        # One collection per face instead of a bar artist per day: a quarter of the time for 90 days.
        rectangles = []
        for position, day in enumerate(days):
            low, high = bottoms[position], bottoms[position] + day.counts[score]
            rectangles.append(
                [(position - BAR, low), (position + BAR, low), (position + BAR, high), (position - BAR, high)]
            )
            bottoms[position] = high
        axes.add_collection(PolyCollection(rectangles, facecolors=CSAT_COLOURS[score], label=CSAT_NAMES[score]))
    axes.autoscale_view()
    positions = list(range(len(days)))
    step = max(1, -(-len(days) // MAX_DATE_LABELS))
    axes.set_xticks(positions[::step])
    axes.set_xticklabels([_day_label(day.day) for day in days[::step]])
    axes.set_ylabel("ratings")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(axes, columns=3)
    return _svg(figure)


def nps_chart(nps: Nps) -> bytes:
    """Promoters, passives and detractors, with the NPS in the title."""
    title = "NPS" if nps.score is None else f"NPS {nps.score:+.0f} ({nps.responses} answers)"
    figure, axes = _figure(title)
    if not nps.responses:
        return _empty(figure, axes)
    groups = [("detractors 0–6", nps.detractors, UNHAPPY), ("passives 7–8", nps.passives, NEUTRAL),
              ("promoters 9–10", nps.promoters, HAPPY)]  # fmt: skip
    _horizontal_bars(axes, [(name, count, colour, str(count)) for name, count, colour in groups])
    axes.set_xlabel("answers")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _svg(figure)


def handoffs_chart(handoffs: Handoffs) -> bytes:
    """Handoff rate by reason, as a share of all sessions; the counts alone until a session has closed."""
    rows = list(reversed(handoffs.by_reason))
    if handoffs.rate is None:
        figure, axes = _figure("Handoffs by reason")
        if not rows:
            return _empty(figure, axes)
        _horizontal_bars(axes, [(row.reason, row.count, GREY, str(row.count)) for row in rows])
        axes.set_xlabel("handoffs (no session closed yet to share them by)")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        return _svg(figure)
    figure, axes = _figure("Handoffs by reason (% of sessions)")
    bars = [(row.reason, 100 * (row.rate or 0), GREY, f"{row.rate or 0:.1%} ({row.count})") for row in rows]
    _horizontal_bars(axes, bars)
    axes.set_xlabel("% of sessions (in brackets: handoffs)")
    return _svg(figure)


def faqs_chart(faqs: list[FaqScore]) -> bytes:
    """The worst rated FAQs: thumbs up and down side by side, ratio as the label."""
    figure, axes = _figure(f"Least helpful answers (worst {WORST_FAQS})")
    worst = faqs[:WORST_FAQS]
    if not worst:
        return _empty(figure, axes)
    labels = [_plain(row.faq_id) for row in reversed(worst)]
    positions = list(range(len(labels)))
    downs = [row.down for row in reversed(worst)]
    ups = [row.up for row in reversed(worst)]
    axes.barh(positions, downs, color=UNHAPPY, label="thumbs down")
    axes.barh(positions, ups, left=downs, color=HAPPY, label="thumbs up")
    for position, row in zip(positions, reversed(worst), strict=True):
        axes.text(row.volume, position, f" {row.ratio:.0%}", va="center")
    axes.set_yticks(positions)
    axes.set_yticklabels(labels)
    axes.margins(x=0.1)
    axes.set_xlabel("ratings (label: share of thumbs up)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(axes, columns=2)
    return _svg(figure)


# Each chart from a range's totals and its days' tallies.
CHARTS: dict[str, Callable[[Tally, Mapping[str, Tally]], bytes]] = {
    "csat": lambda _, daily: csat_chart(metrics.csat_daily(daily)),
    "nps": lambda totals, _: nps_chart(metrics.nps(totals)),
    "handoffs": lambda totals, _: handoffs_chart(metrics.handoffs(totals)),
    "faqs": lambda totals, _: faqs_chart(metrics.faq_helpfulness(totals)),
}


def csat_text(days: list[DayCsat]) -> str:
    """The CSAT chart in words: the range's ratings by face (each day's are in the page's table)."""
    rated = [day for day in days if sum(day.counts.values())]
    if not rated:
        return f"CSAT ratings per day: {EMPTY.lower()}."
    faces = {score: sum(day.counts[score] for day in days) for score in metrics.CSAT_SCORES}
    by_face = ", ".join(f"{faces[score]} {CSAT_NAMES[score]}" for score in reversed(metrics.CSAT_SCORES))
    span = f"{_day_label(days[0].day)} to {_day_label(days[-1].day)}"
    ratings = _count(sum(faces.values()), "rating")
    return f"CSAT ratings per day, {span}: {ratings} on {_count(len(rated), 'day')} ({by_face})."


def nps_text(nps: Nps) -> str:
    """The NPS chart in words."""
    if not nps.responses or nps.score is None:
        return f"NPS: {EMPTY.lower()}."
    return (
        f"NPS {nps.score:+.0f} from {_count(nps.responses, 'answer')}: {_count(nps.promoters, 'promoter')} (9–10), "
        f"{_count(nps.passives, 'passive')} (7–8), {_count(nps.detractors, 'detractor')} (0–6)."
    )


def handoffs_text(handoffs: Handoffs) -> str:
    """The handoffs chart in words: each reason's share of sessions and count, most frequent first."""
    rows = handoffs.by_reason
    if not rows:
        return f"Handoffs by reason: {EMPTY.lower()}."
    if handoffs.rate is None:
        counts = "; ".join(f"{row.reason} {_count(row.count, 'handoff')}" for row in rows)
        return f"Handoffs by reason: {counts} (no session closed yet to share them by)."
    reasons = "; ".join(f"{row.reason} {row.rate or 0:.1%} ({_count(row.count, 'handoff')})" for row in rows)
    return f"Handoffs by reason, as a share of sessions: {reasons}."


def faqs_text(faqs: list[FaqScore]) -> str:
    """The FAQ chart in words: the worst answers with their thumbs, worst first."""
    worst = faqs[:WORST_FAQS]
    if not worst:
        return f"Least helpful answers: {EMPTY.lower()}."
    answers = "; ".join(f"{row.faq_id} {row.ratio:.0%} helpful ({row.up} up, {row.down} down)" for row in worst)
    return f"Least helpful answers, worst {len(worst)} of {len(faqs)}: {answers}."


# Each chart's text alternative, from the same totals and tallies as the chart.
TEXTS: dict[str, Callable[[Tally, Mapping[str, Tally]], str]] = {
    "csat": lambda _, daily: csat_text(metrics.csat_daily(daily)),
    "nps": lambda totals, _: nps_text(metrics.nps(totals)),
    "handoffs": lambda totals, _: handoffs_text(metrics.handoffs(totals)),
    "faqs": lambda totals, _: faqs_text(metrics.faq_helpfulness(totals)),
}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.add_subplot()
    # The figure's title, not the plot's: the layout keeps it above a legend over the plot, never under it.
    figure.suptitle(_plain(title), x=0.01, ha="left", fontsize=11)
    return figure, axes


def _horizontal_bars(axes: Axes, bars: list[tuple[str, float, str, str]]) -> None:
    """One bar per (label, value, colour, annotation), bottom to top."""
    positions = list(range(len(bars)))
    axes.barh(positions, [value for _, value, _, _ in bars], color=[colour for _, _, colour, _ in bars])
    for position, (_, value, _, annotation) in zip(positions, bars, strict=True):
        axes.text(value, position, f" {annotation}", va="center")
    axes.set_yticks(positions)
    axes.set_yticklabels([_plain(label) for label, _, _, _ in bars])
    axes.margins(x=0.12)


def _legend(axes: Axes, columns: int) -> None:
    """The legend above the plot, under the title, where it never hides a bar."""
    axes.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=columns, frameon=False, borderaxespad=0.2)


def _empty(figure: Figure, axes: Axes) -> bytes:
    axes.set_axis_off()
    axes.text(0.5, 0.5, EMPTY, ha="center", va="center", transform=axes.transAxes, color=GREY)
    return _svg(figure)


def _svg(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _day_label(day: str) -> str:
    return date.fromisoformat(day).strftime("%-d %b")


def _plain(text: str) -> str:
    """Text with its dollar signs escaped, so matplotlib never reads it as math."""
    return text.replace("$", r"\$")
