from pathlib import Path

import numpy as np
import pytest

from frustration.model import CharNgrams, FloatArray, TurnModel
from frustration.scoring import lexicon_for

LEXICON = lexicon_for("ko")
CALM = ["네 알겠습니다", "배송 언제 와요?", "네 감사합니다", "반품하고 싶어요", "주소 바꿔 주세요", "좋아요"]
FRUSTRATED = ["ㅋ", "ㅎ", "네??", "하...", "아 네네", "ㅋㅋ 네"]


def flat_encoder(texts: list[str]) -> FloatArray:
    """An encoder that tells the turns nothing apart, so only the n-grams and word lists can."""
    return np.ones((len(texts), 4))


def trained() -> TurnModel:
    return TurnModel.fit(CALM + FRUSTRATED, [False] * len(CALM) + [True] * len(FRUSTRATED), flat_encoder, LEXICON)


def test_n_grams_seen_once_are_left_out() -> None:
    ngrams = CharNgrams.fit(["ㅋㅋ 네", "ㅋ", "배송"])
    assert "ㅋ" in ngrams.vocabulary
    assert "배" not in ngrams.vocabulary
    assert len(ngrams.idf) == len(ngrams.vocabulary)


def test_n_grams_carry_the_tone_an_embedding_misses() -> None:
    model = trained()
    probability = model.probability
    assert probability("ㅋ 네", np.ones(4), 0.0) > 0.5 > probability("네 알겠어요", np.ones(4), 0.0)


def test_a_saved_model_scores_as_the_trained_one(tmp_path: Path) -> None:
    model = trained()
    model.save(tmp_path / "model.npz")
    loaded = TurnModel.load(tmp_path / "model.npz")
    assert loaded.ngrams.vocabulary == model.ngrams.vocabulary
    for text in ["하... 네", "주소 바꿔 주세요", "unseen words"]:
        assert loaded.probability(text, np.ones(4), 0.2) == pytest.approx(model.probability(text, np.ones(4), 0.2))
