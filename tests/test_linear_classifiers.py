from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.linear_classifiers import FaqClassifier, SentenceIntentClassifier

DIRECTIONS = {"faq/shipping_cost": [1.0, 0.0, 0.0], "faq/returns_window": [0.0, 1.0, 0.0], "greet": [0.0, 0.0, 1.0]}


def embedded(text: str, label: str, noise: float) -> Message:
    message = Message.build(text=text, intent=label)
    vector = np.asarray(DIRECTIONS[label]) + noise
    message.add_features(Features(vector[np.newaxis, :], "sentence", "text", "encoder"))
    return message


@pytest.fixture
def training_data() -> TrainingData:
    examples = [embedded(f"{label} {i}", label, 0.05 * i) for label in DIRECTIONS for i in range(4)]
    return TrainingData(training_examples=examples)


def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), "test")


def test_faq_classifier_round_trip(tmp_path: Path, training_data: TrainingData) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("faq")
    config = FaqClassifier.get_default_config()
    FaqClassifier.create(config, storage, resource, context()).train(training_data)
    loaded = FaqClassifier.load(config, storage, resource, context())

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
