"""Dashboard figures on a fixed synthetic data set; every expected value is worked out by hand in a comment."""

from __future__ import annotations

import json

import pytest

from bot.dashboard import metrics
from bot.dashboard.metrics import (
    AgentCsat,
    CheckIns,
    Containment,
    Csat,
    DayCsat,
    FaqScore,
    Handoffs,
    Nps,
    ReasonRate,
    Waits,
)

# Three days as FeedbackStore.daily_counters returns them; the 17th had no traffic.
# Day 16's web/en "contained" is already 6 after the store moved one reopened session out.
COUNTERS: dict[str, dict[str, int]] = {
    "2026-11-16": {
        "csat|web|en|1": 1,
        "csat|web|en|2": 1,
        "csat|web|en|3": 4,
        "csat|telegram|en|3": 2,
        "csat|telegram|ko|1": 1,
        "csat_agent|web|en|mina:3": 2,
        "csat_agent|web|en|mina:1": 1,
        "csat_agent|telegram|en|joon:3": 1,
        "nps|web|en|10": 3,
        "nps|web|en|9": 1,
        "nps|web|en|8": 2,
        "nps|web|en|7": 1,
        "nps|web|en|6": 1,
        "nps|web|en|0": 2,
        "nps|telegram|en|10": 1,
        "nps|telegram|en|3": 1,
        "sessions|web|en|all": 10,
        "contained|web|en|all": 6,
        "reopened|web|en|all": 1,
        "sessions|telegram|en|all": 4,
        "contained|telegram|en|all": 2,
        "sessions|telegram|ko|all": 2,
        "contained|telegram|ko|all": 1,
        "handoff|web|en|customer_request": 2,
        "handoff|web|en|frustration": 1,
        "handoff|telegram|en|customer_request": 1,
        "thumbs_up|web|en|shipping_cost": 5,
        "thumbs_down|web|en|shipping_cost": 1,
        "thumbs_up|web|en|refund_time": 1,
        "thumbs_down|web|en|refund_time": 3,
        "thumbs_down|telegram|en|track_order": 2,
        "frustration|web|en|late_order": 2,
        "frustration|web|en|repetition": 1,
        "comment|web|en|delivery": 2,
        "comment|telegram|en|agent": 1,
    },
    "2026-11-17": {},
    "2026-11-18": {
        "csat|web|en|1": 2,
        "csat|web|en|3": 1,
        "sessions|web|en|all": 6,
        "contained|web|en|all": 3,
        "handoff|web|en|negative_feedback": 1,
        "thumbs_up|web|en|return_policy": 2,
        "thumbs_down|web|en|return_policy": 6,
    },
}


def summed(counters: dict[str, dict[str, int]]) -> dict[str, int]:
    """Every field summed over the days, as the dashboard reads a range's totals."""
    fields: dict[str, int] = {}
    for day in counters.values():
        for name, count in day.items():
            fields[name] = fields.get(name, 0) + count
    return fields


def totals(channel: str = "all", language: str = "all") -> metrics.Tally:
    return metrics.tally(summed(COUNTERS), channel, language)


def test_csat_is_the_share_of_happy_faces() -> None:
    # 😞: 1 (web 16th) + 1 (telegram/ko) + 2 (web 18th) = 4;  😐: 1;  😊: 4 + 2 + 1 = 7  → 7 of 12
    assert metrics.csat(totals()) == Csat(12, {"1": 4, "2": 1, "3": 7}, 7 / 12)


@pytest.mark.parametrize(
    ("channel", "language", "expected"),
    [
        # web: 😞 1 + 2 = 3, 😐 1, 😊 4 + 1 = 5  → 5 of 9
        ("web", "all", Csat(9, {"1": 3, "2": 1, "3": 5}, 5 / 9)),
        # telegram/en: two 😊 → 100 %
        ("telegram", "en", Csat(2, {"1": 0, "2": 0, "3": 2}, 1.0)),
        # ko: one 😞 → 0 %
        ("all", "ko", Csat(1, {"1": 1, "2": 0, "3": 0}, 0.0)),
    ],
)
def test_csat_follows_the_filters(channel: str, language: str, expected: Csat) -> None:
    assert metrics.csat(totals(channel, language)) == expected


def test_csat_without_ratings_has_no_share() -> None:
    assert metrics.csat({}) == Csat(0, {"1": 0, "2": 0, "3": 0}, None)


def test_csat_distribution_per_day_includes_empty_days() -> None:
    daily = metrics.daily_tallies(COUNTERS, "all", "all")
    assert metrics.csat_daily(daily) == [
        DayCsat("2026-11-16", {"1": 2, "2": 1, "3": 6}),  # 😞 web + ko, 😐 web, 😊 4 web + 2 telegram
        DayCsat("2026-11-17", {"1": 0, "2": 0, "3": 0}),
        DayCsat("2026-11-18", {"1": 2, "2": 0, "3": 1}),
    ]


def test_agents_get_their_own_csat() -> None:
    # mina: two 😊 and one 😞 → 2 of 3;  joon: one 😊 → 1 of 1; most rated first
    assert metrics.csat_by_agent(totals()) == [AgentCsat("mina", 3, 2 / 3), AgentCsat("joon", 1, 1.0)]


def test_an_agent_name_may_contain_a_colon() -> None:
    assert metrics.csat_by_agent({"csat_agent": {"team:a:3": 1}}) == [AgentCsat("team:a", 1, 1.0)]


def test_nps_counts_promoters_passives_and_detractors() -> None:
    # promoters: web 10×3 + 9×1 = 4, telegram 10×1 → 5;  passives: 8×2 + 7×1 = 3;
    # detractors: web 6×1 + 0×2 = 3, telegram 3×1 → 4;  12 responses;  NPS = 100 × (5 − 4) / 12 = 8.33
    assert metrics.nps(totals()) == Nps(12, 5, 3, 4, 100 / 12)


def test_nps_of_one_channel() -> None:
    # web: 4 promoters, 3 passives, 3 detractors of 10 → 40 % − 30 % = 10
    assert metrics.nps(totals("web")) == Nps(10, 4, 3, 3, 10.0)
    # telegram: one 10, one 3 → 50 % − 50 % = 0
    assert metrics.nps(totals("telegram")) == Nps(2, 1, 0, 1, 0.0)


def test_nps_without_answers_has_no_score() -> None:
    assert metrics.nps({}) == Nps(0, 0, 0, 0, None)


def test_containment_excludes_reopened_sessions() -> None:
    # sessions: 10 + 4 + 2 + 6 = 22;  contained: 6 + 2 + 1 + 3 = 12 (the reopened one already moved out)
    assert metrics.containment(totals()) == Containment(22, 12, 1, 12 / 22)
    # web: 16 sessions, 9 contained → 56.25 %
    assert metrics.containment(totals("web")) == Containment(16, 9, 1, 0.5625)
    assert metrics.containment({}) == Containment(0, 0, 0, None)


def test_handoff_rate_by_reason_is_over_all_sessions() -> None:
    # customer_request 2 + 1 = 3, frustration 1, negative_feedback 1;  5 handoffs of 22 sessions
    assert metrics.handoffs(totals()) == Handoffs(
        5,
        5 / 22,
        [
            ReasonRate("customer_request", 3, 3 / 22),
            ReasonRate("frustration", 1, 1 / 22),  # ties by name
            ReasonRate("negative_feedback", 1, 1 / 22),
        ],
    )


def test_wait_percentiles_use_the_nearest_rank() -> None:
    values = [30.0, 45.0, 60.0, 90.0, 120.0, 600.0, 15.0, 20.0, 240.0, 75.0]
    # sorted: 15 20 30 45 60 75 90 120 240 600;  median rank ⌈0.5 × 10⌉ = 5 → 60;  p90 rank ⌈0.9 × 10⌉ = 9 → 240
    assert metrics.waits(values) == Waits(10, 60.0, 240.0)
    # 1 3 5: median rank ⌈1.5⌉ = 2 → 3;  p90 rank ⌈2.7⌉ = 3 → 5
    assert metrics.waits([5.0, 1.0, 3.0]) == Waits(3, 3.0, 5.0)
    assert metrics.waits([42.0]) == Waits(1, 42.0, 42.0)
    assert metrics.waits([]) == Waits(0, None, None)


def test_percentile_ranks_are_exact_where_floats_are_not() -> None:
    # 0.07 × 100 is 7.000000000000001 in floating point; the 7th percentile of 1..100 is still rank 7
    assert metrics.percentile([float(v) for v in range(1, 101)], 7) == 7.0
    assert metrics.percentile([3.0, 1.0], 100) == 3.0


def test_faqs_worst_first() -> None:
    # track_order 0/2 = 0;  return_policy 2/8 = 0.25 (8 ratings);  refund_time 1/4 = 0.25 (4 ratings);
    # shipping_cost 5/6.  Equal ratios: the one more people rated is worse.
    assert metrics.faq_helpfulness(totals()) == [
        FaqScore("track_order", 0, 2, 2, 0.0),
        FaqScore("return_policy", 2, 6, 8, 0.25),
        FaqScore("refund_time", 1, 3, 4, 0.25),
        FaqScore("shipping_cost", 5, 1, 6, 5 / 6),
    ]


def test_frustration_triggers_and_comment_categories_are_ranked() -> None:
    assert metrics.ranked(totals(), "frustration") == [("late_order", 2), ("repetition", 1)]
    assert metrics.ranked(totals(), "comment") == [("delivery", 2), ("agent", 1)]
    assert metrics.ranked(totals("telegram"), "comment") == [("agent", 1)]


def test_counts_brought_to_zero_are_left_out() -> None:
    assert metrics.ranked({"frustration": {"late_order": 0, "waiting": 1}}, "frustration") == [("waiting", 1)]


def test_dimensions_are_the_channels_and_languages_seen() -> None:
    assert metrics.dimensions(summed(COUNTERS)) == ({"web", "telegram"}, {"en", "ko"})


def test_figures_gather_everything_as_json() -> None:
    daily = metrics.daily_tallies(COUNTERS, "web", "en")
    figures = metrics.figures(totals("web", "en"), daily, [60.0, 30.0])
    assert json.loads(json.dumps(figures)) == figures
    assert figures["csat"] == {"ratings": 9, "counts": {"1": 3, "2": 1, "3": 5}, "share": 5 / 9}
    assert figures["nps"]["score"] == pytest.approx(10.0)
    assert figures["containment"] == {"sessions": 16, "contained": 9, "reopened": 1, "rate": 0.5625}
    assert figures["queue_wait"] == {"count": 2, "median_seconds": 30.0, "p90_seconds": 60.0}
    assert [row["faq_id"] for row in figures["faqs"]] == ["return_policy", "refund_time", "shipping_cost"]
    assert figures["frustration"] == [{"name": "late_order", "count": 2}, {"name": "repetition", "count": 1}]
    assert figures["comment_categories"] == [{"name": "delivery", "count": 2}]
    assert [row["day"] for row in figures["csat_daily"]] == ["2026-11-16", "2026-11-17", "2026-11-18"]


def test_check_ins_count_how_replies_were_read() -> None:
    # 8 sent: 3 sorted, 2 reopened, 1 new question (2 unanswered) → 2 / 8 reopened after the check-in
    counts = {"check_in": {"sent": 8, "sorted": 3, "reopened": 2, "question": 1}}
    assert metrics.check_ins(counts) == CheckIns(8, 3, 2, 1, 0.25)
    assert metrics.check_ins({}) == CheckIns(0, 0, 0, 0, None)
