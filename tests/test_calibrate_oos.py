from pathlib import Path

import pytest

from knowledge import KnowledgeBase
from scripts.calibrate_oos import (
    MIN_OOS_RECALL,
    OOS_DIR,
    Case,
    Parse,
    choose,
    decide,
    examples,
    score,
    split_half,
    to_parse,
)
from scripts.evaluate_nlu import language_file

ROOT = Path(__file__).resolve().parent.parent

FAQ = Parse((("faq", 0.8), ("greet", 0.15)), "returns_window")


def test_split_alternates_within_each_label_whatever_the_input_order() -> None:
    cases = [Case(f"hello {i}", "greet") for i in range(5)] + [Case("bye", "goodbye")]
    validation, test = split_half(cases)
    assert (len(validation), len(test)) == (3, 3)
    assert [c.intent for c in validation + test].count("greet") == 5
    assert split_half(reversed(cases)) == (validation, test)
    assert {c.intent for c in validation} == {"goodbye", "greet"}


def test_to_parse_drops_the_fallback_entry() -> None:
    parsed = {
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.4},
            {"name": "faq", "confidence": 0.35},
            {"name": "greet", "confidence": 0.3},
        ],
        "response_selector": {"faq": {"response": {"intent_response_key": "faq/returns_window"}}},
    }
    assert to_parse(parsed) == Parse((("faq", 0.35), ("greet", 0.3)), "returns_window")


def test_decide_rejects_out_of_scope_low_confidence_and_close_calls() -> None:
    assert decide(FAQ, threshold=0.5, margin=0.3) == ("faq", "returns_window")
    assert decide(FAQ, threshold=0.85, margin=0.0) == ("out_of_scope", None)
    assert decide(FAQ, threshold=0.0, margin=0.7) == ("out_of_scope", None)
    assert decide(Parse((("out_of_scope", 0.9), ("faq", 0.1))), 0.0, 0.0) == ("out_of_scope", None)
    assert decide(Parse((("greet", 0.9), ("faq", 0.1)), "returns_window"), 0.0, 0.0) == ("greet", None)


def test_score_counts_the_right_answer_and_rejected_out_of_scope() -> None:
    cases = [
        Case("can I send it back", "faq", "returns_window"),
        Case("how much is delivery", "faq", "shipping_cost"),
        Case("hi", "greet"),
        Case("weather?", "out_of_scope"),
    ]
    parses = [FAQ, FAQ, Parse((("greet", 0.55), ("faq", 0.45))), Parse((("faq", 0.6), ("greet", 0.4)), "x")]
    assert score(cases, parses, 0.0, 0.0).__dict__ == {
        "intent_accuracy": 1.0,
        "answer_accuracy": 0.6667,
        "oos_recall": 0.0,
        "in_scope": 3,
        "out_of_scope": 1,
    }
    strict = score(cases, parses, 0.7, 0.0)
    assert (strict.intent_accuracy, strict.answer_accuracy, strict.oos_recall) == (0.6667, 0.3333, 1.0)


def test_choose_takes_the_lowest_threshold_that_separates_the_cases() -> None:
    cases = [Case("a", "greet"), Case("b", "out_of_scope")]
    parses = [Parse((("greet", 0.9), ("faq", 0.1))), Parse((("greet", 0.5), ("faq", 0.42)))]
    assert choose(cases, parses) == (0.0, 0.1)


def test_choose_keeps_enough_out_of_scope_recall_and_then_answers_most() -> None:
    greet, unknown = Case("hi", "greet"), Case("weather?", "out_of_scope")
    cases = [greet, greet, greet, *[unknown] * 7]
    # 0.6 catches 6 of the 7 unknown messages (86 %) and loses one greeting; 0.8 catches all
    # (a better balanced accuracy) but loses two greetings.
    parses = [
        Parse((("greet", 0.9),)),
        Parse((("greet", 0.7),)),
        Parse((("greet", 0.5),)),
        *[Parse((("greet", 0.55),))] * 6,
        Parse((("greet", 0.75),)),
    ]
    assert MIN_OOS_RECALL <= 6 / 7
    assert choose(cases, parses) == (0.6, 0.0)


def test_choose_falls_back_to_balanced_accuracy_when_no_pair_has_enough_recall() -> None:
    cases = [Case("hi", "greet"), Case("weather?", "out_of_scope"), Case("stocks?", "out_of_scope")]
    parses = [
        Parse((("greet", 0.99), ("faq", 0.01))),
        Parse((("greet", 0.97), ("faq", 0.02))),  # beyond every threshold and margin: recall stays at 50 %
        Parse((("greet", 0.2), ("faq", 0.19))),
    ]
    assert choose(cases, parses) == (0.0, 0.05)


@pytest.mark.parametrize("language", ["en", "ko"])
def test_out_of_scope_sets_are_disjoint_from_each_other_and_from_training(language: str) -> None:
    validation, test = (
        {text.lower() for _, text in examples(language_file(OOS_DIR, f"out_of_scope_{split}", language))}
        for split in ("validation", "test")
    )
    training = {text.lower() for path in (ROOT / "data" / "nlu").rglob("*.yml") for _, text in examples(path)}
    faqs = KnowledgeBase.load(ROOT / "data" / "knowledge").faqs(language)
    training |= {text.lower() for faq in faqs for text in faq.phrasings}
    held_out = {text.lower() for faq in faqs for text in faq.held_out}
    held_out |= {text.lower() for _, text in examples(language_file(ROOT / "tests" / "nlu", "core_held_out", language))}
    assert len(validation) >= 100
    assert len(test) >= 100
    assert not validation & test
    assert not (validation | test) & (training | held_out)
