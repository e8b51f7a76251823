"""Precision, recall and F1 of frustration detection on the labelled evaluation set.

Trains the turn model on data/frustration/training/<lang>.yml exactly as the pipeline
does (with the language's sentence encoder), then scores the held-out ``test`` half of tests/data/frustration/<lang>.yml
(``--split tune`` for the other half). Prints overall and per-signal figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from addons.sentence_featurizer import Encoder, encoder_for
from frustration.model import TurnModel, training_turns
from frustration.scoring import dialogue_signals, lexicon_for, score_turn, text_signals

ROOT = Path(__file__).resolve().parent.parent


def predict(turn: dict[str, Any], model: TurnModel, encoder: Encoder, language: str) -> tuple[bool, set[str]]:
    """Whether the turn is frustrated, and the signals found, as the assistant would decide."""
    lexicon = lexicon_for(language)
    context = turn.get("context") or []
    customer = [t["text"] for t in context if t["speaker"] == "customer"]
    bot = [t["text"] for t in context if t["speaker"] == "bot"]
    own = text_signals(turn["text"], lexicon)
    probability = model.probability(turn["text"], encoder.encode([turn["text"]])[0], score_turn(own).score)
    nlu_score = score_turn(own, probability).score
    scored = score_turn(own + dialogue_signals(turn["text"], customer, bot, lexicon), nlu_score, lexicon.model_reason)
    return scored.score >= lexicon.thresholds["turn"], {s.name for s in scored.signals if s.name != "model"}


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 (0 where undefined)."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--language", default="en")
    parser.add_argument("--split", default="test", choices=["test", "tune"])
    parser.add_argument("--errors", action="store_true", help="list the misclassified turns")
    arguments = parser.parse_args()
    data = yaml.safe_load((ROOT / "tests" / "data" / "frustration" / f"{arguments.language}.yml").read_text())
    turns = [t for t in data["turns"] if t["split"] == arguments.split]
    # Each language's turns are read by its own sentence encoder, as in the pipeline (data/languages.yml).
    encoder = encoder_for(arguments.language)
    texts, labels = training_turns(arguments.language)
    model = TurnModel.fit(texts, labels, encoder.encode, lexicon_for(arguments.language))
    counts = {"tp": 0, "fp": 0, "fn": 0}
    per_signal: dict[str, dict[str, int]] = {}
    errors = []
    for turn in turns:
        predicted, signals = predict(turn, model, encoder, arguments.language)
        actual = bool(turn["frustrated"])
        key = "tp" if predicted and actual else "fp" if predicted else "fn" if actual else None
        if key:
            counts[key] += 1
        if predicted != actual:
            errors.append((turn["id"], actual, turn["intensity"], sorted(signals), turn["text"]))
        for name in set(turn["signals"]) | signals:
            entry = per_signal.setdefault(name, {"tp": 0, "fp": 0, "fn": 0})
            entry["tp" if name in signals and name in turn["signals"] else "fp" if name in signals else "fn"] += 1
    precision, recall, f1 = prf(counts["tp"], counts["fp"], counts["fn"])
    print(f"{arguments.split} half: {len(turns)} turns, {sum(t['frustrated'] for t in turns)} frustrated")
    print(f"overall   precision {precision:.2f}  recall {recall:.2f}  F1 {f1:.2f}")
    print(f"{'signal':<18}{'labelled':>9}{'precision':>10}{'recall':>8}{'F1':>6}")
    for name, c in sorted(per_signal.items()):
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        print(f"{name:<18}{c['tp'] + c['fn']:>9}{p:>10.2f}{r:>8.2f}{f:>6.2f}")
    if arguments.errors:
        for turn_id, actual, intensity, found, text in errors:
            kind = "missed" if actual else "false alarm"
            print(f"  {turn_id} {kind} (intensity {intensity}, found {found}): {text}")


if __name__ == "__main__":
    main()
