"""Intent and FAQ classifiers: logistic regression on pretrained sentence embeddings.

On this assistant's held-out phrasings they beat DIET and the ResponseSelector
(see docs/nlu.md) and train in seconds instead of minutes. Both need the dense
sentence features of ``SentenceEmbeddingFeaturizer`` earlier in the pipeline.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from typing import Any

import numpy as np
import numpy.typing as npt
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression

FloatArray = npt.NDArray[np.float64]

WEIGHTS_FILE = "weights.npz"
LABELS_FILE = "labels.json"
Ranking = list[tuple[str, float]]


class SentenceLogisticRegression(GraphComponent):
    """A softmax layer over sentence embeddings, trained with scikit-learn, served with numpy."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Regularisation strength and how many runners-up to report."""
        return {"C": 10.0, "ranking_length": 10}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        labels: list[str] | None = None,
        weights: FloatArray | None = None,
        bias: FloatArray | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._labels = labels or []
        self._weights = weights
        self._bias = bias

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceLogisticRegression:
        """Creates an untrained classifier."""
        return cls(config, model_storage, resource)

    @abstractmethod
    def _training_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        """The examples to learn from, each with its label."""

    @abstractmethod
    def _annotate(self, message: Message, ranking: Ranking) -> None:
        """Writes the prediction into the message."""

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifier and stores its weights."""
        examples = self._training_examples(training_data)
        if len({label for _, label in examples}) < 2:
            return self._resource
        model = LogisticRegression(C=self._config["C"], max_iter=3000)
        model.fit(np.vstack([sentence_vector(m) for m, _ in examples]), [label for _, label in examples])
        self._labels = [str(label) for label in model.classes_]
        self._weights, self._bias = _one_row_per_label(model.coef_, model.intercept_)
        with self._storage.write_to(self._resource) as directory:
            np.savez(directory / WEIGHTS_FILE, weights=self._weights, bias=self._bias)
            (directory / LABELS_FILE).write_text(json.dumps(self._labels))
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceLogisticRegression:
        """Loads the trained weights, or an empty classifier if nothing was trained."""
        try:
            with model_storage.read_from(resource) as directory:
                arrays = np.load(directory / WEIGHTS_FILE)
                labels = json.loads((directory / LABELS_FILE).read_text())
                return cls(config, model_storage, resource, labels, arrays["weights"], arrays["bias"])
        except ValueError:
            return cls(config, model_storage, resource)

    def process(self, messages: list[Message]) -> list[Message]:
        """Annotates every message that has text."""
        for message in messages:
            if self._weights is not None and message.get(TEXT):
                self._annotate(message, self.rank(sentence_vector(message)))
        return messages

    def rank(self, vector: FloatArray) -> Ranking:
        """Labels with their probabilities, most likely first."""
        assert self._weights is not None
        assert self._bias is not None
        scores = self._weights @ vector + self._bias
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        order = np.argsort(probabilities)[::-1][: self._config["ranking_length"]]
        return [(self._labels[i], float(probabilities[i])) for i in order]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceIntentClassifier(SentenceLogisticRegression):
    """Predicts the intent (retrieval intents count as one intent, e.g. ``faq``)."""

    def _training_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        return [(m, m.get(INTENT)) for m in training_data.intent_examples if m.get(TEXT)]

    def _annotate(self, message: Message, ranking: Ranking) -> None:
        name, confidence = ranking[0]
        message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqClassifier(SentenceLogisticRegression):
    """Picks the FAQ (``faq/<id>``), in the ResponseSelector's output format."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Adds the retrieval intent to the shared defaults."""
        return {**SentenceLogisticRegression.get_default_config(), "retrieval_intent": "faq", "ranking_length": 5}

    def _training_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        intent = self._config["retrieval_intent"]
        return [
            (m, m.get(INTENT_RESPONSE_KEY))
            for m in training_data.intent_examples
            if m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)
        ]

    def _annotate(self, message: Message, ranking: Ranking) -> None:
        retrieval_intent = self._config["retrieval_intent"]
        best, confidence = ranking[0]
        selector = message.get("response_selector", {})
        selector["all_retrieval_intents"] = [retrieval_intent]
        selector[retrieval_intent] = {
            "response": {
                "responses": [{"text": best}],
                "confidence": confidence,
                "intent_response_key": best,
                "utter_action": f"utter_{best}",
            },
            "ranking": [{"id": i, "confidence": c, "intent_response_key": k} for i, (k, c) in enumerate(ranking)],
        }
        message.set("response_selector", selector, add_to_output=True)


def _one_row_per_label(weights: FloatArray, bias: FloatArray) -> tuple[FloatArray, FloatArray]:
    """scikit-learn keeps one row for two labels; a softmax over (-z/2, z/2) equals its sigmoid."""
    if weights.shape[0] == 1:
        return np.vstack([-weights / 2, weights / 2]), np.concatenate([-bias / 2, bias / 2])
    return weights, bias


def sentence_vector(message: Message) -> FloatArray:
    """The message's dense sentence feature as a flat vector."""
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        raise ValueError("needs dense sentence features: put SentenceEmbeddingFeaturizer earlier in the pipeline")
    return np.asarray(sentence.features).reshape(-1)
