"""Adds a frustration score with its reasons to every parsed message (``frustration`` key).

The score is the higher of a learned probability (logistic regression on the message's
sentence embedding and its word-list score, trained on ``data/frustration/training/``)
and the word-list score itself; the reasons come from the word lists. Dialogue-level
signals and the conversation score come from ``FrustrationPolicy``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.sentence_featurizer import packaged_encoder_dir, shared_encoder
from frustration.model import TurnModel, training_turns
from frustration.scoring import lexicon_for, score_turn, text_signals

FRUSTRATION = "frustration"
WEIGHTS_FILE = "frustration_model.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FrustrationScorer(GraphComponent):
    """Scores each message; needs SentenceEmbeddingFeaturizer earlier in the pipeline."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """English, with the model's regularisation."""
        return {"language": "en", "C": 10.0}

    def __init__(
        self, config: dict[str, Any], storage: ModelStorage, resource: Resource, model: TurnModel | None = None
    ) -> None:
        self._config = config
        self._lexicon = lexicon_for(config["language"])
        self._storage = storage
        self._resource = resource
        self._model = model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> FrustrationScorer:
        """Creates an untrained scorer."""
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the turn model on the frustration training set (not on the NLU data)."""
        texts, labels = training_turns(self._config["language"])
        encoder = shared_encoder(str(packaged_encoder_dir()), 128)
        self._model = TurnModel.fit(texts, labels, encoder.encode, self._lexicon, self._config["C"])
        with self._storage.write_to(self._resource) as directory:
            self._model.save(directory / WEIGHTS_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FrustrationScorer:
        """Loads the trained turn model (word lists only if there is none)."""
        try:
            with model_storage.read_from(resource) as directory:
                return cls(config, model_storage, resource, TurnModel.load(directory / WEIGHTS_FILE))
        except ValueError:
            return cls(config, model_storage, resource)

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds ``{"score", "signals", "reasons", "abuse"}`` to each message with text."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text and not text.startswith("/"):
                signals = text_signals(text, self._lexicon)
                probability = self._probability(message, score_turn(signals).score)
                scored = score_turn(signals, probability, self._lexicon.model_reason)
                message.set(FRUSTRATION, scored.as_dict(), add_to_output=True)
        return messages

    def _probability(self, message: Message, lexicon_score: float) -> float:
        _, sentence = message.get_dense_features(TEXT)
        if self._model is None or sentence is None:
            return 0.0
        return self._model.probability(np.asarray(sentence.features).reshape(-1), lexicon_score)
