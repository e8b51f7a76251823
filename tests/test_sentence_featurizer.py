import os

import numpy as np
import numpy.typing as npt
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.training_data.message import Message

from addons.sentence_featurizer import SentenceEmbeddingFeaturizer

FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def featurizer() -> SentenceEmbeddingFeaturizer:
    assert os.environ.get("HF_HUB_OFFLINE") == "1", "the encoder must load without the network"
    config = SentenceEmbeddingFeaturizer.get_default_config()
    return SentenceEmbeddingFeaturizer(config, ExecutionContext(GraphSchema({}), "test").node_name)


def vector(featurizer: SentenceEmbeddingFeaturizer, text: str) -> FloatArray:
    [message] = featurizer.process([Message(data={"text": text})])
    _, sentence = message.get_dense_features("text")
    assert sentence is not None
    return np.asarray(sentence.features).reshape(-1)


def test_same_text_gives_the_same_unit_vector(featurizer: SentenceEmbeddingFeaturizer) -> None:
    first, second = vector(featurizer, "how much is shipping"), vector(featurizer, "how much is shipping")
    assert first.shape == (384,)
    assert np.array_equal(first, second)
    assert np.linalg.norm(first) == pytest.approx(1.0, abs=1e-5)


def test_paraphrases_are_closer_than_other_topics(featurizer: SentenceEmbeddingFeaturizer) -> None:
    shipping = vector(featurizer, "how much is shipping")
    assert shipping @ vector(featurizer, "what does delivery cost") > shipping @ vector(featurizer, "reset my password")


def test_messages_without_text_are_skipped(featurizer: SentenceEmbeddingFeaturizer) -> None:
    [message] = featurizer.process([Message(data={"text": ""})])
    assert message.get_dense_features("text") == (None, None)


def test_single_messages_get_the_same_vector_as_in_a_batch(featurizer: SentenceEmbeddingFeaturizer) -> None:
    short, long = "where is my parcel", " ".join(["my order from last week has still not arrived"] * 4)
    [batched] = featurizer.process([Message(data={"text": short}), Message(data={"text": long})])[:1]
    _, sentence = batched.get_dense_features("text")
    assert sentence is not None
    np.testing.assert_allclose(vector(featurizer, short), np.asarray(sentence.features).reshape(-1), atol=1e-6)
    assert vector(featurizer, long).shape == (384,)
