"""The dashboard's figures, computed from the feedback store's per-day counters.

Pure functions: the routes read counters, waits and questions from Redis
(``bot.dashboard.reads``) and pass them in. Counter fields are
``<metric>|<channel>|<language>|<key>`` (see ``bot.store.feedback``); a filter of
``"all"`` keeps every channel or language. Rates whose denominator is zero are
``None``, so the page can show "no data" instead of a misleading 0 %.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

ALL = "all"
CSAT_SCORES = ("1", "2", "3")  # 😞 😐 😊
HAPPY = "3"
PROMOTER_MIN, PASSIVE_MIN = 9, 7  # NPS: 9–10 promoters, 7–8 passives, 0–6 detractors

# metric -> key -> count, summed over the channels and languages a filter keeps.
Tally = dict[str, dict[str, int]]


def tally(fields: Mapping[str, int], channel: str, language: str) -> Tally:
    """Counter fields (a day's, or a range's sums), summed over the channels and languages the filter keeps."""
    result: Tally = {}
    for name, count in fields.items():
        metric, field_channel, field_language, key = name.split("|", 3)
        if channel not in (ALL, field_channel) or language not in (ALL, field_language):
            continue
        bucket = result.setdefault(metric, {})
        bucket[key] = bucket.get(key, 0) + count
    return result


def daily_tallies(counters: Mapping[str, Mapping[str, int]], channel: str, language: str) -> dict[str, Tally]:
    """``tally`` of each day's counter fields, keyed by YYYY-MM-DD."""
    return {day: tally(fields, channel, language) for day, fields in counters.items()}


def dimensions(fields: Iterable[str]) -> tuple[set[str], set[str]]:
    """The channels and languages named in counter fields."""
    channels, languages = set(), set()
    for name in fields:
        _, channel, language, _ = name.split("|", 3)
        channels.add(channel)
        languages.add(language)
    return channels, languages


def share(part: int, whole: int) -> float | None:
    """The fraction part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Csat:
    """End-of-chat ratings: how many of each face, and the share of 😊."""

    ratings: int
    counts: dict[str, int]
    share: float | None


@dataclass(frozen=True)
class DayCsat:
    """One day's face counts, for the distribution over time."""

    day: str
    counts: dict[str, int]


@dataclass(frozen=True)
class AgentCsat:
    """The ratings credited to one agent."""

    agent: str
    ratings: int
    share: float | None


def csat(totals: Tally) -> Csat:
    """CSAT: the share of 😊 (score 3) among all ratings, bot and agent parts together."""
    counts = {score: totals.get("csat", {}).get(score, 0) for score in CSAT_SCORES}
    ratings = sum(counts.values())
    return Csat(ratings, counts, share(counts[HAPPY], ratings))


def csat_daily(daily: Mapping[str, Tally]) -> list[DayCsat]:
    """The face counts of every day in order, days without ratings included (as zeros)."""
    return [DayCsat(day, csat(daily[day]).counts) for day in sorted(daily)]


def csat_by_agent(totals: Tally) -> list[AgentCsat]:
    """Each agent's ratings and share of 😊 (fields ``csat_agent|…|<agent>:<score>``), most rated first."""
    per_agent: dict[str, dict[str, int]] = {}
    for key, count in totals.get("csat_agent", {}).items():
        agent, _, score = key.rpartition(":")
        scores = per_agent.setdefault(agent, {})
        scores[score] = scores.get(score, 0) + count
    rows = [
        AgentCsat(agent, sum(scores.values()), share(scores.get(HAPPY, 0), sum(scores.values())))
        for agent, scores in per_agent.items()
    ]
    return sorted(rows, key=lambda row: (-row.ratings, row.agent))


@dataclass(frozen=True)
class Nps:
    """Net Promoter Score: %promoters − %detractors, from −100 to 100."""

    responses: int
    promoters: int
    passives: int
    detractors: int
    score: float | None


def nps(totals: Tally) -> Nps:
    """Promoters (9–10), passives (7–8), detractors (0–6) and the NPS."""
    promoters = passives = detractors = 0
    for key, count in totals.get("nps", {}).items():
        score = int(key)
        if score >= PROMOTER_MIN:
            promoters += count
        elif score >= PASSIVE_MIN:
            passives += count
        else:
            detractors += count
    responses = promoters + passives + detractors
    net = 100 * (promoters - detractors) / responses if responses else None
    return Nps(responses, promoters, passives, detractors, net)


@dataclass(frozen=True)
class Containment:
    """Sessions the bot solved alone and that did not come back within 24 hours."""

    sessions: int
    contained: int
    reopened: int
    rate: float | None


def containment(totals: Tally) -> Containment:
    """The share contained / sessions; the store has already moved reopened sessions out of ``contained``."""
    sessions = totals.get("sessions", {}).get(ALL, 0)
    contained = totals.get("contained", {}).get(ALL, 0)
    reopened = totals.get("reopened", {}).get(ALL, 0)
    return Containment(sessions, contained, reopened, share(contained, sessions))


@dataclass(frozen=True)
class ReasonRate:
    """Handoffs for one reason, and their share of all sessions."""

    reason: str
    count: int
    rate: float | None


@dataclass(frozen=True)
class Handoffs:
    """Chats handed to people, in all and by reason (most frequent first)."""

    total: int
    rate: float | None
    by_reason: list[ReasonRate]


def handoffs(totals: Tally) -> Handoffs:
    """Handoff rate by reason: handoffs per reason / sessions."""
    sessions = totals.get("sessions", {}).get(ALL, 0)
    by_reason = [ReasonRate(reason, count, share(count, sessions)) for reason, count in ranked(totals, "handoff")]
    total = sum(row.count for row in by_reason)
    return Handoffs(total, share(total, sessions), by_reason)


@dataclass(frozen=True)
class CheckIns:
    """Next-day check-ins sent after agents' chats, and how customers answered them."""

    sent: int
    sorted: int
    reopened: int
    question: int
    # The share of sent check-ins whose reply put the chat back in the queue.
    reopened_rate: float | None


def check_ins(totals: Tally) -> CheckIns:
    """The check-in counters (``check_in|…|<sent, sorted, reopened, question>``)."""
    counts = totals.get("check_in", {})
    sent, reopened = counts.get("sent", 0), counts.get("reopened", 0)
    return CheckIns(sent, counts.get("sorted", 0), reopened, counts.get("question", 0), share(reopened, sent))


def percentile(values: Iterable[float], percent: int) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``percent`` % of the values at or below it.

    That is the value at rank ⌈percent/100 × n⌉ (1-based) of the sorted values, always one
    of the recorded values, never an interpolation. None when there are no values.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    rank = -(-percent * len(ordered) // 100)  # ceiling in integers: no floating-point surprises
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True)
class Waits:
    """Queue waits in seconds: how many, the median and the 90th percentile (nearest rank)."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None


def waits(values: list[float]) -> Waits:
    """Median and p90 of the queue waits (``FeedbackStore.waits``)."""
    return Waits(len(values), percentile(values, 50), percentile(values, 90))


@dataclass(frozen=True)
class FaqScore:
    """Thumbs on one FAQ's answer."""

    faq_id: str
    up: int
    down: int
    volume: int
    ratio: float


def faq_helpfulness(totals: Tally) -> list[FaqScore]:
    """Per FAQ: up, down, ratio up/(up+down) and volume; worst first.

    Worst means the lowest ratio; among equal ratios the one more people rated (its
    problem reaches more customers), then by id so the order is stable.
    """
    ups, downs = totals.get("thumbs_up", {}), totals.get("thumbs_down", {})
    rows = []
    for faq_id in ups.keys() | downs.keys():
        up, down = ups.get(faq_id, 0), downs.get(faq_id, 0)
        if up + down > 0:
            rows.append(FaqScore(faq_id, up, down, up + down, up / (up + down)))
    return sorted(rows, key=lambda row: (row.ratio, -row.volume, row.faq_id))


def ranked(totals: Tally, metric: str) -> list[tuple[str, int]]:
    """A metric's keys with their counts, most frequent first (frustration signals, comment categories…)."""
    counts = [(key, count) for key, count in totals.get(metric, {}).items() if count > 0]
    return sorted(counts, key=lambda item: (-item[1], item[0]))


def figures(totals: Tally, daily: Mapping[str, Tally], wait_values: list[float]) -> dict[str, Any]:
    """Every figure of a range (its totals, its days' CSAT and its queue waits), as JSON-ready data."""
    return {
        "csat": asdict(csat(totals)),
        "csat_daily": [asdict(day) for day in csat_daily(daily)],
        "csat_by_agent": [asdict(row) for row in csat_by_agent(totals)],
        "nps": asdict(nps(totals)),
        "containment": asdict(containment(totals)),
        "handoffs": asdict(handoffs(totals)),
        "check_ins": asdict(check_ins(totals)),
        "queue_wait": asdict(waits(wait_values)),
        "faqs": [asdict(row) for row in faq_helpfulness(totals)],
        "frustration": [{"name": key, "count": count} for key, count in ranked(totals, "frustration")],
        "comment_categories": [{"name": key, "count": count} for key, count in ranked(totals, "comment")],
    }
