"""The training-data fingerprint, and the record of it beside a model, decide whether to train."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from support.training_fingerprint import (
    TRAINING_FILES,
    fingerprint_file,
    forget_fingerprint,
    record_fingerprint,
    trained_on,
    training_fingerprint,
)

ROOT = Path(__file__).resolve().parents[1]


def project_copy(target: Path) -> Path:
    """The parts of the project the fingerprint reads."""
    for entry in [*TRAINING_FILES, "data/knowledge"]:
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, target / entry, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (target / entry).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / entry)
    return target


def edit_first_faq(project: Path, key: str, change: str, language: str = "en") -> None:
    shipping = project / "data" / "knowledge" / language / "shipping.yml"
    document = yaml.safe_load(shipping.read_text(encoding="utf-8"))
    faq = document["faqs"][0]
    if key == "phrasings":
        faq["phrasings"].append(change)
    else:
        faq[key] = change
    shipping.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_copy_of_the_project_has_the_project_s_fingerprint(tmp_path: Path) -> None:
    assert training_fingerprint(project_copy(tmp_path)) == training_fingerprint(ROOT)


def test_an_answer_edit_keeps_the_fingerprint_and_a_phrasing_in_either_language_changes_it(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    before = training_fingerprint(project)
    edit_first_faq(project, "answer", "Delivery costs ₩3,500.")
    edit_first_faq(project, "answer", "배송비는 3,500원입니다.", language="ko")
    assert training_fingerprint(project) == before
    # English and Korean FAQs share their ids: each language's phrasings count on their own.
    edit_first_faq(project, "phrasings", "what is the postage to Jeju")
    english_edited = training_fingerprint(project)
    assert english_edited != before
    edit_first_faq(project, "phrasings", "제주도 배송비는 얼마인가요", language="ko")
    assert training_fingerprint(project) not in (before, english_edited)


def test_code_and_config_change_the_fingerprint(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    before = training_fingerprint(project)
    with (project / "addons" / "input_guard.py").open("a", encoding="utf-8") as code:
        code.write("\n# a changed component\n")
    after_code = training_fingerprint(project)
    assert after_code != before
    with (project / "config.yml").open("a", encoding="utf-8") as config:
        config.write("\n# a changed config\n")
    assert training_fingerprint(project) not in (before, after_code)


def test_a_model_counts_as_trained_on_the_data_only_with_its_recorded_fingerprint(tmp_path: Path) -> None:
    model = tmp_path / "maru.tar.gz"
    assert fingerprint_file(model) == tmp_path / "maru.fingerprint"
    assert not trained_on(model, "abc123")  # no model
    model.write_bytes(b"a model")
    assert not trained_on(model, "abc123")  # a model nobody recorded the data of
    record_fingerprint(model, "abc123")
    assert (tmp_path / "maru.fingerprint").read_text(encoding="utf-8") == "abc123"
    assert trained_on(model, "abc123")
    assert not trained_on(model, "def456")
    forget_fingerprint(model)
    assert not trained_on(model, "abc123")
    forget_fingerprint(model)  # forgetting twice is no error
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maru.tar.gz"]


def test_a_recorded_fingerprint_with_a_trailing_newline_counts(tmp_path: Path) -> None:
    model = tmp_path / "maru.tar.gz"
    model.write_bytes(b"a model")
    (tmp_path / "maru.fingerprint").write_text("abc123\n", encoding="utf-8")  # written by hand or an editor
    assert trained_on(model, "abc123")
