import os
import time
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeError, KnowledgeRepository
from tests.conftest import ROOT

TOPICS = {
    "shipping", "delivery_times", "returns_refunds", "payments", "orders",
    "account", "products_warranty", "privacy", "business_hours", "contact",
}  # fmt: skip


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    return KnowledgeBase.load(ROOT / "data" / "knowledge")


def test_knowledge_base_covers_every_topic_with_enough_faqs(base: KnowledgeBase) -> None:
    faqs = base.faqs("en")
    assert {faq.topic for faq in faqs} == TOPICS
    assert len(faqs) >= 60


def test_every_faq_has_eight_phrasings_and_two_held_out(base: KnowledgeBase) -> None:
    short = [faq.id for faq in base if len(faq.phrasings) < 8 or len(faq.held_out) < 2]
    assert short == []


def test_no_phrasing_belongs_to_two_faqs(base: KnowledgeBase) -> None:
    owners: dict[str, str] = {}
    clashes = []
    for faq in base:
        for phrasing in (*faq.phrasings, *faq.held_out):
            key = phrasing.casefold()
            if key in owners and owners[key] != faq.id:
                clashes.append((phrasing, owners[key], faq.id))
            owners[key] = faq.id
    assert clashes == []


def test_lookup_by_id_and_language(base: KnowledgeBase) -> None:
    faq = base.get("shipping_cost", "en")
    assert faq is not None
    assert faq.topic == "shipping"
    assert "₩3,000" in faq.answer
    korean = base.get("shipping_cost", "ko")
    assert korean is not None
    assert "3,000원" in korean.answer
    assert base.get("shipping_cost", "ja") is None


def _write(path: Path, answer: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "topic: demo\nlanguage: en\nfaqs:\n"
        f"  - id: demo_question\n    question: Demo?\n    answer: {answer}\n    phrasings: [one, two]\n",
        encoding="utf-8",
    )


def test_repository_reloads_an_edited_answer(tmp_path: Path) -> None:
    file = tmp_path / "en" / "demo.yml"
    _write(file, "First answer.")
    repository = KnowledgeRepository(tmp_path)
    assert repository.current().get("demo_question", "en").answer == "First answer."  # type: ignore[union-attr]
    _write(file, "Second answer.")
    later = time.time_ns() + 1_000_000_000
    os.utime(file, ns=(later, later))
    assert repository.current().get("demo_question", "en").answer == "Second answer."  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("faqs: [", "not valid YAML"),
        ("topic: demo\n", "expected a mapping with a 'faqs' list"),
        ("faqs:\n  - id: Bad-Id\n    question: q?\n    answer: a\n    phrasings: [x]\n", "must be snake_case"),
        ("faqs:\n  - id: no_answer\n    question: q?\n    phrasings: [x]\n", "lacks answer"),
        ("language: ko\nfaqs: []\n", "differs from its folder"),
    ],
)
def test_malformed_files_fail_with_a_clear_reason(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "broken.yml").write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=message):
        KnowledgeBase.load(tmp_path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "en" / "a.yml", "A.")
    _write(tmp_path / "en" / "b.yml", "B.")
    with pytest.raises(KnowledgeError, match="defined twice"):
        KnowledgeBase.load(tmp_path)


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="no knowledge files"):
        KnowledgeBase.load(tmp_path)
