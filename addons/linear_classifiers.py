"""Intent and FAQ classifiers: linear models on a sentence embedding plus TF-IDF n-grams.

Each language has a model of its own, trained on the examples in that language (and on those
with no language, such as ``10421``) and asked about the messages in that language
(``LanguageDetector``), so adding Korean leaves the English model as it was.

The features are the dense sentence embedding of ``SentenceEmbeddingFeaturizer`` (times
``dense_weight``) next to the sentence counts of every ``CountVectorsFeaturizer`` earlier in
the pipeline, each turned into sublinear TF-IDF and L2-normalised. The model is a logistic
regression or a linear SVM (which trains in seconds on tens of thousands of n-grams, where
the logistic regression takes minutes). Either way it is served with numpy as a softmax over
``scale * (W x + b)``: scale 1 for the logistic regression, ``temperature`` for the SVM.
On BANKING77 and on this assistant's held-out phrasings they beat DIET and the
ResponseSelector (see docs/nlu.md) and train in seconds instead of minutes.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

from addons.language_detector import LANGUAGE, example_languages
from addons.live_phrasings import LiveMatch, LivePhrasings, PhrasingIndex, promote
from addons.sentence_featurizer import encoder_for, sentence_vector
from knowledge import KnowledgeRepository
from support.language import languages

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

WEIGHTS_FILE = "weights.npz"
LABELS_FILE = "labels.json"
PHRASINGS_FILE = "phrasings.npz"
LOGISTIC_REGRESSION = "logistic_regression"
LINEAR_SVM = "linear_svm"
Ranking = list[tuple[str, float]]


@dataclass
class SentenceFeatures:
    """Turns a message's sentence features into one row: scaled embedding, then TF-IDF per n-gram featurizer."""

    language: str
    dense_weight: float
    origins: list[str]
    idf: list[FloatArray]

    @classmethod
    def fit(cls, messages: list[Message], language: str, dense_weight: float, ngrams: bool = True) -> SentenceFeatures:
        """Learns the inverse document frequencies of every sparse featurizer (smoothed, as scikit-learn's)."""
        widths = {f.origin: f.features.shape[1] for m in messages for f in _sparse_sentence_features(m) if ngrams}
        origins, idf = sorted(widths), []
        for origin in origins:
            counts = sp.vstack([_sparse_block(m, origin, widths[origin]) for m in messages]).tocsc()
            document_frequency = np.diff(counts.indptr)
            idf.append(np.log((1 + len(messages)) / (1 + document_frequency)) + 1)
        return cls(language, dense_weight, origins, idf)

    def transform(self, messages: list[Message]) -> sp.csr_matrix:
        """One row per message."""
        vectors = [sentence_vector(m, self.language) for m in messages]
        dense = sp.csr_matrix(np.vstack(vectors) * self.dense_weight)
        blocks = [self._tf_idf([_sparse_block(m, o, len(idf)) for m in messages], idf) for o, idf in self.blocks()]
        return sp.hstack([dense, *blocks], format="csr")

    def nonzeros(self, message: Message) -> tuple[IntArray, FloatArray]:
        """Column indices and values of one message's row, as ``transform`` gives it, without scipy's overhead."""
        dense = sentence_vector(message, self.language) * self.dense_weight
        indices, values, offset = [np.arange(len(dense))], [dense], len(dense)
        for origin, idf in self.blocks():
            counts = _sparse_block(message, origin, len(idf)).tocoo()
            weighted = (1 + np.log(counts.data)) * idf[counts.col]
            norm = np.linalg.norm(weighted)
            indices.append(offset + counts.col)
            values.append(weighted / norm if norm else weighted)
            offset += len(idf)
        return np.concatenate(indices), np.concatenate(values)

    def blocks(self) -> list[tuple[str, FloatArray]]:
        """Each sparse featurizer with its inverse document frequencies."""
        return list(zip(self.origins, self.idf, strict=True))

    @staticmethod
    def _tf_idf(counts: list[sp.spmatrix], idf: FloatArray) -> sp.csr_matrix:
        weighted = sp.csr_matrix(sp.vstack(counts), dtype=np.float64)
        weighted.data = 1 + np.log(weighted.data)
        return normalize(weighted.multiply(idf).tocsr())


@dataclass
class LinearModel:
    """One language's trained classifier: labels, weights, softmax scale and feature transform."""

    labels: list[str]
    arrays: dict[str, Any]
    features: SentenceFeatures

    def rank(self, message: Message, length: int) -> Ranking:
        """Labels with their probabilities, most likely first."""
        indices, values = self.features.nonzeros(message)
        scores = self.arrays["weights"][:, indices] @ values + self.arrays["bias"]
        scores *= float(self.arrays["scale"])
        probabilities = np.exp(scores - scores.max())
        probabilities /= probabilities.sum()
        order = np.argsort(probabilities)[::-1][:length]
        return [(self.labels[i], float(probabilities[i])) for i in order]


class SentenceLinearClassifier(GraphComponent):
    """Linear classifiers over sentence features, one per language, trained with scikit-learn, served with numpy."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """The model, its regularisation, the softmax temperature of the SVM, the features, and how many runners-up."""
        return {
            "model": LOGISTIC_REGRESSION,
            "C": 10.0,
            "temperature": 5.0,
            "dense_weight": 1.0,
            "ngrams": True,
            "ranking_length": 10,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        models: dict[str, LinearModel] | None = None,
    ) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._models = models or {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceLinearClassifier:
        """Creates an untrained classifier."""
        return cls(config, model_storage, resource)

    @abstractmethod
    def _training_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        """The examples to learn from, each with its label."""

    @abstractmethod
    def _annotate(self, message: Message, language: str, ranking: Ranking) -> None:
        """Writes the prediction into the message."""

    def train(self, training_data: TrainingData) -> Resource:
        """Fits one classifier per language that has examples of two labels or more, and stores them."""
        examples = self._training_examples(training_data)
        for language in languages().codes:
            chosen = [(m, label) for m, label in examples if language in example_languages(m)]
            if len({label for _, label in chosen}) >= 2:
                self._models[language] = self._fit(language, chosen)
        self._persist()
        return self._resource

    def _fit(self, language: str, examples: list[tuple[Message, str]]) -> LinearModel:
        messages, labels = [m for m, _ in examples], [label for _, label in examples]
        config = for_language(self._config, language)
        features = SentenceFeatures.fit(messages, language, config["dense_weight"], config["ngrams"])
        names, weights, bias, scale = fit_linear_model(features.transform(messages), labels, config)
        return LinearModel(names, {"weights": weights, "bias": bias, "scale": scale}, features)

    def _persist(self) -> None:
        with self._storage.write_to(self._resource) as directory:
            for language, model in self._models.items():
                folder = directory / language
                folder.mkdir(exist_ok=True)
                idf = {f"idf_{i}": values for i, values in enumerate(model.features.idf)}
                np.savez(folder / WEIGHTS_FILE, **model.arrays, **idf)
                (folder / LABELS_FILE).write_text(
                    json.dumps({"labels": model.labels, "origins": model.features.origins})
                )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SentenceLinearClassifier:
        """Loads the trained weights of every language, or an empty classifier if nothing was trained."""
        try:
            with model_storage.read_from(resource) as directory:
                models = {
                    folder.name: _load_model(folder, folder.name, for_language(config, folder.name)["dense_weight"])
                    for folder in sorted(directory.iterdir())
                    if (folder / WEIGHTS_FILE).is_file()
                }
        except ValueError:
            models = {}
        return cls(config, model_storage, resource, models)

    def process(self, messages: list[Message]) -> list[Message]:
        """Annotates every message that has text, with the model of its language."""
        for message in messages:
            language = message.get(LANGUAGE) or languages().default
            model = self._models.get(language)
            if model is not None and message.get(TEXT):
                self._annotate(message, language, model.rank(message, self._config["ranking_length"]))
        return messages


def _load_model(folder: Path, language: str, dense_weight: float) -> LinearModel:
    stored = dict(np.load(folder / WEIGHTS_FILE))
    names = json.loads((folder / LABELS_FILE).read_text())
    idf = [stored.pop(f"idf_{i}") for i in range(len(names["origins"]))]
    return LinearModel(names["labels"], stored, SentenceFeatures(language, dense_weight, names["origins"], idf))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceIntentClassifier(SentenceLinearClassifier):
    """Predicts the intent (retrieval intents count as one intent, e.g. ``faq``)."""

    def _training_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        return [(m, m.get(INTENT)) for m in training_data.intent_examples if m.get(TEXT)]

    def _annotate(self, message: Message, language: str, ranking: Ranking) -> None:
        name, confidence = ranking[0]
        message.set(INTENT, {"name": name, "confidence": confidence}, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking], add_to_output=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class FaqClassifier(SentenceLinearClassifier):
    """Picks the FAQ (``faq/<id>``), in the ResponseSelector's output format.

    With ``knowledge_dir`` set, phrasings edited since training are served at once by nearest
    neighbour (``addons/live_phrasings.py``) until the next training takes them in.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._trained: dict[str, PhrasingIndex] = {}
        self._live: dict[str, LivePhrasings] = {}

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Adds the retrieval intent, the joint confidence and the live phrasings to the defaults."""
        return {
            **SentenceLinearClassifier.get_default_config(),
            "retrieval_intent": "faq",
            "ranking_length": 5,
            "joint_confidence": False,
            "similarity_confidence": False,
            # The cosine similarity that counts as "unrelated": e5 puts unrelated sentences at
            # 0.7-0.9 (its low training temperature), so its similarities are rescaled from there.
            "similarity_floor": 0.0,
            "knowledge_dir": None,
            # Chosen on the validation half by scripts/evaluate_live_phrasings.py (docs/editing.md);
            # like any setting, given per language where encoders spread similarities differently.
            "live_threshold": 0.6,
            "live_margin": 0.05,
        }

    def _training_examples(self, training_data: TrainingData) -> list[tuple[Message, str]]:
        intent = self._config["retrieval_intent"]
        return [
            (m, m.get(INTENT_RESPONSE_KEY))
            for m in training_data.intent_examples
            if m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY) and m.get(TEXT)
        ]

    def train(self, training_data: TrainingData) -> Resource:
        """Fits the classifiers and keeps the embeddings of the phrasings each learnt."""
        super().train(training_data)
        examples = self._training_examples(training_data)
        with self._storage.write_to(self._resource) as directory:
            for language in self._models:
                chosen = [(m, label) for m, label in examples if language in example_languages(m)]
                np.savez(
                    directory / language / PHRASINGS_FILE,
                    texts=np.array([m.get(TEXT) for m, _ in chosen]),
                    labels=np.array([label for _, label in chosen]),
                    vectors=np.vstack([sentence_vector(m, language) for m, _ in chosen]),
                )
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> FaqClassifier:
        """Loads the trained weights, the trained phrasings and, if configured, the index of live phrasings."""
        classifier = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(classifier, FaqClassifier)
        if not classifier._models:
            return classifier
        with model_storage.read_from(resource) as directory:
            for language in classifier._models:
                stored = np.load(directory / language / PHRASINGS_FILE)
                classifier._trained[language] = PhrasingIndex(
                    tuple(str(t) for t in stored["texts"]), tuple(str(t) for t in stored["labels"]), stored["vectors"]
                )
        knowledge_dir = Path(config["knowledge_dir"]) if config["knowledge_dir"] else None
        if knowledge_dir is not None and knowledge_dir.is_dir():
            repository = KnowledgeRepository(knowledge_dir)
            for language, trained in classifier._trained.items():
                classifier._live[language] = LivePhrasings(
                    trained,
                    repository.current,
                    language,
                    config["retrieval_intent"],
                    encoder_for(language).encode,
                    for_language(config, language)["live_threshold"],
                    for_language(config, language)["live_margin"],
                )
        return classifier

    def process(self, messages: list[Message]) -> list[Message]:
        """Rereads changed knowledge files, then annotates every message that has text."""
        for live in self._live.values():
            live.refresh()
        return super().process(messages)

    def _annotate(self, message: Message, language: str, ranking: Ranking) -> None:
        match = None
        live = self._live.get(language)
        if live is not None:
            ranking = live.current(ranking)
            match = live.match(sentence_vector(message, language))
            if match is not None:
                ranking = promote(ranking, match.label, match.similarity)[: self._config["ranking_length"]]
        if not ranking:
            return
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
        if match is not None:
            self._promote_retrieval_intent(message, match)
        elif self._config["joint_confidence"]:
            self._rescore_retrieval_intent(message, confidence * self._closeness(message, language, best))

    def _closeness(self, message: Message, language: str, label: str) -> float:
        """With ``similarity_confidence``, the message's similarity to the FAQ's nearest phrasing; else 1.

        A question unlike anything an editor wrote for the FAQ is less likely to be answered by it,
        however the classifier's probability falls (docs/nlu.md, out-of-scope detection).
        """
        if not self._config["similarity_confidence"]:
            return 1.0
        vector = sentence_vector(message, language)
        index = self._live[language] if language in self._live else self._trained[language]
        return rescaled(index.nearest(vector, label), for_language(self._config, language)["similarity_floor"])

    def _promote_retrieval_intent(self, message: Message, match: LiveMatch) -> None:
        """A message this close to a phrasing an editor wrote is a question for the FAQs.

        The intent's confidence and the match's similarity combine as a noisy-OR. The answer is not
        judged again by the joint confidence: the live rule's threshold and margin were chosen for it.
        """
        intent = self._config["retrieval_intent"]
        ranking = [(r["name"], r["confidence"]) for r in message.get(INTENT_RANKING_KEY) or []]
        prior = dict(ranking).get(intent, 0.0)
        promoted = promote(ranking, intent, 1 - (1 - prior) * (1 - match.similarity))
        message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in promoted], add_to_output=True)
        message.set(INTENT, {"name": promoted[0][0], "confidence": promoted[0][1]}, add_to_output=True)

    def _rescore_retrieval_intent(self, message: Message, faq_confidence: float) -> None:
        """P(faq) becomes P(faq) times the answer's confidence, so the fallback judges the answer actually given.

        A question unlike every FAQ is still "a question", so the intent classifier calls it faq with
        confidence; the FAQ classifier is the one that is unsure (docs/nlu.md, out-of-scope detection).
        """
        intent = self._config["retrieval_intent"]
        ranking = [
            {**r, "confidence": r["confidence"] * faq_confidence} if r["name"] == intent else r
            for r in message.get(INTENT_RANKING_KEY) or []
        ]
        if not ranking:
            return
        ranking.sort(key=lambda r: -r["confidence"])
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(INTENT, {"name": ranking[0]["name"], "confidence": ranking[0]["confidence"]}, add_to_output=True)


def fit_linear_model(
    features: sp.csr_matrix, labels: list[str], config: dict[str, Any]
) -> tuple[list[str], FloatArray, FloatArray, float]:
    """Labels, one weight row and bias per label, and the softmax scale of the configured model."""
    if config["model"] == LINEAR_SVM:
        model: LinearSVC | LogisticRegression = LinearSVC(C=config["C"], random_state=0)
        scale = float(config["temperature"])
    elif config["model"] == LOGISTIC_REGRESSION:
        model, scale = LogisticRegression(C=config["C"], max_iter=3000), 1.0
    else:
        raise ValueError(f"unknown model {config['model']!r}: use {LOGISTIC_REGRESSION} or {LINEAR_SVM}")
    model.fit(features, labels)
    weights, bias = _one_row_per_label(model.coef_, np.atleast_1d(model.intercept_))
    return [str(label) for label in model.classes_], weights, bias, scale


def _one_row_per_label(weights: FloatArray, bias: FloatArray) -> tuple[FloatArray, FloatArray]:
    """scikit-learn keeps one row for two labels; a softmax over (-z/2, z/2) equals its sigmoid."""
    if weights.shape[0] == 1:
        return np.vstack([-weights / 2, weights / 2]), np.concatenate([-bias / 2, bias / 2])
    return weights, bias


def _sparse_sentence_features(message: Message) -> list[Any]:
    return [f for f in message.features if f.is_sparse() and f.type == "sentence" and f.attribute == TEXT]


def _sparse_block(message: Message, origin: str, width: int) -> sp.spmatrix:
    """The sentence counts one featurizer gave the message (none: an empty row, the embedding still counts)."""
    for feature in _sparse_sentence_features(message):
        if feature.origin == origin:
            return feature.features
    return sp.csr_matrix((1, width))


def rescaled(similarity: float, floor: float) -> float:
    """A cosine similarity on a scale where ``floor`` (unrelated sentences) is 0 and identical is 1."""
    return max(0.0, (similarity - floor) / (1.0 - floor))


def for_language(config: dict[str, Any], language: str) -> dict[str, Any]:
    """The settings for one language: a setting may be given per language ({en: 10, ko: 100}).

    A language missing from such a mapping takes the default language's value.
    """
    default = languages().default
    return {
        name: (value[language] if language in value else value[default]) if isinstance(value, dict) else value
        for name, value in config.items()
    }
