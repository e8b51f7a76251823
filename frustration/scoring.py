"""Frustration signals from a message and its conversation, driven by ``data/frustration/<lang>.yml``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "data" / "frustration"
QUOTED = re.compile(r"'[^']{3,}'|\"[^\"]{3,}\"|‘[^’]+’|“[^”]+”")
WORD = re.compile(r"[A-Za-z][A-Za-z']*")
CONTENT_WORD = re.compile(r"[a-z0-9]{3,}")


@dataclass(frozen=True)
class Signal:
    """One reason a turn sounds frustrated."""

    name: str
    reason: str
    weight: float
    abuse: bool = False


@dataclass(frozen=True)
class Lexicon:
    """The compiled signal patterns and thresholds of one language."""

    language: str
    thresholds: dict[str, float]
    signals: dict[str, tuple[Signal, re.Pattern[str]]]
    calm: re.Pattern[str]
    negators: frozenset[str]
    shouting: dict[str, Any]
    punctuation: tuple[Signal, re.Pattern[str]]
    fallback_phrases: tuple[str, ...]
    model_reason: str
    dialogue: dict[str, dict[str, Any]] = field(default_factory=dict)
    # What counts as a word when comparing a question with earlier ones (Korean: Hangul runs too).
    content_word: re.Pattern[str] = CONTENT_WORD

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Reads and compiles a lexicon file."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        signals = {
            name: (
                Signal(name, spec["reason"], float(spec["weight"]), bool(spec.get("abuse", False))),
                _alternatives(spec["patterns"]),
            )
            for name, spec in raw["signals"].items()
        }
        punctuation = raw["punctuation"]
        return cls(
            language=raw["language"],
            thresholds={k: float(v) for k, v in raw["thresholds"].items()},
            signals=signals,
            calm=_alternatives(raw["calm_markers"]),
            negators=frozenset(raw["negators"]),
            shouting=raw["shouting"],
            punctuation=(
                Signal("punctuation", punctuation["reason"], float(punctuation["weight"])),
                re.compile(punctuation["pattern"]),
            ),
            fallback_phrases=tuple(p.lower() for p in raw["fallback_bot_phrases"]),
            model_reason=raw["model_reason"],
            dialogue=raw["dialogue"],
            content_word=re.compile(raw.get("content_word", CONTENT_WORD.pattern)),
        )

    def signal(self, name: str) -> Signal | None:
        """The signal called ``name`` (as stored in parse data), if the lexicon has it."""
        if name in self.signals:
            return self.signals[name][0]
        if name == "shouting":
            return Signal("shouting", self.shouting["reason"], float(self.shouting["weight"]))
        return self.punctuation[0] if name == "punctuation" else None


@lru_cache(maxsize=8)
def lexicon_for(language: str, directory: Path = DEFAULT_DIR) -> Lexicon:
    """The lexicon of a language, loaded once."""
    return Lexicon.load(directory / f"{language}.yml")


def _alternatives(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:\\b{p})" for p in patterns), re.IGNORECASE)


def text_signals(text: str, lexicon: Lexicon) -> list[Signal]:
    """The signals in one message, ignoring quoted text and negated complaint words."""
    unquoted = QUOTED.sub(" ", text)
    found = [signal for signal, pattern in lexicon.signals.values() if _matches(pattern, unquoted, lexicon)]
    if _shouting(unquoted, lexicon.shouting):
        shouting = lexicon.shouting
        found.append(Signal("shouting", shouting["reason"], float(shouting["weight"])))
    punctuation, pattern = lexicon.punctuation
    if pattern.search(unquoted):
        found.append(punctuation)
    if lexicon.calm.search(unquoted):
        found = [s for s in found if s.abuse or (s.weight >= 0.5 and s.name != "complaint")]
    return found


def _matches(pattern: re.Pattern[str], text: str, lexicon: Lexicon) -> bool:
    for match in pattern.finditer(text):
        before = WORD.findall(text[: match.start()].lower())[-2:]
        if not lexicon.negators.intersection(before) or match.group().lower().startswith(tuple(lexicon.negators)):
            return True
    return False


def _shouting(text: str, rule: dict[str, Any]) -> bool:
    words = [w for w in WORD.findall(text) if len(w) >= 3]
    exempt = set(rule["exempt"])
    loud = [w for w in words if w.isupper() and w not in exempt]
    return len(loud) >= int(rule["min_words"]) and len(loud) >= float(rule["min_share"]) * len(words)


def dialogue_signals(text: str, earlier_customer: list[str], earlier_bot: list[str], lexicon: Lexicon) -> list[Signal]:
    """Signals from the conversation so far: a repeated question, repeated misunderstandings."""
    found = []
    repeated = lexicon.dialogue["repeated_question"]
    words = set(lexicon.content_word.findall(text.lower()))
    for earlier in earlier_customer:
        other = set(lexicon.content_word.findall(earlier.lower()))
        if words and other and len(words & other) / len(words | other) >= repeated["min_overlap"]:
            found.append(Signal("repetition", repeated["reason"], float(repeated["weight"])))
            break
    fallbacks = lexicon.dialogue["repeated_fallback"]
    misunderstood = sum(any(p in turn.lower() for p in lexicon.fallback_phrases) for turn in earlier_bot)
    if misunderstood >= fallbacks["min_fallbacks"]:
        found.append(Signal("going_in_circles", fallbacks["reason"], float(fallbacks["weight"])))
    return found


@dataclass(frozen=True)
class TurnScore:
    """How frustrated one turn sounds, and why."""

    score: float
    signals: tuple[Signal, ...]

    @property
    def abuse(self) -> bool:
        """True when the turn insults someone."""
        return any(s.abuse for s in self.signals)

    @property
    def reasons(self) -> list[str]:
        """The reasons in plain words, strongest first."""
        return [s.reason for s in sorted(self.signals, key=lambda s: -s.weight)]

    def as_dict(self) -> dict[str, Any]:
        """The score as stored in parse data and slots."""
        return {
            "score": self.score,
            "signals": sorted({s.name for s in self.signals}),
            "reasons": self.reasons,
            "abuse": self.abuse,
        }


def score_turn(signals: list[Signal], model_probability: float = 0.0, model_reason: str = "") -> TurnScore:
    """The higher of the learned probability and the signals' sum (each kind once), at most 1."""
    unique = {s.name: s for s in sorted(signals, key=lambda s: s.weight)}
    lexicon_score = min(1.0, round(sum(s.weight for s in unique.values()), 3))
    if model_probability > lexicon_score and model_reason:
        unique.setdefault("model", Signal("model", model_reason, 0.0))
    return TurnScore(round(max(lexicon_score, model_probability), 3), tuple(unique.values()))


def conversation_score(previous: float, turn: TurnScore, lexicon: Lexicon) -> float:
    """Rises with each frustrated turn and decays slowly over calm ones."""
    if turn.score >= lexicon.thresholds["turn"]:
        return round(previous + turn.score, 3)
    return round(max(0.0, previous - lexicon.thresholds["decay_per_calm_turn"]) + turn.score / 2, 3)
