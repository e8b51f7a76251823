"""A learned turn-level frustration probability: logistic regression on sentence embeddings.

Word lists catch explicit anger and give agents readable reasons; this model catches the
quiet kind ("fine, i'll just wait then"). It trains on ``data/frustration/training/``,
written independently of the evaluation set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml
from sklearn.linear_model import LogisticRegression

from frustration.scoring import Lexicon, score_turn, text_signals

FloatArray = npt.NDArray[np.float64]
Encoder = Callable[[list[str]], FloatArray]
LEXICON_SCALE = 3.0  # the lexicon score's weight next to 384 embedding dimensions
TRAINING_DIR = Path(__file__).resolve().parent.parent / "data" / "frustration" / "training"


@dataclass(frozen=True)
class TurnModel:
    """Weights of the logistic regression over [embedding, lexicon score]."""

    weights: FloatArray
    bias: float

    def probability(self, embedding: FloatArray, lexicon_score: float) -> float:
        """How likely the turn is frustrated."""
        features = np.append(embedding, lexicon_score * LEXICON_SCALE)
        return float(1.0 / (1.0 + np.exp(-(features @ self.weights + self.bias))))

    @classmethod
    def fit(cls, texts: list[str], labels: list[bool], encode: Encoder, lexicon: Lexicon, c: float = 10.0) -> TurnModel:
        """Trains on labelled customer turns."""
        lexicon_scores = np.array([[score_turn(text_signals(t, lexicon)).score * LEXICON_SCALE] for t in texts])
        model = LogisticRegression(C=c, max_iter=3000).fit(np.hstack([encode(texts), lexicon_scores]), labels)
        return cls(np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0]))

    def save(self, path: Path) -> None:
        """Writes the weights."""
        np.savez(path, weights=self.weights, bias=np.array([self.bias]))

    @classmethod
    def load(cls, path: Path) -> TurnModel:
        """Reads the weights."""
        arrays = np.load(path)
        return cls(np.asarray(arrays["weights"], dtype=np.float64), float(arrays["bias"][0]))


def training_turns(language: str, directory: Path = TRAINING_DIR) -> tuple[list[str], list[bool]]:
    """Texts and labels of the training set of a language."""
    turns = yaml.safe_load((directory / f"{language}.yml").read_text(encoding="utf-8"))["turns"]
    return [str(t["text"]) for t in turns], [bool(t["frustrated"]) for t in turns]
