"""How well the live phrasings answer FAQs added since the last training, and what they take from the rest.

Simulates editors adding FAQs. The FAQs are split into folds; for each fold, the model is taken
to be trained on the phrasings of the other FAQs, and the fold's phrasings become live phrasings
(``addons/live_phrasings.py``). Every case of the calibration split (``scripts.calibrate_oos``) is
then matched as the served model would, for each similarity threshold and margin over the nearest
trained phrasing:
- new-FAQ recall: held-out phrasings of the fold's FAQs answered with their FAQ (without the live
  phrasings it is 0: the trained model does not know the new FAQ);
- existing captured: other in-scope cases (trained FAQs and core intents) taken by a new FAQ;
- out-of-scope captured: team-written out-of-scope messages taken by a new FAQ.

The pair is chosen on the validation half: the best new-FAQ recall among those whose two captured
rates are both at most 1 %. Each fold adds several FAQs at once, so the captured rates are higher
than after an editor's single new FAQ. Writes results/live_phrasings.json.

Usage: python -m scripts.evaluate_live_phrasings [--folds 10]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import yaml

from addons.linear_classifiers import FaqClassifier, for_language
from addons.live_phrasings import LiveMatch, LivePhrasings, MemoizedEncoder, PhrasingIndex
from addons.sentence_featurizer import encoder_for
from knowledge import Faq, KnowledgeBase
from scripts.calibrate_oos import ROOT, Case, splits

# Up to 0.98: multilingual-e5 (Korean) puts even unrelated sentences above 0.8.
THRESHOLDS = [round(0.5 + 0.05 * i, 2) for i in range(9)] + [0.92, 0.94, 0.96, 0.98]
MARGINS = [0.0, 0.03, 0.05, 0.1]
MAX_CAPTURED = 0.01
PREFIX = "faq/"
EMBEDDING_WIDTH = 384  # all-MiniLM-L6-v2 and multilingual-e5-small alike


@dataclass(frozen=True)
class Outcome:
    """One case in one fold: the nearest new phrasing's FAQ, its similarity and the nearest trained one's."""

    case: Case
    is_new: bool
    match: LiveMatch


def folds(faqs: list[Faq], count: int) -> list[set[str]]:
    """FAQ ids in ``count`` folds, assigned by a hash of the id so the folds do not follow the topics."""
    ordered = sorted(faqs, key=lambda f: hashlib.sha256(f.id.encode()).hexdigest())
    return [{f.id for f in ordered[i::count]} for i in range(count)]


def fold_outcomes(
    base: KnowledgeBase, language: str, new: set[str], cases: list[Case], vectors: MemoizedEncoder
) -> list[Outcome]:
    """Leaves the ``new`` FAQs out of the trained phrasings, serves them live, and matches every case."""
    trained = [(p, PREFIX + f.id) for f in base.faqs(language) if f.id not in new for p in f.phrasings]
    index = PhrasingIndex(
        tuple(t for t, _ in trained), tuple(label for _, label in trained), vectors([t for t, _ in trained])
    )
    live = LivePhrasings(index, lambda: base, language, "faq", vectors, threshold=-1.0, margin=-2.0)
    live.refresh()
    outcomes = []
    for case, vector in zip(cases, vectors([c.text for c in cases]), strict=True):
        match = live.match(vector)
        assert match is not None, "with no threshold and no margin there is always a nearest new phrasing"
        outcomes.append(Outcome(case, case.faq_id in new, match))
    return outcomes


def rates(outcomes: list[Outcome], threshold: float, margin: float) -> dict[str, float]:
    """New-FAQ recall and the two captured rates at one threshold and margin."""

    def share(hits: list[bool]) -> float:
        return round(sum(hits) / len(hits), 4) if hits else 0.0

    new = [o for o in outcomes if o.is_new]
    existing = [o for o in outcomes if not o.is_new and o.case.in_scope]
    out_of_scope = [o for o in outcomes if not o.case.in_scope]
    return {
        "new_faq_recall": share(
            [o.match.passes(threshold, margin) and o.match.label == PREFIX + str(o.case.faq_id) for o in new]
        ),
        "existing_captured": share([o.match.passes(threshold, margin) for o in existing]),
        "out_of_scope_captured": share([o.match.passes(threshold, margin) for o in out_of_scope]),
    }


def choose(outcomes: list[Outcome]) -> tuple[float, float]:
    """The (threshold, margin) with the best new-FAQ recall that takes at most ``MAX_CAPTURED`` of the rest."""
    safe = [
        (result["new_faq_recall"], -threshold, -margin, threshold, margin)
        for threshold in THRESHOLDS
        for margin in MARGINS
        if max((result := rates(outcomes, threshold, margin))["existing_captured"], result["out_of_scope_captured"])
        <= MAX_CAPTURED
    ]
    if not safe:
        return THRESHOLDS[-1], MARGINS[-1]
    *_, threshold, margin = max(safe)
    return threshold, margin


def evaluate(language: str, fold_count: int) -> dict[str, Any]:
    """Runs every fold on both splits; chooses the threshold on validation."""
    base = KnowledgeBase.load(ROOT / "data" / "knowledge")
    vectors = MemoizedEncoder(encoder_for(language).encode, EMBEDDING_WIDTH)
    by_split = splits(language)
    outcomes: dict[str, list[Outcome]] = {name: [] for name in by_split}
    for new in folds(base.faqs(language), fold_count):
        for name, cases in by_split.items():
            outcomes[name] += fold_outcomes(base, language, new, cases, vectors)
    threshold, margin = choose(outcomes["validation"])
    configured = for_language(configured_faq_classifier(), language)
    return {
        "folds": fold_count,
        "chosen": {"threshold": threshold, "margin": margin},
        "configured": {"threshold": configured["live_threshold"], "margin": configured["live_margin"]},
        **{
            name: {f"{t}/{m}": rates(found, t, m) for t in THRESHOLDS for m in MARGINS}
            for name, found in outcomes.items()
        },
    }


def configured_faq_classifier() -> dict[str, Any]:
    """The FaqClassifier's settings in config.yml, over its defaults."""
    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    [entry] = [c for c in pipeline if c["name"].endswith(FaqClassifier.__name__)]
    return {**FaqClassifier.get_default_config(), **entry}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--language", default="en")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)
    result = evaluate(arguments.language, arguments.folds)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "live_phrasings.json").write_text(json.dumps(result, indent=2) + "\n")
    chosen, configured = result["chosen"], result["configured"]
    print(f"folds: {result['folds']}; chosen on validation: {chosen}; in config.yml: {configured}")
    header = ("threshold/margin", "split", "new-FAQ recall", "existing taken", "OOS taken")
    print(f"{header[0]:>16} | {header[1]:<10} | {header[2]:>14} | {header[3]:>14} | {header[4]:>9}")
    for key in result["validation"]:
        for name in ("validation", "test"):
            row = result[name][key]
            print(
                f"{key:>16} | {name:<10} | {row['new_faq_recall']:>14.1%} | "
                f"{row['existing_captured']:>14.1%} | {row['out_of_scope_captured']:>9.1%}"
            )


if __name__ == "__main__":
    main()
