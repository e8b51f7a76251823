from pathlib import Path

import pytest

from bot.texts import Texts
from tests.conftest import ROOT


def test_reads_gateway_texts_from_the_domain() -> None:
    texts = Texts.load(ROOT / "domain.yml")
    assert texts.get("utter_rate_limited").startswith("You're sending messages faster")


def test_language_variation_wins_and_falls_back_to_the_plain_one() -> None:
    texts = Texts(
        {
            "utter_hi": [
                {"text": "안녕하세요", "condition": [{"type": "slot", "name": "language", "value": "ko"}]},
                {"text": "Hello"},
            ]
        }
    )
    assert texts.get("utter_hi", "ko") == "안녕하세요"
    assert texts.get("utter_hi", "en") == "Hello"
    assert texts.get("utter_hi", "ja") == "Hello"


def test_unknown_response_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="utter_nothing"):
        Texts({}).get("utter_nothing")
