"""The conversation's frustration, from the turn scores the NLU stored and what the bot did."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from frustration.scoring import (
    Lexicon,
    Signal,
    TurnScore,
    conversation_score,
    dialogue_signals,
    score_turn,
    text_signals,
)

MISUNDERSTANDING_ACTIONS = ("action_default_ask_affirmation", "action_default_fallback")
# Markers recorded among a turn's bot actions for what the bot said or asked.
LATE_ORDER_REPORTED = "reported:utter_order_status_late"
ASKED_PREFIX = "asked:"


class Level(str, Enum):
    """What the assistant should do about it."""

    CALM = "calm"
    ACKNOWLEDGE = "acknowledge"
    HANDOFF = "handoff"


@dataclass(frozen=True)
class CustomerTurn:
    """One customer message with the text signals the NLU found, and the bot's actions after it."""

    text: str
    signals: tuple[Signal, ...]
    bot_actions: tuple[str, ...] = ()
    nlu_score: float = 0.0


@dataclass(frozen=True)
class Assessment:
    """The conversation's score after the latest turn, and the reasons behind it."""

    score: float
    level: Level
    latest: TurnScore
    reasons: list[str] = field(default_factory=list)


def assess(turns: list[CustomerTurn], lexicon: Lexicon) -> Assessment:
    """Scores the conversation turn by turn, adding repetition and misunderstanding signals."""
    score, latest = 0.0, TurnScore(0.0, ())
    reasons: list[str] = []
    for index, turn in enumerate(turns):
        earlier = turns[:index]
        misunderstood = [
            "did you mean" for t in earlier[-3:] for action in t.bot_actions if action in MISUNDERSTANDING_ACTIONS
        ]
        context = dialogue_signals(turn.text, [t.text for t in earlier[-4:]], misunderstood, lexicon)
        context += _flow_signals(earlier, lexicon)
        latest = score_turn([*turn.signals, *context], turn.nlu_score, lexicon.model_reason)
        score = conversation_score(score, latest, lexicon)
        if latest.score >= lexicon.thresholds["turn"]:
            reasons = latest.reasons + [r for r in reasons if r not in latest.reasons]
    return Assessment(score, _level(score, latest, lexicon), latest, reasons)


def _flow_signals(earlier: list[CustomerTurn], lexicon: Lexicon) -> list[Signal]:
    """A late order the bot reported, and a form asking for the same thing three times."""
    found = []
    actions = [a for t in earlier for a in t.bot_actions]
    if LATE_ORDER_REPORTED in actions:
        found.append(lexicon.signal("late_order"))
    asked = [a for t in earlier[-4:] for a in t.bot_actions if a.startswith(ASKED_PREFIX)]
    circles = lexicon.dialogue["form_loop"]
    if any(asked.count(slot) >= circles["min_asks"] for slot in set(asked)):
        found.append(Signal("going_in_circles", circles["reason"], float(circles["weight"])))
    return [s for s in found if s is not None]


def _level(score: float, latest: TurnScore, lexicon: Lexicon) -> Level:
    if latest.abuse or score >= lexicon.thresholds["handoff"]:
        return Level.HANDOFF
    if score >= lexicon.thresholds["acknowledge"] and latest.score >= lexicon.thresholds["turn"]:
        return Level.ACKNOWLEDGE
    return Level.CALM


def customer_turns(events: list[dict[str, Any]], lexicon: Lexicon) -> list[CustomerTurn]:
    """The customer turns of a tracker's events (as dicts), with the bot's actions after each.

    Button payloads count as turns without text, so they never look like a repeated question.
    """
    turns: list[CustomerTurn] = []
    for event in events:
        if event.get("event") == "user":
            text = str(event.get("text") or "")
            if text.startswith("/"):
                turns.append(CustomerTurn("", ()))
                continue
            scored = (event.get("parse_data") or {}).get("frustration")
            if scored is None:  # not parsed by this pipeline (e.g. a test story): score the text here
                turns.append(CustomerTurn(text, tuple(text_signals(text, lexicon))))
                continue
            signals = tuple(s for s in (lexicon.signal(n) for n in scored.get("signals", [])) if s is not None)
            turns.append(CustomerTurn(text, signals, nlu_score=float(scored.get("score") or 0.0)))
        elif turns and (marker := _bot_marker(event)):
            last = turns[-1]
            turns[-1] = CustomerTurn(last.text, last.signals, (*last.bot_actions, marker), last.nlu_score)
    return turns


def _bot_marker(event: dict[str, Any]) -> str | None:
    """What a bot event adds to its turn: an action name, a reported late order, a slot asked for."""
    if event.get("event") == "action":
        return str(event.get("name"))
    if event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == "utter_order_status_late":
        return LATE_ORDER_REPORTED
    if event.get("event") == "slot" and event.get("name") == "requested_slot" and event.get("value"):
        return f"{ASKED_PREFIX}{event['value']}"
    return None
