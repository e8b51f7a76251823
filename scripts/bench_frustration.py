"""Time the frustration component adds to parsing one message (p50 and p99).

The sentence embedding is shared with the NLU featurizer, so it is computed before
timing; what is timed is FrustrationScorer.process: word lists plus the turn model.
Usage: python -m scripts.bench_frustration
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.frustration_scorer import FrustrationScorer
from addons.sentence_featurizer import encoder_for, feature_origin
from support.language import languages

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Command line entry point."""
    storage_dir = ROOT / "var" / "bench-frustration"
    storage_dir.mkdir(parents=True, exist_ok=True)
    context = ExecutionContext(GraphSchema({}), "bench")
    scorer = FrustrationScorer.create(
        FrustrationScorer.get_default_config(), LocalModelStorage(storage_dir), Resource("f"), context
    )
    scorer.train(TrainingData())
    for language in languages().codes:
        turns = yaml.safe_load((ROOT / "tests" / "data" / "frustration" / f"{language}.yml").read_text())["turns"]
        timings = time_scoring(scorer, [t["text"] for t in turns], language)
        ordered = sorted(timings)
        p99 = ordered[int(0.99 * len(ordered)) - 1]
        p50 = statistics.median(timings)
        print(f"{language}: {len(timings)} messages: p50 {p50:.3f} ms, p99 {p99:.3f} ms per message")


def time_scoring(scorer: FrustrationScorer, texts: list[str], language: str) -> list[float]:
    """Milliseconds to score each message (five rounds), its embedding computed beforehand."""
    vectors = encoder_for(language).encode(texts)
    timings = []
    for text, vector in zip(texts * 5, np.vstack([vectors] * 5), strict=True):
        message = Message(data={"text": text, "language": language})
        message.add_features(Features(vector[np.newaxis, :], "sentence", "text", feature_origin(language)))
        started = time.perf_counter()
        scorer.process([message])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


if __name__ == "__main__":
    main()
