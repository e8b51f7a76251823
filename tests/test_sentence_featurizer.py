import os

import numpy as np
import numpy.typing as npt
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.nlu.training_data.message import Message

from addons.sentence_featurizer import SentenceEmbeddingFeaturizer, sentence_vector

FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def featurizer() -> SentenceEmbeddingFeaturizer:
    assert os.environ.get("HF_HUB_OFFLINE") == "1", "the encoder must load without the network"
    config = SentenceEmbeddingFeaturizer.get_default_config()
    return SentenceEmbeddingFeaturizer(config, ExecutionContext(GraphSchema({}), "test").node_name)


def vector(featurizer: SentenceEmbeddingFeaturizer, text: str, language: str = "en") -> FloatArray:
    [message] = featurizer.process([Message(data={"text": text, "language": language})])
    return sentence_vector(message)


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
    batch = [Message(data={"text": short, "language": "en"}), Message(data={"text": long, "language": "en"})]
    [batched] = featurizer.process(batch)[:1]
    np.testing.assert_allclose(vector(featurizer, short), sentence_vector(batched), atol=1e-6)
    assert vector(featurizer, long).shape == (384,)


def test_korean_is_read_by_the_multilingual_encoder(featurizer: SentenceEmbeddingFeaturizer) -> None:
    shipping = vector(featurizer, "배송비 얼마예요?", "ko")
    assert shipping.shape == (384,)
    assert np.linalg.norm(shipping) == pytest.approx(1.0, abs=1e-5)
    assert shipping @ vector(featurizer, "택배비가 얼마인가요", "ko") > shipping @ vector(
        featurizer, "비밀번호를 잊어버렸어요", "ko"
    )


def test_a_training_example_without_language_is_read_in_every_language(
    featurizer: SentenceEmbeddingFeaturizer,
) -> None:
    [message] = featurizer.process([Message(data={"text": "10421"})])
    assert sentence_vector(message, "en").shape == sentence_vector(message, "ko").shape == (384,)
    assert not np.allclose(sentence_vector(message, "en"), sentence_vector(message, "ko"))
