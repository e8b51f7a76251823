import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import Faq, KnowledgeBase, cli
from tests.conftest import ROOT


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(ROOT / "data" / "knowledge", copy)
    return copy


@pytest.fixture
def run(directory: Path, capsys: pytest.CaptureFixture[str]) -> "Runner":
    return Runner(directory, capsys)


class Runner:
    """Calls ``cli.main`` on the copy of the knowledge files and returns (exit code, stdout, stderr)."""

    def __init__(self, directory: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.directory = directory
        self.changelog = directory.parent / "changes.jsonl"
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        code = cli.main([*argv, "--dir", str(self.directory), "--changelog", str(self.changelog), "--editor", "mina"])
        captured = self.capsys.readouterr()
        return code, captured.out, captured.err

    def faq(self, faq_id: str) -> Faq:
        faq = KnowledgeBase.load(self.directory).get(faq_id, "en")
        assert faq is not None
        return faq

    def files(self) -> dict[str, bytes]:
        return {path.name: path.read_bytes() for path in sorted(self.directory.glob("*/*.yml"))}


def test_search_lists_matching_faqs(run: Runner) -> None:
    code, out, err = run("search", "refund", "card")
    assert code == 0
    assert out.splitlines()[0].split() == [
        "refund_timing",
        "returns_refunds",
        "How",
        "long",
        "does",
        "a",
        "refund",
        "take?",
    ]
    assert err == f"{len(out.splitlines())} FAQ(s)\n"


def test_search_by_topic(run: Runner) -> None:
    code, out, _ = run("search", "--topic", "contact")
    assert code == 0
    assert {line.split()[1] for line in out.splitlines()} == {"contact"}


def test_show_prints_the_faq(run: Runner) -> None:
    code, out, _ = run("show", "shipping_cost")
    assert code == 0
    assert out.startswith("id: shipping_cost\nlanguage: en\ntopic: shipping\nquestion: How much does shipping cost?\n")
    assert "  - how much is shipping\n" in out
    assert "held_out (3):\n  - what's the price of sending a parcel to me\n" in out


def test_show_an_unknown_id_fails(run: Runner) -> None:
    assert run("show", "nope") == (
        1,
        "",
        "error: unknown FAQ id 'nope' in language 'en'\nrefused: nothing was changed\n",
    )


def test_edit_answer_from_a_file(run: Runner, tmp_path: Path) -> None:
    answer = tmp_path / "answer.md"
    answer.write_text("Delivery is ₩3,000, free from ₩50,000.\n", encoding="utf-8")
    code, out, _ = run("edit-answer", "shipping_cost", "--file", str(answer))
    assert code == 0
    assert out.startswith("saved change ")
    assert out.endswith(
        ": edit_answer en/shipping_cost by mina\n"
        # The Korean answer still quotes the express fee the new English answer left out.
        "warning: FAQ shipping_cost: the ko answer quotes 6,000 and lacks nothing of the en answer\n"
        "live now: the bot reads answers from the files on every message\n"
    )
    assert run.faq("shipping_cost").answer == "Delivery is ₩3,000, free from ₩50,000."


def test_edit_answer_from_standard_input(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Read [our page](https://maru.example/shipping)."))
    assert run("edit-answer", "shipping_cost")[0] == 0
    assert run.faq("shipping_cost").answer == "Read [our page](https://maru.example/shipping)."


def test_a_refused_edit_exits_1_with_the_reasons_and_changes_nothing(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = run.files()
    monkeypatch.setattr(sys, "stdin", io.StringIO("See [our page](http://maru.example/shipping)."))
    code, out, err = run("edit-answer", "shipping_cost")
    assert (code, out) == (1, "")
    assert err == (
        "error: FAQ shipping_cost (en): the link [our page](http://maru.example/shipping) must point to an https:// "
        "address with no spaces\nrefused: nothing was changed\n"
    )
    assert run.files() == before


def test_add_faq_with_a_phrasings_file(run: Runner, tmp_path: Path) -> None:
    phrasings = tmp_path / "phrasings.txt"
    phrasings.write_text("".join(f"can I send it to parcel locker {n}\n\n" for n in range(10)), encoding="utf-8")
    code, out, _ = run(
        "add-faq", "parcel_lockers", "--topic", "shipping", "--question", "Do you deliver to parcel lockers?",
        "--answer", "Not yet.", "--phrasings-file", str(phrasings), "--phrasing", "parcel locker delivery",
    )  # fmt: skip
    assert code == 0
    assert "this change needs retraining before the bot understands it" in out
    faq = run.faq("parcel_lockers")
    assert (faq.topic, faq.question, faq.answer, len(faq.phrasings)) == (
        "shipping", "Do you deliver to parcel lockers?", "Not yet.", 11,
    )  # fmt: skip


def test_phrasing_commands(run: Runner) -> None:
    assert run("add-phrasing", "shipping_cost", "postage price please")[0] == 0
    assert run.faq("shipping_cost").phrasings[-1] == "postage price please"
    assert run("move-phrasing", "postage price please", "--from", "shipping_cost", "--to", "shipping_express")[0] == 0
    assert run.faq("shipping_express").phrasings[-1] == "postage price please"
    assert run("remove-phrasing", "shipping_express", "postage price please")[0] == 0
    assert "postage price please" not in run.faq("shipping_express").phrasings


def test_a_near_duplicate_is_saved_with_a_warning(run: Runner) -> None:
    code, out, _ = run("add-phrasing", "shipping_free_threshold", "how much is shipping?")
    assert code == 0
    assert (
        "warning: ‘how much is shipping?’ (shipping_free_threshold) is 0.98 similar to ‘how much is shipping’ "
        "(shipping_cost)\n" in out
    )


def test_moving_to_an_unknown_faq_names_it(run: Runner) -> None:
    code, _, err = run("move-phrasing", "how much is shipping", "--from", "shipping_cost", "--to", "lockers")
    assert code == 1
    assert err.startswith("error: unknown FAQ id 'lockers' in language 'en'\n")


def test_retire_changes_and_rollback(run: Runner) -> None:
    before = KnowledgeBase.load(run.directory)
    assert run("retire", "shipping_cost")[0] == 0
    assert KnowledgeBase.load(run.directory).get("shipping_cost", "en") is None
    code, out, _ = run("changes")
    assert code == 0
    change_id, _, _, editor, operation, faq = out.splitlines()[0].split()
    assert (editor, operation, faq) == ("mina", "retire_faq", "en/shipping_cost")
    assert out.splitlines()[2] == "    new: None"

    assert run("rollback", change_id)[0] == 0
    assert list(KnowledgeBase.load(run.directory)) == list(before)
    assert f"(rollback of {change_id})" in run("changes", "--limit", "1")[1]


def test_rollback_of_an_unknown_change_fails(run: Runner) -> None:
    assert run("rollback", "abc")[:2] == (1, "")


def test_check_passes_on_the_shipped_files(run: Runner) -> None:
    assert run("check") == (0, "", "0 error(s), 0 warning(s)\n")


def test_check_fails_with_the_errors_and_prints_warnings(run: Runner) -> None:
    account = run.directory / "en" / "account.yml"
    text = account.read_text(encoding="utf-8")
    account.write_text(
        text.replace("      - sign up\n", "      - sign up\n      - how much is shipping?\n"), encoding="utf-8"
    )
    shipping = run.directory / "en" / "shipping.yml"
    text = shipping.read_text(encoding="utf-8")
    shipping.write_text(text.replace("[My orders](https://", "[My orders](http://"), encoding="utf-8")
    code, out, err = run("check")
    assert code == 1
    assert out == (
        "warning: ‘how much is shipping?’ (account_create) is 0.98 similar to ‘how much is shipping’ (shipping_cost)\n"
        "warning: ‘how much is shipping?’ (account_create) is 0.95 similar to ‘how much is shiping’ (shipping_cost)\n"
    )
    assert err.startswith("error: FAQ ")
    assert "[My orders](http://" in err
    assert err.endswith("\n1 error(s), 2 warning(s)\n")


def test_check_with_rasa_adds_the_training_data_problems(run: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "validate_training_data", lambda root, candidate: ["warning: clash"])
    code, _, err = run("check", "--rasa")
    assert code == 1
    assert "error: warning: clash\n" in err


def test_unreadable_files_exit_1_with_the_reason(run: Runner) -> None:
    (run.directory / "en" / "shipping.yml").write_text("faqs: [", encoding="utf-8")
    code, out, err = run("search", "refund")
    assert (code, out) == (1, "")
    assert err.startswith("error: ")
    assert "shipping.yml: not valid YAML" in err


def test_wrong_usage_exits_2(run: Runner) -> None:
    with pytest.raises(SystemExit) as exited:
        run("bogus")
    assert exited.value.code == 2


def test_runs_as_a_module(directory: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "knowledge.cli", "show", "shipping_cost", "--dir", str(directory)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("id: shipping_cost\n")


def test_show_prints_the_version_an_edit_can_expect(run: Runner, tmp_path: Path) -> None:
    version = run("show", "shipping_cost")[1].splitlines()[-1].removeprefix("version: ")
    assert version == run.faq("shipping_cost").version
    answer = tmp_path / "answer.md"
    answer.write_text("Delivery is ₩3,000.", encoding="utf-8")
    assert run("edit-answer", "shipping_cost", "--file", str(answer), "--expect-version", version)[0] == 0

    before = run.files()
    answer.write_text("Delivery is ₩3,500.", encoding="utf-8")
    code, out, err = run("edit-answer", "shipping_cost", "--file", str(answer), "--expect-version", version)
    assert (code, out) == (1, "")
    assert err == (
        f"error: shipping_cost (en) was changed since version {version} was read "
        f"(now {run.faq('shipping_cost').version}): #1 edit answer by mina\nrefused: nothing was changed\n"
    )
    assert run.files() == before


@pytest.mark.parametrize(
    "command",
    [
        ["add-phrasing", "shipping_cost", "postage price please"],
        ["remove-phrasing", "shipping_cost", "how much is shipping"],
        ["move-phrasing", "how much is shipping", "--from", "shipping_cost", "--to", "shipping_express"],
        ["retire", "shipping_cost"],
    ],
    ids=["add-phrasing", "remove-phrasing", "move-phrasing", "retire"],
)
def test_every_edit_command_refuses_an_faq_changed_in_the_files_since_it_was_read(
    run: Runner, command: list[str]
) -> None:
    version = run.faq("shipping_cost").version
    shipping = run.directory / "en" / "shipping.yml"
    shipping.write_text(shipping.read_text(encoding="utf-8").replace("Standard delivery", "Delivery"), "utf-8")
    before = run.files()
    code, _, err = run(*command, "--expect-version", version)
    assert code == 1
    assert "was changed since version" in err
    assert ": in the files, outside the editor\nrefused: nothing was changed\n" in err
    assert run.files() == before


def test_changes_filtered_by_faq_and_editor(run: Runner) -> None:
    assert run("add-phrasing", "shipping_cost", "postage price please")[0] == 0
    assert run("add-phrasing", "refund_timing", "refund speed please")[0] == 0
    out = run("changes", "--faq", "refund_timing")[1]
    assert [line.split()[4:] for line in out.splitlines()[::3]] == [["add_phrasing", "en/refund_timing"]]
    assert run("changes", "--by", "someone")[1] == ""
    assert len(run("changes", "--by", "mina")[1].splitlines()) == 6
