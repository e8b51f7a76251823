"""One test per validation rule: the clear error, and files left as they were."""

import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from knowledge import EditRefused, KnowledgeBase, KnowledgeEditor, Rules, check_directory, validate_training_data
from knowledge.validation import answer_numbers, language_warnings, link_errors
from tests.conftest import ROOT

SHIPPED = ROOT / "data" / "knowledge"
TEN = [f"do you deliver to parcel lockers in district {n}" for n in range(10)]


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(SHIPPED, copy)
    return copy


@pytest.fixture
def editor(directory: Path) -> KnowledgeEditor:
    return KnowledgeEditor(directory, directory.parent / "changes.jsonl")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*.yml"))}


def refused(editor: KnowledgeEditor, edit: Callable[[KnowledgeEditor], object]) -> list[str]:
    """The errors of a refused edit, after checking that it touched no file and logged nothing."""
    before = snapshot(editor.directory)
    with pytest.raises(EditRefused) as refusal:
        edit(editor)
    assert snapshot(editor.directory) == before
    assert editor.changes() == []
    return refusal.value.errors


def test_the_shipped_knowledge_base_passes_every_rule() -> None:
    report = check_directory(SHIPPED)
    assert report.errors == []
    assert report.ok


# Schema


def test_a_file_with_an_unknown_key_refuses_every_edit(editor: KnowledgeEditor, directory: Path) -> None:
    path = directory / "en" / "shipping.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("    held_out:", "    notes: x\n    held_out:", 1))
    errors = refused(editor, lambda e: e.edit_answer("mina", "en", "refund_timing", "Fast."))
    assert len(errors) == 1
    assert errors[0].startswith("the knowledge files cannot be read: ")
    assert errors[0].endswith(
        "shipping.yml: unknown key(s) notes in FAQ shipping_cost; allowed: "
        + "id, question, answer, phrasings, held_out"
    )
    assert check_directory(directory).errors == [errors[0].removeprefix("the knowledge files cannot be read: ")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("      - delivery fee\n", "      - yes\n"),
            "FAQ shipping_cost: phrasings entry True is not text; put it in quotes",
        ),
        (("language: en", "language: ko"), "language 'ko' differs from its folder"),
        (("    question: How much does shipping cost?\n", ""), "FAQ shipping_cost lacks question"),
        (
            ("  - id: shipping_cost", "  - id: Shipping-Cost"),
            "FAQ id 'Shipping-Cost' must be snake_case, at most 40 chars",
        ),
        (("faqs:", "faqs: {"), "not valid YAML"),
    ],
)
def test_schema_errors_in_a_file_are_reported(directory: Path, change: tuple[str, str], message: str) -> None:
    path = directory / "en" / "shipping.yml"
    path.write_text(path.read_text(encoding="utf-8").replace(*change, 1), encoding="utf-8")
    errors = check_directory(directory).errors
    assert len(errors) == 1
    assert message in errors[0]


def test_an_faq_id_that_is_not_snake_case_is_refused(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.add_faq("mina", "en", "shipping", "Parcel-Lockers", "Lockers?", "No.", TEN))
    assert errors == [
        "FAQ Parcel-Lockers (en): the id must be snake_case, start with a letter and have 2 to 40 characters"
    ]


def test_an_faq_in_a_language_without_a_folder_is_refused(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.add_faq("mina", "ja", "shipping", "parcel_lockers", "Lockers?", "No.", TEN))
    assert errors == ["there are no knowledge files for language 'ja'"]


# No phrasing in two FAQs, none equal to a held-out phrasing


def test_a_phrasing_of_another_faq_is_refused_ignoring_case_and_spaces(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.add_phrasing("mina", "en", "refund_timing", "  How MUCH   is shipping "))
    assert errors == ["the phrasing 'how much is shipping' belongs to two FAQs: refund_timing and shipping_cost (en)"]


def test_a_phrasing_listed_twice_in_one_faq_is_refused(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.add_phrasing("mina", "en", "shipping_cost", "Delivery Fee"))
    assert errors == ["the phrasing 'Delivery Fee' is listed twice in shipping_cost (en)"]


def test_a_held_out_phrasing_is_refused_as_a_training_phrasing(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.add_phrasing("mina", "en", "refund_timing", "delivery charges please"))
    assert errors == [
        "the phrasing 'delivery charges please' of refund_timing is a held-out phrasing of shipping_cost (en); "
        "held-out phrasings only test the model"
    ]


# Near duplicates are warned about, with a score


def test_a_near_duplicate_phrasing_is_saved_with_a_warning_and_its_score(editor: KnowledgeEditor) -> None:
    change = editor.add_phrasing("mina", "en", "shipping_free_threshold", "how much is shipping?")
    assert change.warnings == (
        "‘how much is shipping?’ (shipping_free_threshold) is 0.98 similar to ‘how much is shipping’ (shipping_cost)",
        "‘how much is shipping?’ (shipping_free_threshold) is 0.95 similar to ‘how much is shiping’ (shipping_cost)",
    )
    assert editor.changes()[0].warnings == change.warnings
    report = editor.check(KnowledgeBase.load(editor.directory))
    assert report.errors == []
    scores = [w.split(" similar")[0][-4:] for w in report.warnings if "‘how much is shipping?’" in w]
    assert sorted(scores) == ["0.95", "0.98"]


def test_the_warning_threshold_is_a_rule(directory: Path) -> None:
    editor = KnowledgeEditor(directory, directory.parent / "changes.jsonl", Rules(near_duplicate_warning=0.7))
    change = editor.add_phrasing("mina", "en", "shipping_free_threshold", "how long does shipping take")
    assert any(
        "(shipping_free_threshold) is 0.7" in w or "(shipping_free_threshold) is 0.8" in w for w in change.warnings
    )


# At least N phrasings, a question and an answer


def test_an_faq_with_too_few_phrasings_is_refused(editor: KnowledgeEditor) -> None:
    errors = refused(
        editor, lambda e: e.add_faq("mina", "en", "shipping", "parcel_lockers", "Lockers?", "No.", TEN[:3])
    )
    assert errors == ["FAQ parcel_lockers (en): has 3 phrasings; at least 10 are needed"]


def test_removing_a_phrasing_below_the_minimum_is_refused(directory: Path) -> None:
    fewest = min(len(faq.phrasings) for faq in KnowledgeBase.load(directory))
    editor = KnowledgeEditor(directory, directory.parent / "changes.jsonl", Rules(min_phrasings=fewest))
    faq = next(faq for faq in KnowledgeBase.load(directory) if len(faq.phrasings) == fewest)
    errors = refused(editor, lambda e: e.remove_phrasing("mina", "en", faq.id, faq.phrasings[0]))
    assert errors == [f"FAQ {faq.id} (en): has {fewest - 1} phrasings; at least {fewest} are needed"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda e: e.edit_answer("mina", "en", "shipping_cost", " \n "), "FAQ shipping_cost (en): the answer is empty"),
        (
            lambda e: e.add_faq("mina", "en", "shipping", "lockers", " ", "No.", TEN),
            "FAQ lockers (en): the question is empty",
        ),
        (lambda e: e.add_phrasing("mina", "en", "shipping_cost", "   "), "the phrasing is empty"),
    ],
    ids=["answer", "question", "phrasing"],
)
def test_empty_text_is_refused(
    editor: KnowledgeEditor, edit: Callable[[KnowledgeEditor], object], message: str
) -> None:
    assert refused(editor, edit) == [message]


# Length limits


def test_an_answer_over_the_limit_is_refused(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.edit_answer("mina", "en", "shipping_cost", "word " * 301))
    assert errors == ["FAQ shipping_cost (en): the answer has 1504 characters; at most 1500 are allowed"]


def test_a_phrasing_over_the_limit_is_refused(editor: KnowledgeEditor) -> None:
    long = "could you please tell me " * 9
    errors = refused(editor, lambda e: e.add_phrasing("mina", "en", "shipping_cost", long))
    assert errors == [
        "FAQ shipping_cost (en): the phrasing 'could you please tell me could you plea…' has 224 characters; "
        "at most 200 are allowed"
    ]


# Links


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("See [it](http://maru.example/x).", "the link [it](http://maru.example/x) must point to an https:// address"),
        ("See [it](javascript:void).", "the link [it](javascript:void) must point to an https:// address"),
        ("See [it](javascript:alert(1)).", "'javascript:alert(1' is not an https:// address"),
        ("See [it](https://maru.example/a b).", "the link [it](https://maru.example/a b) must point"),
        ("See [it](/shipping).", "the link [it](/shipping) must point to an https:// address with no spaces"),
        (
            "See [it(https://maru.example/x).",
            "broken markdown: unbalanced [ near 'See [it(https://maru.example/x).'",
        ),
        ("Closed] early [and open", "broken markdown: unbalanced ] near 'Closed] early [and open'"),
        ("[a [b] c", "broken markdown: unbalanced [ near '[a [b] c'"),
        (
            "See [it] (https://maru.example/x).",
            "the link [it] (https://maru.example/x) has a space between ] and (; write [text](https://…)",
        ),
        ("See [](https://maru.example/x).", "the link to 'https://maru.example/x' has no text"),
        ("See http://maru.example/x for details.", "'http://maru.example/x' is not an https:// address"),
    ],
)
def test_a_malformed_link_is_refused(editor: KnowledgeEditor, answer: str, message: str) -> None:
    errors = refused(editor, lambda e: e.edit_answer("mina", "en", "shipping_cost", answer))
    assert all(error.startswith("FAQ shipping_cost (en): ") for error in errors)
    assert any(message in error for error in errors)


def test_well_formed_links_pass() -> None:
    answer = (
        "See [shipping](https://maru.example/shipping?x=1#fees), email help@maru.example or read "
        "https://maru.example/faq (any time)."
    )
    assert link_errors(answer) == []


@pytest.mark.parametrize(
    "answer",
    [
        "[Editor A: check the fee] Delivery costs ₩3,000.",
        "Delivery [mainland [not Jeju]] costs ₩3,000; see [fees](https://maru.example/fees).",
        "[Editor A: see [fees](https://maru.example/fees) first]",
    ],
)
def test_balanced_brackets_that_are_not_links_pass(answer: str) -> None:
    assert link_errors(answer) == []


# Ids unique per language; unknown ids named


def test_an_id_already_used_in_the_language_is_refused(editor: KnowledgeEditor) -> None:
    errors = refused(editor, lambda e: e.add_faq("mina", "en", "account", "shipping_cost", "Cost?", "₩3,000.", TEN))
    assert errors == ["FAQ id 'shipping_cost' already exists in language 'en' (topic shipping)"]


def test_an_id_in_two_files_refuses_every_edit(editor: KnowledgeEditor, directory: Path) -> None:
    path = directory / "en" / "account.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: account_create", "id: shipping_cost"))
    errors = refused(editor, lambda e: e.edit_answer("mina", "en", "refund_timing", "Fast."))
    assert errors == ["FAQ id 'shipping_cost' is defined twice for 'en'"]


@pytest.mark.parametrize(
    "edit",
    [
        lambda e: e.move_phrasing("mina", "en", "how much is shipping", "shipping_cost", "parcel_lockers"),
        lambda e: e.move_phrasing("mina", "en", "how much is shipping", "parcel_lockers", "shipping_cost"),
        lambda e: e.add_phrasing("mina", "en", "parcel_lockers", "lockers?"),
        lambda e: e.edit_answer("mina", "en", "parcel_lockers", "No."),
        lambda e: e.retire_faq("mina", "en", "parcel_lockers"),
    ],
    ids=["move_to", "move_from", "add_phrasing", "edit_answer", "retire"],
)
def test_an_unknown_faq_id_is_refused_and_named(
    editor: KnowledgeEditor, edit: Callable[[KnowledgeEditor], object]
) -> None:
    assert refused(editor, edit) == ["unknown FAQ id 'parcel_lockers' in language 'en'"]


# rasa data validate


def test_training_data_validation_reports_a_phrasing_that_clashes_with_an_intent() -> None:
    base = KnowledgeBase.load(SHIPPED)
    faqs = [replace(f, phrasings=(*f.phrasings, "human please")) if f.id == "shipping_cost" else f for f in base]
    problems = validate_training_data(ROOT, KnowledgeBase(faqs))
    assert len(problems) == 1
    assert "The example 'human please' was found labeled with multiple different intents" in problems[0]
    assert "faq, request_human" in problems[0]


# The languages of one FAQ agree


def test_an_answer_quoting_another_number_than_its_other_language_is_warned_about(editor: KnowledgeEditor) -> None:
    korean = KnowledgeBase.load(editor.directory).get("shipping_cost", "ko")
    assert korean is not None
    change = editor.edit_answer("mina", "ko", "shipping_cost", korean.answer.replace("3,000원", "3,500원"))
    assert change.warnings == ("FAQ shipping_cost: the ko answer quotes 3,500 and lacks 3,000 of the en answer",)


def test_an_faq_added_in_one_language_only_is_warned_about(editor: KnowledgeEditor) -> None:
    change = editor.add_faq("mina", "en", "shipping", "parcel_lockers", "Lockers?", "No.", TEN)
    assert change.warnings == ("FAQ parcel_lockers exists in en only; add it in ko",)


def test_numbers_are_compared_without_currency_commas_or_leading_zeros() -> None:
    assert answer_numbers("₩3,000 until 09:00, call 1588-0123") == {3000, 9, 0, 1588, 123}
    assert answer_numbers("3,000원, 09:00까지, 1588-0123") == answer_numbers("₩3,000 until 09:00, call 1588-0123")


def test_the_shipped_languages_agree() -> None:
    faqs = list(KnowledgeBase.load(SHIPPED))
    assert language_warnings(faqs) == []
    assert {faq.language for faq in faqs} == {"en", "ko"}


def test_korean_phrasings_that_differ_only_in_spacing_are_one_phrasing(editor: KnowledgeEditor) -> None:
    korean = KnowledgeBase.load(editor.directory).get("shipping_cost", "ko")
    assert korean is not None
    spaced = next(p for p in korean.phrasings if " " in p)
    unspaced = spaced.replace(" ", "")
    assert unspaced != spaced
    errors = refused(editor, lambda e: e.add_phrasing("mina", "ko", "returns_window", unspaced))
    # returns_refunds.yml is read before shipping.yml: the message quotes the first writing it met.
    assert errors == [f"the phrasing '{spaced}' belongs to two FAQs: returns_window and shipping_cost (ko)"]
