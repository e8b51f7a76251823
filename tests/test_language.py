"""Language of a message and of a conversation (support/language.py, data/languages.yml)."""

import pytest

from support.language import languages, variation_in, variation_language

LANGUAGES = languages()


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("where is my order", "en"),
        ("배송비 얼마예요?", "ko"),
        ("환불 status 알려주세요", "ko"),
        ("배송 tracking 어디서 봐요", "ko"),
        ("I ordered the 김치 fridge last week", "en"),
        ("ㅋㅋㅋㅋ", "ko"),
        ("ㅠㅠ", "ko"),
        ("Café au lait mug", "en"),
    ],
)
def test_a_message_is_in_the_language_its_letters_weigh_most_in(text: str, language: str) -> None:
    assert LANGUAGES.detect(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "10421",
        "#10421",
        "👍👍",
        "😡",
        "?!",
        "",
        "   ",
        "mina.kim@example.com",
        "https://maru.example/faq",
        "HTTP://MARU.EXAMPLE",
        "www.maru.example 010-1234-5678",
        "010-1234-5678",
    ],
)
def test_numbers_emoji_punctuation_addresses_and_links_carry_no_language(text: str) -> None:
    assert LANGUAGES.detect(text) is None


def test_an_email_inside_a_korean_sentence_does_not_make_it_english() -> None:
    assert LANGUAGES.detect("주문할 때 jiho.park.shopping@example.com 썼어요") == "ko"


def test_markup_does_not_make_a_korean_message_english() -> None:
    assert LANGUAGES.detect("<b>배송</b> 언제 와요? <script>alert(1)</script>") == "ko"
    assert LANGUAGES.follow("ko", "<img src=x onerror=alert(1)>") == "ko"


def test_a_huge_message_without_spaces_is_read_in_linear_time() -> None:
    # 150,000 characters in one word took 30 s with a backtracking address pattern; pytest waits for it.
    assert LANGUAGES.detect("audience" * 18_750) == "en"
    assert LANGUAGES.detect("배송" * 75_000 + " <a" * 50_000) == "ko"


def test_the_first_message_decides_the_conversation() -> None:
    assert LANGUAGES.follow(None, "안녕하세요") == "ko"
    assert LANGUAGES.follow(None, "hello") == "en"


def test_the_channel_hint_counts_only_when_the_first_message_has_no_language() -> None:
    assert LANGUAGES.follow(None, "10421", hint="ko-KR") == "ko"
    assert LANGUAGES.follow(None, "👋", hint="ko") == "ko"
    assert LANGUAGES.follow(None, "hello", hint="ko-KR") == "en"
    assert LANGUAGES.follow(None, "10421", hint="fr-FR") == "en"
    assert LANGUAGES.follow("en", "10421", hint="ko-KR") == "en"


def test_a_message_with_no_language_keeps_the_conversation_s() -> None:
    assert LANGUAGES.follow("ko", "10421") == "ko"
    assert LANGUAGES.follow("ko", "👍") == "ko"
    assert LANGUAGES.follow("en", "mina@example.com") == "en"


def test_a_few_letters_of_another_language_do_not_switch() -> None:
    assert LANGUAGES.follow("ko", "ok") == "ko"
    assert LANGUAGES.follow("ko", "thanks!") == "ko"
    assert LANGUAGES.follow("en", "네") == "en"


def test_a_clear_message_in_another_language_switches_back_and_forth() -> None:
    language = "en"
    for text, expected in [
        ("where is my order", "en"),
        ("아 한국어로 해도 돼요?", "ko"),
        ("10421", "ko"),
        ("ok", "ko"),
        ("actually, can we continue in English", "en"),
        ("네 감사합니다", "ko"),
    ]:
        language = LANGUAGES.follow(language, text)
        assert language == expected, text


def test_hints_are_read_from_locale_tags() -> None:
    assert LANGUAGES.from_hint("ko-KR") == "ko"
    assert LANGUAGES.from_hint("en_US") == "en"
    assert LANGUAGES.from_hint("KO") == "ko"
    assert LANGUAGES.from_hint("ja-JP") is None
    assert LANGUAGES.from_hint(None) is None


def test_languages_have_their_own_names_and_the_default_comes_first() -> None:
    assert LANGUAGES.codes == ["en", "ko"]
    assert LANGUAGES.name("ko") == "한국어"


KOREAN = {"text": "안녕하세요", "condition": [{"type": "slot", "name": "language", "value": "ko"}]}
PLAIN = {"text": "Hello"}
OTHER_CONDITION = {"text": "Welcome back", "condition": [{"type": "slot", "name": "returning", "value": True}]}


def test_a_variation_s_language_is_its_language_condition() -> None:
    assert variation_language(KOREAN) == "ko"
    assert variation_language(PLAIN) is None
    assert variation_language(OTHER_CONDITION) is None


def test_a_response_is_read_in_the_language_else_from_its_plain_variation() -> None:
    assert variation_in([OTHER_CONDITION, PLAIN, KOREAN], "ko") == KOREAN
    assert variation_in([OTHER_CONDITION, PLAIN, KOREAN], "en") == PLAIN
    assert variation_in([OTHER_CONDITION], "en") is None
