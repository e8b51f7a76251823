"""Adds a frustration score with its reasons to every parsed message (``frustration`` key).

The score is the higher of a learned probability (logistic regression on the message's
sentence embedding, its word-list score and its character n-grams, trained on
``data/frustration/training/``)
and the word-list score itself; the reasons come from the word lists. Each language has its
word lists (``data/frustration/<language>.yml``) and its model, read by the language's
sentence encoder; a message is scored in its own language. Dialogue-level
signals and the conversation score come from ``FrustrationPolicy``.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.language_detector import LANGUAGE
from addons.sentence_featurizer import encoder_for, sentence_vector
from frustration.model import TRAINING_DIR, TurnModel, training_turns
from frustration.scoring import lexicon_for, score_turn, text_signals
from support.language import languages

FRUSTRATION = "frustration"
WEIGHTS_FILE = "frustration_model_{language}.npz"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FrustrationScorer(GraphComponent):
    """Scores each message; needs SentenceEmbeddingFeaturizer earlier in the pipeline."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The model's regularisation."""
        return {"C": 10.0}

    def __init__(
        self,
        config: dict[str, Any],
        storage: ModelStorage,
        resource: Resource,
        models: dict[str, TurnModel] | None = None,
    ) -> None:
        self._config = config
        self._storage = storage
        self._resource = resource
        self._models = models or {}

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
        """Fits a turn model per language on its frustration training set (not on the NLU data)."""
        with self._storage.write_to(self._resource) as directory:
            for language in _trained_languages():
                texts, labels = training_turns(language)
                encode = encoder_for(language).encode
                model = TurnModel.fit(texts, labels, encode, lexicon_for(language), self._config["C"])
                model.save(directory / WEIGHTS_FILE.format(language=language))
                self._models[language] = model
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
        """Loads the trained turn models (word lists only for a language without one)."""
        try:
            with model_storage.read_from(resource) as directory:
                models = {
                    language: TurnModel.load(directory / WEIGHTS_FILE.format(language=language))
                    for language in languages().codes
                    if (directory / WEIGHTS_FILE.format(language=language)).is_file()
                }
        except ValueError:
            models = {}
        return cls(config, model_storage, resource, models)

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds ``{"score", "signals", "reasons", "abuse"}`` to each message with text."""
        for message in messages:
            text = message.get(TEXT) or ""
            if text and not text.startswith("/"):
                language = message.get(LANGUAGE) or languages().default
                lexicon = lexicon_for(language)
                signals = text_signals(text, lexicon)
                probability = self._probability(message, text, language, score_turn(signals).score)
                scored = score_turn(signals, probability, lexicon.model_reason)
                message.set(FRUSTRATION, scored.as_dict(), add_to_output=True)
        return messages

    def _probability(self, message: Message, text: str, language: str, lexicon_score: float) -> float:
        model = self._models.get(language)
        if model is None:
            return 0.0
        return model.probability(text, sentence_vector(message, language), lexicon_score)


def _trained_languages() -> list[str]:
    """The languages with a frustration training set."""
    return [language for language in languages().codes if (TRAINING_DIR / f"{language}.yml").is_file()]
