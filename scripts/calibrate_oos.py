"""Chooses the out-of-scope threshold and margin on a validation split, then reports the test split.

Cases: the held-out phrasings (tests/nlu/core_held_out.yml and the FAQs' ``held_out``) split in
two halves deterministically, plus the team-written out-of-scope messages of
tests/data/nlu/out_of_scope_{validation,test}.yml. The trained model parses each message once;
the rule is then replayed on its ranking (before the FallbackClassifier) for every candidate:
a message is rejected when its best intent is ``out_of_scope``, its confidence is below the
threshold, or it leads the runner-up by less than the margin. Of the pairs that reject at least
MIN_OOS_RECALL of the out-of-scope messages on validation (the goal, 80 %, plus 5 points of
headroom for the test half), the one that answers most in-scope messages right wins; ties go to
the lower threshold and margin, which send fewer customers to the fallback. (Should no pair reach
it, the best balanced accuracy, the mean of answer accuracy and out-of-scope recall, wins.)
Each language is calibrated on its own cases (its fallback settings in config.yml are per language).
Writes results/oos_calibration_<language>.json.

Usage: python -m scripts.calibrate_oos [--model models/maru.tar.gz]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scripts.evaluate_nlu import held_out_cases, language_file, predicted_faq
from support.language import languages

ROOT = Path(__file__).resolve().parent.parent
OOS_DIR = ROOT / "tests" / "data" / "nlu"
OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
THRESHOLDS = [round(0.05 * i, 2) for i in range(19)]
MARGINS = [round(0.05 * i, 2) for i in range(11)]
# Out-of-scope recall the threshold must keep on validation. Most messages are in scope, so
# beyond the goal every customer sent to "did you mean" costs more than an unknown one caught.
MIN_OOS_RECALL = 0.85


@dataclass(frozen=True)
class Case:
    """A message and what the assistant should make of it (``faq`` cases carry the FAQ id)."""

    text: str
    intent: str
    faq_id: str | None = None

    @property
    def in_scope(self) -> bool:
        """Whether the assistant should answer it."""
        return self.intent != OUT_OF_SCOPE


@dataclass(frozen=True)
class Parse:
    """What the model made of a message, before any fallback."""

    ranking: tuple[tuple[str, float], ...]
    faq_id: str | None = None


@dataclass(frozen=True)
class Score:
    """In-scope accuracy (by intent, and by answer: the right FAQ for FAQ questions) and OOS recall."""

    intent_accuracy: float
    answer_accuracy: float
    oos_recall: float
    in_scope: int
    out_of_scope: int

    @property
    def balanced(self) -> float:
        """The mean of answer accuracy and out-of-scope recall: what the calibration maximises."""
        return (self.answer_accuracy + self.oos_recall) / 2


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def split_half(cases: Iterable[Case]) -> tuple[list[Case], list[Case]]:
    """Validation and test halves: alternate through the cases ordered by label and text hash."""
    ordered = sorted(cases, key=lambda c: (c.intent, c.faq_id or "", _digest(c.text)))
    return ordered[0::2], ordered[1::2]


def examples(path: Path) -> list[tuple[str, str]]:
    """(intent, text) of every example in a Rasa NLU file (entity annotations left in the text)."""
    blocks = yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", [])
    return [
        (block["intent"], line[2:].strip())
        for block in blocks
        if "intent" in block
        for line in block["examples"].splitlines()
        if line.startswith("- ")
    ]


def team_out_of_scope(split: str, language: str) -> list[Case]:
    """The team-written out-of-scope messages of one split and language."""
    return [Case(text, intent) for intent, text in examples(language_file(OOS_DIR, f"out_of_scope_{split}", language))]


def splits(language: str) -> dict[str, list[Case]]:
    """The validation and test cases."""
    validation, test = split_half(Case(*case) for case in held_out_cases(language))
    return {
        "validation": validation + team_out_of_scope("validation", language),
        "test": test + team_out_of_scope("test", language),
    }


def to_parse(parsed: dict[str, Any]) -> Parse:
    """The ranking without the fallback's own entry, and the FAQ the classifier picked."""
    ranking = tuple(
        (r["name"], float(r["confidence"])) for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK
    )
    return Parse(ranking, predicted_faq(parsed))


def decide(parse: Parse, threshold: float, margin: float) -> tuple[str, str | None]:
    """The intent the assistant acts on (``out_of_scope`` when rejected) and the FAQ it answers."""
    (best, confidence), runner_up = parse.ranking[0], parse.ranking[1][1] if len(parse.ranking) > 1 else 0.0
    if best == OUT_OF_SCOPE or confidence < threshold or confidence - runner_up < margin:
        return OUT_OF_SCOPE, None
    return best, parse.faq_id if best == "faq" else None


def score(cases: list[Case], parses: list[Parse], threshold: float, margin: float) -> Score:
    """How the rule does on the cases."""
    intent_hits = answer_hits = rejected = 0
    for case, parse in zip(cases, parses, strict=True):
        intent, faq_id = decide(parse, threshold, margin)
        if not case.in_scope:
            rejected += intent == OUT_OF_SCOPE
            continue
        intent_hits += intent == case.intent
        answer_hits += intent == case.intent and faq_id == case.faq_id
    in_scope = sum(c.in_scope for c in cases)
    out_of_scope = len(cases) - in_scope
    return Score(
        round(intent_hits / in_scope, 4),
        round(answer_hits / in_scope, 4),
        round(rejected / out_of_scope, 4),
        in_scope,
        out_of_scope,
    )


def choose(cases: list[Case], parses: list[Parse]) -> tuple[float, float]:
    """The (threshold, margin) answering most in-scope cases right with enough out-of-scope recall.

    Without any such pair, the best balanced accuracy. Ties go to the lowest pair.
    """
    scores = {(t, m): score(cases, parses, t, m) for t in THRESHOLDS for m in MARGINS}
    enough = [pair for pair, s in scores.items() if s.oos_recall >= MIN_OOS_RECALL]
    if enough:
        return max(enough, key=lambda pair: (scores[pair].answer_accuracy, -pair[0], -pair[1]))
    return max(scores, key=lambda pair: (scores[pair].balanced, -pair[0], -pair[1]))


async def parse_all(model: Path, by_split: dict[str, list[Case]]) -> dict[str, list[Parse]]:
    """Parses every case of every split with the trained model."""
    # Imported here: rasa.core pulls in apscheduler's pkg_resources, which the unit tests treat as an error.
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    parses: dict[str, list[Parse]] = {}
    for name, cases in by_split.items():
        parses[name] = [to_parse(await agent.parse_message(case.text)) for case in cases]
    return parses


def calibrate(by_split: dict[str, list[Case]], parses: dict[str, list[Parse]]) -> dict[str, Any]:
    """Chooses on validation; reports both splits, and the rule without any threshold for comparison."""
    threshold, margin = choose(by_split["validation"], parses["validation"])
    result: dict[str, Any] = {"threshold": threshold, "margin": margin}
    for name, cases in by_split.items():
        result[name] = {
            "chosen": vars(score(cases, parses[name], threshold, margin)),
            "out_of_scope_intent_only": vars(score(cases, parses[name], 0.0, 0.0)),
        }
    return result


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", type=Path, default=Path(os.environ.get("MODEL_DIR", ROOT / "models")) / "maru.tar.gz"
    )
    parser.add_argument("--language", help="one language (default: every language of data/languages.yml)")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)
    for language in [arguments.language] if arguments.language else languages().codes:
        by_split = splits(language)
        parses = asyncio.run(parse_all(arguments.model, by_split))
        result = {"language": language, **calibrate(by_split, parses)}
        output = ROOT / "results" / f"oos_calibration_{language}.json"
        output.parent.mkdir(exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
