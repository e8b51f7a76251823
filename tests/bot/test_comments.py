"""The survey-comment categoriser: keyword rules per language from data/feedback/categories.yml."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.comments import CATEGORIES, categorise, load_rules, words_of


@pytest.mark.parametrize(
    "text",
    [
        "The parcel arrived three days late.",
        "delivery was SLOW!!!",
        "Still waiting for my package, tracking hasn't moved",
        "Courier left it at the wrong address",
        "It never came",
    ],
)
def test_delivery(text: str) -> None:
    assert categorise(text, "en") == "delivery"


@pytest.mark.parametrize(
    "text",
    [
        "Where is my REFUND?",
        "I want my money back",
        "was charged twice for one order",
        "the return was a hassle",
        "Reimbursement took 3 weeks...",
    ],
)
def test_refund(text: str) -> None:
    assert categorise(text, "en") == "refund"


@pytest.mark.parametrize(
    "text",
    [
        "the kettle is broken",
        "Poor quality, it's cracked.",
        "Item doesn't work",
        "doesnt work after a week",
        "wrong size and colour",
    ],
)
def test_product(text: str) -> None:
    assert categorise(text, "en") == "product"


@pytest.mark.parametrize(
    "text",
    [
        "It didn't understand me at all",
        "you MISUNDERSTOOD my question",
        "Kept asking the same thing, going in circles",
        "useless bot!!",
        "talking to a robot, wrong answers",
    ],
)
def test_bot_misunderstood(text: str) -> None:
    assert categorise(text, "en") == "bot_misunderstood"


@pytest.mark.parametrize(
    "text",
    [
        "The agent was lovely",
        "Mina (AGENT) sorted it out :)",
        "staff were rude",
        "Great to talk to a real person",
        "your representative was very friendly",
    ],
)
def test_agent(text: str) -> None:
    assert categorise(text, "en") == "agent"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "thanks!",
        "Great service, 10/10",
        "ok",
        "<script>alert(1)</script>",
        # Words that contain a keyword but are other words: no prefix match unless the keyword asks for it.
        "very productive chat, thanks",
        "latest news please",
        "the bot was great",
    ],
)
def test_no_theme_is_other(text: str) -> None:
    assert categorise(text, "en") == "other"


def test_the_theme_with_most_keywords_wins() -> None:
    # delivery: parcel, late, delay*  vs  agent: agent
    assert categorise("The agent was nice but the parcel was late and delayed", "en") == "delivery"


def test_a_tie_goes_to_the_theme_listed_first() -> None:
    # one keyword each; agent is listed before refund in the file
    assert categorise("the agent handled my refund", "en") == "agent"


def test_a_language_without_rules_uses_english() -> None:
    assert categorise("my parcel is late", "xx") == "delivery"


def test_words_ignore_case_apostrophes_and_punctuation() -> None:
    assert words_of("DIDN'T… didn’t, (Didnt)!") == ["didnt", "didnt", "didnt"]


def test_the_shipped_file_has_only_known_categories() -> None:
    rules = load_rules()
    assert set(rules) == {"en", "ko"}
    for language in rules:
        assert {category for category, _ in rules[language].categories} == set(CATEGORIES) - {"other"}


@pytest.mark.parametrize(
    ("comment", "category"),
    [
        ("택배가 일주일째 안 와요", "delivery"),
        ("환불은 언제 들어오나요", "refund"),
        ("챗봇이 말을 못 알아들어요", "bot_misunderstood"),
        ("상담원분이 정말 친절했어요", "agent"),
        ("받은 냄비 뚜껑이 깨져 있었어요", "product"),
    ],
)
def test_korean_comments_are_sorted_by_the_shipped_words(comment: str, category: str) -> None:
    assert categorise(comment, "ko") == category


def test_a_korean_block_matches_stems_with_particles(tmp_path: Path) -> None:
    rules_file = tmp_path / "categories.yml"
    rules_file.write_text("ko:\n  delivery: [배송*, 택배*]\n  refund: [환불*]\n", encoding="utf-8")
    rules = load_rules(rules_file)["ko"]
    assert rules.categorise("배송이 너무 늦어요") == "delivery"
    assert rules.categorise("환불은 언제 되나요?") == "refund"
    assert rules.categorise("감사합니다") == "other"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("en:\n  shipping: [parcel]\n", "unknown category 'shipping'"),
        ("en:\n  other: [parcel]\n", "unknown category 'other'"),
        ("en:\n  delivery: []\n", "needs a list of keywords"),
        ("en:\n  delivery: ['*']\n", "has a part without letters"),
        ("en:\n  delivery: ['']\n", "empty keyword"),
        ("en: [parcel]\n", "expected categories"),
    ],
)
def test_a_malformed_file_is_refused(tmp_path: Path, content: str, message: str) -> None:
    rules_file = tmp_path / "categories.yml"
    rules_file.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_rules(rules_file)
