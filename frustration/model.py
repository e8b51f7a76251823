"""A learned turn-level frustration probability: logistic regression on sentence embeddings and n-grams.

Word lists catch explicit anger and give agents readable reasons; this model catches the
quiet kind ("fine, i'll just wait then"). It trains on ``data/frustration/training/``,
written independently of the evaluation set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from frustration.scoring import Lexicon, score_turn, text_signals

FloatArray = npt.NDArray[np.float64]
Encoder = Callable[[list[str]], FloatArray]
LEXICON_SCALE = 3.0  # the lexicon score's weight next to 384 embedding dimensions
TRAINING_DIR = Path(__file__).resolve().parent.parent / "data" / "frustration" / "training"
# Character 1-3-grams within words see the surface of a tone the sentence embedding smooths
# over: ㅋ or ㅎ alone, ?? and ..., 반말 endings, a bare "네". Chosen on the tune halves
# (docs/frustration.md): Korean F1 0.87 -> 0.91, English unchanged.
NGRAM_RANGE = (1, 3)


@dataclass(frozen=True)
class CharNgrams:
    """TF-IDF weights of the character n-grams seen at least twice in the training turns."""

    vocabulary: tuple[str, ...]
    idf: FloatArray

    @classmethod
    def fit(cls, texts: list[str]) -> CharNgrams:
        """Learns the n-grams and their inverse document frequencies."""
        vectorizer = _vectorizer().fit(texts)
        ordered = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
        return cls(tuple(ordered), np.asarray(vectorizer.idf_, dtype=np.float64))

    def features(self, texts: list[str]) -> sp.csr_matrix:
        """The turns' TF-IDF vectors (L2-normalised), one sparse row per text."""
        return sp.csr_matrix(self._vectorizer.transform(texts))

    @cached_property
    def _vectorizer(self) -> TfidfVectorizer:
        vectorizer = _vectorizer({ngram: index for index, ngram in enumerate(self.vocabulary)})
        vectorizer.idf_ = self.idf
        return vectorizer


def _vectorizer(vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAM_RANGE, min_df=2, sublinear_tf=True, vocabulary=vocabulary
    )


@dataclass(frozen=True)
class TurnModel:
    """Weights of the logistic regression over [embedding, lexicon score, character n-grams]."""

    weights: FloatArray
    bias: float
    ngrams: CharNgrams

    def probability(self, text: str, embedding: FloatArray, lexicon_score: float) -> float:
        """How likely the turn is frustrated."""
        dense = np.append(embedding, lexicon_score * LEXICON_SCALE)
        # The n-grams stay sparse: a message has a few dozen of the vocabulary's thousands.
        ngrams = self.ngrams.features([text]) @ self.weights[dense.size :]
        logit = float(dense @ self.weights[: dense.size] + ngrams[0] + self.bias)
        return 1.0 / (1.0 + float(np.exp(-logit)))

    @classmethod
    def fit(cls, texts: list[str], labels: list[bool], encode: Encoder, lexicon: Lexicon, c: float = 10.0) -> TurnModel:
        """Trains on labelled customer turns."""
        lexicon_scores = np.array([[score_turn(text_signals(t, lexicon)).score * LEXICON_SCALE] for t in texts])
        ngrams = CharNgrams.fit(texts)
        dense = sp.csr_matrix(np.hstack([encode(texts), lexicon_scores]))
        features = sp.hstack([dense, ngrams.features(texts)]).tocsr()
        model = LogisticRegression(C=c, max_iter=5000).fit(features, labels)
        return cls(np.asarray(model.coef_[0], dtype=np.float64), float(model.intercept_[0]), ngrams)

    def save(self, path: Path) -> None:
        """Writes the weights and the n-grams."""
        np.savez(
            path,
            weights=self.weights,
            bias=np.array([self.bias]),
            vocabulary=np.array(self.ngrams.vocabulary),
            idf=self.ngrams.idf,
        )

    @classmethod
    def load(cls, path: Path) -> TurnModel:
        """Reads the weights and the n-grams."""
        arrays = np.load(path)
        ngrams = CharNgrams(tuple(str(n) for n in arrays["vocabulary"]), np.asarray(arrays["idf"], dtype=np.float64))
        return cls(np.asarray(arrays["weights"], dtype=np.float64), float(arrays["bias"][0]), ngrams)


def training_turns(language: str, directory: Path = TRAINING_DIR) -> tuple[list[str], list[bool]]:
    """Texts and labels of the training set of a language."""
    turns = yaml.safe_load((directory / f"{language}.yml").read_text(encoding="utf-8"))["turns"]
    return [str(t["text"]) for t in turns], [bool(t["frustrated"]) for t in turns]
