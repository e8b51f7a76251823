"""FAQ phrasings edited since the model was trained, answered by nearest neighbour until it is retrained.

An editor's new FAQ or phrasing would otherwise wait minutes for a retrain and a model swap
(docs/editing.md). The served model keeps the embeddings of the phrasings it was trained on;
this index compares each message with those that are still in the knowledge files and with the
phrasings added since, read from the files as they change. When the nearest phrasing is a new
one and close enough, its FAQ wins. Phrasings that were moved or removed no longer count, and
retired FAQs leave the ranking at once. The next training makes the change part of the model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from knowledge import KnowledgeBase, KnowledgeError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Ranking = list[tuple[str, float]]
Encode = Callable[[list[str]], FloatArray]
KnowledgeSource = Callable[[], KnowledgeBase]

logger = logging.getLogger(__name__)


def normalized(text: str) -> str:
    """The form phrasings are compared in: case and spacing do not make a phrasing new."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class PhrasingIndex:
    """Phrasings with their labels (``faq/<id>``) and L2-normalised embeddings, one row each."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    vectors: FloatArray

    @classmethod
    def empty(cls, width: int) -> PhrasingIndex:
        """An index with no phrasings."""
        return cls((), (), np.zeros((0, width)))

    def pairs(self) -> list[tuple[str, str]]:
        """(normalised text, label) of every row."""
        return [(normalized(t), label) for t, label in zip(self.texts, self.labels, strict=True)]

    def nearest(self, vector: FloatArray, label: str, rows: BoolArray | None = None) -> float:
        """The cosine similarity to the nearest phrasing of ``label`` (among ``rows``); 0 if it has none."""
        chosen = self._label_array == label
        if rows is not None:
            chosen &= rows
        return float((self.vectors[chosen] @ vector).max(initial=0.0))

    @cached_property
    def _label_array(self) -> npt.NDArray[np.str_]:
        return np.array(self.labels, dtype=str)


@dataclass(frozen=True)
class LiveMatch:
    """The new phrasing nearest to a message: its FAQ label, its cosine similarity, and the nearest trained one's."""

    label: str
    similarity: float
    trained_similarity: float
    phrasing: str

    def passes(self, threshold: float, margin: float) -> bool:
        """Whether it is close enough, and nearer than every trained phrasing by more than the margin."""
        return self.similarity >= threshold and self.similarity - self.trained_similarity > margin


class MemoizedEncoder:
    """Encodes each text once, however often it is asked for; one row per text asked."""

    def __init__(self, encode: Encode, width: int) -> None:
        self._encode = encode
        self._width = width
        self._vectors: dict[str, FloatArray] = {}

    def __call__(self, texts: list[str]) -> FloatArray:
        """The vectors of ``texts``, encoding only those not seen before."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self._encode(missing), strict=True))
        return np.vstack([self._vectors[t] for t in texts]) if texts else np.zeros((0, self._width))


class LivePhrasings:
    """Matches messages against the knowledge files' current phrasings, next to a trained model.

    ``knowledge`` returns the current knowledge base (``KnowledgeRepository.current``: the same
    object until a file changes).
    """

    def __init__(
        self,
        trained: PhrasingIndex,
        knowledge: KnowledgeSource,
        language: str,
        retrieval_intent: str,
        encode: Encode,
        threshold: float,
        margin: float,
    ) -> None:
        self._trained = trained
        self._knowledge = knowledge
        self._language = language
        self._prefix = f"{retrieval_intent}/"
        self._encode = MemoizedEncoder(encode, trained.vectors.shape[1])
        self._threshold = threshold
        self._margin = margin
        self._trained_pairs = trained.pairs()
        self._base: KnowledgeBase | None = None
        self._labels = set(trained.labels)
        self._active = np.ones(len(trained.texts), dtype=bool)
        self._live = PhrasingIndex.empty(trained.vectors.shape[1])

    def refresh(self) -> None:
        """Rereads the knowledge files if they changed; a broken file keeps the last good state."""
        try:
            base = self._knowledge()
        except KnowledgeError as error:
            logger.warning("knowledge files unreadable, keeping the phrasings read before: %s", error)
            return
        if base is not self._base:
            self._base = base
            self._index(base)

    def _index(self, base: KnowledgeBase) -> None:
        current = {
            (normalized(p), self._prefix + faq.id): p for faq in base.faqs(self._language) for p in faq.phrasings
        }
        self._labels = {label for _, label in current}
        self._active = np.array([pair in current for pair in self._trained_pairs], dtype=bool)
        trained = set(self._trained_pairs)
        added = [(text, label) for (key, label), text in current.items() if (key, label) not in trained]
        self._live = PhrasingIndex(
            tuple(t for t, _ in added), tuple(label for _, label in added), self._encode([t for t, _ in added])
        )
        if added:
            logger.info("%d phrasings are served by nearest neighbour until the next training", len(added))

    def match(self, vector: FloatArray) -> LiveMatch | None:
        """The nearest new phrasing, if it passes the threshold and beats the trained ones by the margin."""
        if not self._live.texts:
            return None
        live = self._live.vectors @ vector
        best = int(np.argmax(live))
        trained = self._trained.vectors[self._active] @ vector
        nearest_trained = float(trained.max()) if trained.size else -1.0
        match = LiveMatch(self._live.labels[best], float(live[best]), nearest_trained, self._live.texts[best])
        return match if match.passes(self._threshold, self._margin) else None

    def nearest(self, vector: FloatArray, label: str) -> float:
        """The similarity to the FAQ's nearest phrasing in the files, whether trained or added since."""
        return max(self._trained.nearest(vector, label, self._active), self._live.nearest(vector, label))

    def current(self, ranking: Ranking) -> Ranking:
        """The ranking without FAQs that were retired since training."""
        return [(label, confidence) for label, confidence in ranking if label in self._labels]


def promote(ranking: Ranking, label: str, confidence: float) -> Ranking:
    """Puts ``label`` first with at least ``confidence``, scaling the rest so the total stays at most 1."""
    top = max(confidence, dict(ranking).get(label, 0.0))
    rest = [(name, c) for name, c in ranking if name != label]
    total = sum(c for _, c in rest)
    scale = min(1.0, (1.0 - top) / total) if total else 1.0
    return [(label, top), *((name, c * scale) for name, c in rest)]
