"""Kiwi morphemes for Korean, whitespace tokens for the rest (addons/korean_tokenizer.py)."""

from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from addons.korean_tokenizer import KoreanTokenizer

CONFIG = WhitespaceTokenizer.get_default_config()


def tokens(text: str, language: str | None = None) -> list[str]:
    data = {"text": text, **({"language": language} if language else {})}
    return [t.text for t in KoreanTokenizer(CONFIG).tokenize(Message(data=data), "text")]


def test_korean_is_split_into_morphemes_whatever_the_spacing() -> None:
    assert tokens("배송비는 얼마예요?", "ko")[:2] == ["배송비", "는"]
    assert tokens("배송비얼마예요", "ko")[:2] == ["배송비", "얼마"]


def test_other_languages_get_rasa_s_whitespace_tokens() -> None:
    english = Message(data={"text": "how much is shipping?", "language": "en"})
    assert tokens("how much is shipping?", "en") == [
        t.text for t in WhitespaceTokenizer(CONFIG).tokenize(english, "text")
    ]


def test_without_a_language_mark_the_text_decides() -> None:
    assert tokens("환불 status 알려주세요")[0] == "환불"
