"""Splits Korean messages into morphemes (kiwipiepy), and every other message on whitespace.

Korean attaches particles and endings to words: "배송비는", "배송비가" and "배송비얼마에요" share
one content word that whitespace splitting never isolates. Kiwi's morphemes ("배송비", "얼마",
"이", "에요") give the word n-grams the same vocabulary whatever the ending or the spacing.
Messages in other languages get exactly the tokens of Rasa's ``WhitespaceTokenizer``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message

from addons.language_detector import LANGUAGE
from support.language import languages

MORPHEME_LANGUAGE = "ko"
# Kiwi's tags for punctuation and brackets; symbols (ㅠㅠ, ㅋㅋ) and foreign words stay.
PUNCTUATION_TAGS = frozenset({"SF", "SP", "SS", "SSO", "SSC", "SE", "SO"})


@lru_cache(maxsize=1)
def kiwi() -> Any:
    """One Kiwi analyser per process (its model ships in the kiwipiepy-model package)."""
    from kiwipiepy import Kiwi

    return Kiwi()


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class KoreanTokenizer(WhitespaceTokenizer):
    """Morphemes for Korean messages, whitespace tokens for the rest."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """The message's tokens, by the rules of its language."""
        text = message.get(attribute) or ""
        language = message.get(LANGUAGE) or languages().detect(text)
        tokens: list[Token] = []
        if language == MORPHEME_LANGUAGE and text.strip():
            tokens = morphemes(text)
        return tokens or list(super().tokenize(message, attribute))


def morphemes(text: str) -> list[Token]:
    """Kiwi's morphemes of a text, in their dictionary form, without punctuation."""
    return [
        Token(token.form, token.start, end=token.start + token.len, lemma=token.form)
        for token in kiwi().tokenize(text)
        if token.tag not in PUNCTUATION_TAGS
    ]
