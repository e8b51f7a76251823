import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import scipy.sparse as sp
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.svm import LinearSVC

from addons.linear_classifiers import (
    FaqClassifier,
    SentenceFeatures,
    SentenceIntentClassifier,
    fit_linear_model,
    rescaled,
)

DIRECTIONS = {"faq/shipping_cost": [1.0, 0.0, 0.0], "faq/returns_window": [0.0, 1.0, 0.0], "greet": [0.0, 0.0, 1.0]}


def embedded(text: str, label: str, noise: float) -> Message:
    message = Message.build(text=text, intent=label)
    message.set("language", "en")
    vector = np.asarray(DIRECTIONS[label]) + noise
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "sentence_embedding/en"))
    return message


@pytest.fixture
def training_data() -> TrainingData:
    examples = [embedded(f"{label} {i}", label, 0.05 * i) for label in DIRECTIONS for i in range(4)]
    return TrainingData(training_examples=examples)


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def trained_faq_classifier(tmp_path: Path, training_data: TrainingData, **options: Any) -> FaqClassifier:
    storage, resource = LocalModelStorage(tmp_path), Resource("faq")
    config = {**FaqClassifier.get_default_config(), **options}
    FaqClassifier.create(config, storage, resource, context()).train(training_data)
    return FaqClassifier.load(config, storage, resource, context())


def test_faq_classifier_round_trip(tmp_path: Path, training_data: TrainingData) -> None:
    loaded = trained_faq_classifier(tmp_path, training_data)

    [message] = loaded.process([embedded("how much is delivery", "faq/returns_window", 0.1)])
    selected = message.get("response_selector")["faq"]
    assert selected["response"]["intent_response_key"] == "faq/returns_window"
    assert [r["intent_response_key"] for r in selected["ranking"]] == ["faq/returns_window", "faq/shipping_cost"]
    assert sum(r["confidence"] for r in selected["ranking"]) == pytest.approx(1.0)


def test_intent_classifier_counts_retrieval_intents_as_one(tmp_path: Path, training_data: TrainingData) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("intent")
    config = SentenceIntentClassifier.get_default_config()
    SentenceIntentClassifier.create(config, storage, resource, context()).train(training_data)
    loaded = SentenceIntentClassifier.load(config, storage, resource, context())

    [message] = loaded.process([embedded("hello there", "greet", 0.1)])
    assert message.get("intent")["name"] == "greet"
    assert {r["name"] for r in message.get("intent_ranking")} == {"greet", "faq"}


def test_untrained_classifier_leaves_messages_alone(tmp_path: Path) -> None:
    config = FaqClassifier.get_default_config()
    loaded = FaqClassifier.load(config, LocalModelStorage(tmp_path), Resource("none"), context())
    [message] = loaded.process([embedded("hi", "greet", 0.0)])
    assert message.get("response_selector") is None


def test_missing_sentence_features_fail_clearly(tmp_path: Path, training_data: TrainingData) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("faq")
    classifier = FaqClassifier.create(FaqClassifier.get_default_config(), storage, resource, context())
    classifier.train(training_data)
    with pytest.raises(ValueError, match="SentenceEmbeddingFeaturizer"):
        classifier.process([Message.build(text="no features")])


def with_counts(message: Message, counts: list[float], origin: str = "words") -> Message:
    message.add_features(Features(sp.csr_matrix([counts]), "sentence", "text", origin))
    return message


def test_sentence_features_are_scaled_embedding_then_sublinear_tf_idf() -> None:
    messages = [
        with_counts(embedded("a", "greet", 0.0), [1.0, 0.0]),
        with_counts(embedded("b", "greet", 0.0), [math.e, 1.0]),
    ]
    features = SentenceFeatures.fit(messages, "en", dense_weight=2.0)
    # Smoothed idf: ln((1 + 2 documents) / (1 + document frequency)) + 1.
    assert features.origins == ["words"]
    np.testing.assert_allclose(features.idf[0], [1.0, math.log(1.5) + 1])
    rows = features.transform(messages).toarray()
    np.testing.assert_allclose(rows[0], [0.0, 0.0, 2.0, 1.0, 0.0])
    # Sublinear counts (1 + ln e = 2, 1), times the idf, L2-normalised.
    second = np.array([2.0, math.log(1.5) + 1])
    np.testing.assert_allclose(rows[1, 3:], second / np.linalg.norm(second))


def test_message_without_ngram_counts_still_gets_its_embedding() -> None:
    features = SentenceFeatures.fit([with_counts(embedded("a", "greet", 0.0), [1.0, 1.0])], "en", dense_weight=1.0)
    row = features.transform([embedded("b", "greet", 0.0)]).toarray()
    np.testing.assert_array_equal(row, [[0.0, 0.0, 1.0, 0.0, 0.0]])


def test_linear_svm_is_served_as_a_softmax_with_its_temperature(tmp_path: Path, training_data: TrainingData) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("intent")
    config = {**SentenceIntentClassifier.get_default_config(), "model": "linear_svm", "C": 1.0, "temperature": 3.0}
    for message in training_data.training_examples:
        with_counts(message, [1.0, 0.0] if message.get("intent") == "greet" else [0.0, 1.0])
    SentenceIntentClassifier.create(config, storage, resource, context()).train(training_data)
    loaded = SentenceIntentClassifier.load(config, storage, resource, context())

    [message] = loaded.process([with_counts(embedded("hello there", "greet", 0.1), [1.0, 0.0])])
    assert message.get("intent")["name"] == "greet"
    ranking = message.get("intent_ranking")
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)
    svm = LinearSVC(C=1.0, random_state=0).fit(
        SentenceFeatures.fit(training_data.training_examples, "en", 1.0).transform(training_data.training_examples),
        [m.get("intent") for m in training_data.training_examples],
    )
    margin = 3.0 * svm.decision_function(loaded._models["en"].features.transform([message]))[0]
    assert ranking[0]["confidence"] == pytest.approx(1 / (1 + math.exp(-abs(margin))))


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown model 'forest'"):
        fit_linear_model(sp.csr_matrix(np.eye(2)), ["a", "b"], {"model": "forest", "C": 1.0})


def test_served_row_equals_the_training_row() -> None:
    messages = [
        with_counts(with_counts(embedded("a", "greet", 0.0), [2.0, 0.0, 1.0]), [0.0, 3.0], "chars"),
        with_counts(embedded("b", "greet", 0.5), [0.0, 1.0, 1.0]),
    ]
    features = SentenceFeatures.fit(messages, "en", dense_weight=2.0)
    for message, row in zip(messages, features.transform(messages).toarray(), strict=True):
        indices, values = features.nonzeros(message)
        served = np.zeros_like(row)
        served[indices] = values
        np.testing.assert_allclose(served, row)


def test_ngrams_can_be_left_out() -> None:
    features = SentenceFeatures.fit([with_counts(embedded("a", "greet", 0.0), [1.0, 1.0])], "en", 1.0, ngrams=False)
    assert features.origins == []
    assert features.transform([with_counts(embedded("b", "greet", 0.0), [1.0, 0.0])]).shape == (1, 3)


def test_joint_confidence_makes_the_faq_intent_as_sure_as_its_answer(
    tmp_path: Path, training_data: TrainingData
) -> None:
    loaded = trained_faq_classifier(tmp_path, training_data, joint_confidence=True)
    message = embedded("how long do I have to send it back", "faq/returns_window", 0.0)
    message.set("intent", {"name": "faq", "confidence": 0.9})
    message.set("intent_ranking", [{"name": "faq", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}])

    [message] = loaded.process([message])
    answer = message.get("response_selector")["faq"]["response"]["confidence"]
    assert message.get("intent_ranking") == [
        {"name": "faq", "confidence": 0.9 * answer},
        {"name": "greet", "confidence": 0.1},
    ]
    assert message.get("intent") == {"name": "faq", "confidence": 0.9 * answer}


def test_joint_confidence_can_put_another_intent_first(tmp_path: Path, training_data: TrainingData) -> None:
    loaded = trained_faq_classifier(tmp_path, training_data, joint_confidence=True)
    message = Message.build(text="halfway between two FAQs")
    message.add_features(Features(np.array([[0.5, 0.5, 0.0]]), "sentence", "text", "sentence_embedding/en"))
    message.set("intent_ranking", [{"name": "faq", "confidence": 0.55}, {"name": "greet", "confidence": 0.45}])

    [message] = loaded.process([message])
    answer = message.get("response_selector")["faq"]["response"]["confidence"]
    assert answer < 0.6
    assert message.get("intent_ranking") == [
        {"name": "greet", "confidence": 0.45},
        {"name": "faq", "confidence": 0.55 * answer},
    ]
    assert message.get("intent") == {"name": "greet", "confidence": 0.45}


def test_similarity_confidence_also_weighs_the_faq_by_its_nearest_phrasing(
    tmp_path: Path, training_data: TrainingData
) -> None:
    loaded = trained_faq_classifier(tmp_path, training_data, joint_confidence=True, similarity_confidence=True)
    message = Message.build(text="is there a deadline for sending it back")
    message.add_features(Features(np.array([[0.0, 0.6, 0.8]]), "sentence", "text", "sentence_embedding/en"))
    message.set("intent_ranking", [{"name": "faq", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}])

    [message] = loaded.process([message])
    selected = message.get("response_selector")["faq"]["response"]
    assert selected["intent_response_key"] == "faq/returns_window"
    # The nearest returns_window phrasing is (0.15, 1.15, 0.15): 0.6 * 1.15 + 0.8 * 0.15 = 0.81.
    assert message.get("intent_ranking") == [
        {"name": "faq", "confidence": pytest.approx(0.9 * selected["confidence"] * 0.81)},
        {"name": "greet", "confidence": 0.1},
    ]


class ParcelLockerEncoder:
    """Stands in for the sentence encoder: every new phrasing means "parcel locker"."""

    def encode(self, texts: list[str]) -> npt.NDArray[np.float64]:
        return np.tile([0.0, 0.0, 1.0], (len(texts), 1))


def write_faqs(directory: Path, faqs: dict[str, list[str]]) -> None:
    entries = [{"id": i, "question": f"{i}?", "answer": f"{i}.", "phrasings": p} for i, p in faqs.items()]
    (directory / "shipping.yml").write_text(yaml.safe_dump({"topic": "shipping", "faqs": entries}))


def test_faq_classifier_answers_a_faq_added_since_training(
    tmp_path: Path, training_data: TrainingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("addons.linear_classifiers.encoder_for", lambda language: ParcelLockerEncoder())
    knowledge = tmp_path / "knowledge"
    (knowledge / "en").mkdir(parents=True)
    trained = {k.split("/")[1]: [f"{k} {i}" for i in range(4)] for k in DIRECTIONS if k.startswith("faq/")}
    write_faqs(knowledge / "en", trained)
    loaded = trained_faq_classifier(tmp_path, training_data, knowledge_dir=str(knowledge))

    write_faqs(knowledge / "en", {**trained, "parcel_lockers": ["can you deliver to a parcel locker"]})
    message = Message.build(text="could it go to a locker")
    vector = np.array([0.0, 0.1, 1.0]) / np.linalg.norm([0.0, 0.1, 1.0])
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "sentence_embedding/en"))
    [message] = loaded.process([message])

    similarity = pytest.approx(1 / np.sqrt(1.01))
    selected = message.get("response_selector")["faq"]
    assert selected["response"]["intent_response_key"] == "faq/parcel_lockers"
    assert selected["response"]["confidence"] == similarity
    assert next(r["intent_response_key"] for r in selected["ranking"]) == "faq/parcel_lockers"
    assert message.get("intent") == {"name": "faq", "confidence": similarity}


def test_similarities_are_rescaled_from_the_floor_of_unrelated_sentences() -> None:
    assert rescaled(0.9, 0.8) == pytest.approx(0.5)
    assert rescaled(1.0, 0.8) == pytest.approx(1.0)
    assert rescaled(0.75, 0.8) == 0.0
    assert rescaled(0.6, 0.0) == pytest.approx(0.6)
