"""The rules a knowledge base must pass before an edit is saved.

``check_knowledge`` is fast (about 0.2 s on the full knowledge base) and runs on every edit.
``validate_training_data`` runs the project's strict ``rasa data validate`` wrapper in a
subprocess (about 20 s), so it is only worth running for changes to phrasings.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from knowledge.base import FAQ_ID_PATTERN, Faq, KnowledgeBase, KnowledgeError
from knowledge.yaml_io import TopicFile, read_directory, write_files

MARKDOWN_LINK = re.compile(r"\[(?P<text>[^\[\]]*)\]\((?P<url>[^()]*)\)")
HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?::[0-9]+)?(?:[/?#][^\s<>\"'`]*)?$")
# "[text] (https://…)": a link with a space that markdown reads as two plain texts.
SPACED_LINK = re.compile(r"\[(?P<text>[^\[\]]*)\]\s+\((?P<url>[^()\s]*)\)")
INSECURE_URL = re.compile(r"\b(?:http://|javascript:)[^\s)\]]*", re.IGNORECASE)
TOPIC_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DIGIT_RUN = re.compile(r"\d[\d,]*\d|\d")
# Korean spacing (띄어쓰기) varies from writer to writer: "배송비 얼마" and "배송비얼마" are one phrasing.
SPACE_BETWEEN_HANGUL = re.compile(r"(?<=[가-힣])\s+(?=[가-힣])")
# What the training-data check copies from the project: everything the validation script reads.
PROJECT_SKIP = {".git", ".venv", "var", "models", "results", "tests", "node_modules"}


@dataclass(frozen=True)
class Rules:
    """Limits an edited knowledge base must respect."""

    min_phrasings: int = 10
    max_answer_chars: int = 1500
    max_phrasing_chars: int = 200
    max_question_chars: int = 200
    near_duplicate_warning: float = 0.9


DEFAULT_RULES = Rules()


@dataclass
class Report:
    """What a check found: errors refuse a change, warnings only inform."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


def check_knowledge(base: KnowledgeBase, rules: Rules = Rules()) -> Report:
    """Checks every rule on a whole knowledge base.

    The languages of one FAQ disagreeing is a warning here, not an error: an editor changes one
    language at a time, and ``make validate`` (scripts/validate_data.py) fails on it before training.
    """
    faqs = list(base)
    warnings = near_duplicates(all_phrasings(faqs), faqs, rules.near_duplicate_warning)
    warnings += language_warnings(faqs)
    return Report(errors=knowledge_errors(faqs, rules), warnings=warnings)


def language_warnings(faqs: Iterable[Faq], faq_id: str | None = None) -> list[str]:
    """FAQs missing in a language, or quoting other numbers in another language (only ``faq_id``'s if given)."""
    faqs = list(faqs)
    if faq_id is not None:
        languages = {faq.language for faq in faqs}
        mine = [faq for faq in faqs if faq.id == faq_id]
        return single_language_faqs(mine, languages) + number_disagreements(mine)
    return single_language_faqs(faqs) + number_disagreements(faqs)


def single_language_faqs(faqs: Iterable[Faq], languages: Iterable[str] | None = None) -> list[str]:
    """Warnings for FAQs that some language of the knowledge base (or of ``languages``) lacks."""
    by_id = _by_id(faqs)
    languages = sorted(languages or {language for versions in by_id.values() for language in versions})
    return [
        f"FAQ {faq_id} exists in {', '.join(sorted(versions))} only; add it in {', '.join(missing)}"
        for faq_id, versions in sorted(by_id.items())
        if (missing := [language for language in languages if language not in versions])
    ]


def number_disagreements(faqs: Iterable[Faq]) -> list[str]:
    """FAQs whose answers quote different numbers in different languages (a price, a day count, a phone number).

    Numbers are the digit runs of an answer, commas and leading zeros dropped ("₩3,000" and
    "3,000원" are both 3000), compared as sets with the first language in alphabetical order.
    """
    problems = []
    for faq_id, versions in sorted(_by_id(faqs).items()):
        (reference, first), *others = sorted(versions.items())
        expected = answer_numbers(first.answer)
        for language, faq in others:
            found = answer_numbers(faq.answer)
            if found != expected:
                problems.append(
                    f"FAQ {faq_id}: the {language} answer quotes {_numbers(found - expected)} and lacks "
                    f"{_numbers(expected - found)} of the {reference} answer"
                )
    return problems


def answer_numbers(text: str) -> set[int]:
    """The numbers written with digits in a text."""
    return {int(run.replace(",", "")) for run in DIGIT_RUN.findall(text)}


def _numbers(values: set[int]) -> str:
    return ", ".join(f"{value:,}" for value in sorted(values)) or "nothing"


def _by_id(faqs: Iterable[Faq]) -> dict[str, dict[str, Faq]]:
    by_id: dict[str, dict[str, Faq]] = {}
    for faq in faqs:
        by_id.setdefault(faq.id, {})[faq.language] = faq
    return by_id


def knowledge_errors(faqs: Iterable[Faq], rules: Rules = Rules()) -> list[str]:
    """The errors of a whole knowledge base (every rule but the near-duplicate warnings)."""
    faqs = list(faqs)
    return [error for faq in faqs for error in faq_errors(faq, rules)] + phrasing_clashes(faqs)


def check_directory(directory: Path, rules: Rules = Rules()) -> Report:
    """Reads the knowledge files (schema errors are reported, not raised) and checks every rule."""
    try:
        files = read_directory(directory)
        base = KnowledgeBase([faq for file in files for faq in file.faqs])
    except KnowledgeError as error:
        return Report(errors=[str(error)])
    return check_knowledge(base, rules)


def faq_errors(faq: Faq, rules: Rules) -> list[str]:
    """Schema, length and link errors of one FAQ."""
    name = f"FAQ {faq.id} ({faq.language})"
    errors = []
    if not FAQ_ID_PATTERN.match(faq.id):
        errors.append(f"{name}: the id must be snake_case, start with a letter and have 2 to 40 characters")
    if not TOPIC_PATTERN.match(faq.topic):
        errors.append(f"{name}: the topic '{faq.topic}' must be snake_case")
    for what, text, limit in (
        ("question", faq.question, rules.max_question_chars),
        ("answer", faq.answer, rules.max_answer_chars),
    ):
        if not text.strip():
            errors.append(f"{name}: the {what} is empty")
        elif len(text) > limit:
            errors.append(f"{name}: the {what} has {len(text)} characters; at most {limit} are allowed")
    errors += [f"{name}: {problem}" for problem in link_errors(faq.answer)]
    if len(faq.phrasings) < rules.min_phrasings:
        errors.append(f"{name}: has {len(faq.phrasings)} phrasings; at least {rules.min_phrasings} are needed")
    for phrasing in (*faq.phrasings, *faq.held_out):
        if not phrasing.strip():
            errors.append(f"{name}: has an empty phrasing")
        elif len(phrasing) > rules.max_phrasing_chars:
            errors.append(
                f"{name}: the phrasing '{_short(phrasing)}' has {len(phrasing)} characters; "
                f"at most {rules.max_phrasing_chars} are allowed"
            )
    return errors


def link_errors(answer: str) -> list[str]:
    """Problems with the markdown links of an answer: https only, no spaces, balanced brackets.

    Brackets that are not a link are fine as long as they pair up ("[Editor A: …]").
    """
    errors = []
    for link in MARKDOWN_LINK.finditer(answer):
        text, url = link["text"], link["url"]
        if not text.strip():
            errors.append(f"the link to '{url}' has no text")
        if not HTTPS_URL.match(url):
            errors.append(f"the link [{text}]({url}) must point to an https:// address with no spaces")
    rest = MARKDOWN_LINK.sub("", answer)
    errors += [
        f"the link [{link['text']}] ({link['url']}) has a space between ] and (; write [text](https://…)"
        for link in SPACED_LINK.finditer(rest)
    ]
    unbalanced = _unbalanced_bracket(rest)
    if unbalanced is not None:
        errors.append(
            f"broken markdown: unbalanced {rest[unbalanced]} near '{_around(rest, unbalanced)}'; "
            "write links as [text](https://…)"
        )
    errors += [f"'{url}' is not an https:// address" for url in INSECURE_URL.findall(rest)]
    return errors


def phrasing_clashes(faqs: Iterable[Faq]) -> list[str]:
    """Phrasings (ignoring case and spacing) that two FAQs share, or that equal a held-out phrasing."""
    owners: dict[tuple[str, str], str] = {}
    held_out: dict[tuple[str, str], str] = {}
    errors = []
    faqs = list(faqs)
    for faq in faqs:
        for phrasing in faq.held_out:
            held_out.setdefault((faq.language, normalise(phrasing)), faq.id)
    for faq in faqs:
        for phrasing in faq.phrasings:
            key = (faq.language, normalise(phrasing))
            owner = owners.setdefault(key, faq.id)
            if owner != faq.id:
                errors.append(f"the phrasing '{phrasing}' belongs to two FAQs: {owner} and {faq.id} ({faq.language})")
            elif key in held_out:
                errors.append(
                    f"the phrasing '{phrasing}' of {faq.id} is a held-out phrasing of {held_out[key]} "
                    f"({faq.language}); held-out phrasings only test the model"
                )
        errors += _repeated(faq)
    return errors


def near_duplicates(phrasings: Iterable[tuple[str, Faq]], faqs: Iterable[Faq], threshold: float) -> list[str]:
    """Warnings for ``(phrasing, its FAQ)`` pairs that look almost the same as a phrasing of another FAQ."""
    mine = list(phrasings)
    theirs = list(all_phrasings(faqs))
    if not mine or not theirs:
        return []
    scores = process.cdist(
        [normalise(text) for text, _ in mine],
        [normalise(text) for text, _ in theirs],
        scorer=fuzz.ratio,
        score_cutoff=threshold * 100,
        workers=-1,
    )
    warnings = []
    seen: set[frozenset[tuple[str, str]]] = set()
    for row, column in zip(*scores.nonzero(), strict=True):
        (text, faq), (other_text, other) = mine[row], theirs[column]
        pair = frozenset({(text, faq.id), (other_text, other.id)})
        if faq.id == other.id or faq.language != other.language or pair in seen:
            continue
        seen.add(pair)
        score = scores[row, column] / 100
        warnings.append(f"‘{text}’ ({faq.id}) is {score:.2f} similar to ‘{other_text}’ ({other.id})")
    return warnings


def normalise(text: str) -> str:
    """Case- and space-insensitive form of a phrasing (spaces between Hangul syllables dropped)."""
    return SPACE_BETWEEN_HANGUL.sub("", " ".join(text.casefold().split()))


def validate_training_data(
    project_root: Path, candidate: KnowledgeBase | None = None, timeout: float = 300
) -> list[str]:
    """Runs ``python -m scripts.validate_data`` (strict ``rasa data validate``) on a copy of the project.

    Args:
        project_root: the project to validate (its config, domain, data and code).
        candidate: knowledge to validate instead of the project's own knowledge files.
        timeout: seconds before the check is given up as failed.

    Returns:
        The problems found; empty when the validation passed. Takes about 20 s.
    """
    with tempfile.TemporaryDirectory(prefix="knowledge-validate-") as scratch:
        copy = Path(scratch) / "project"
        shutil.copytree(project_root, copy, ignore=_skipper(project_root), symlinks=True)
        if candidate is not None:
            _replace_knowledge(copy / "data" / "knowledge", candidate)
        try:
            result = subprocess.run(
                [sys.executable, "-m", "scripts.validate_data"],
                cwd=copy,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return [f"rasa data validate did not finish within {timeout:.0f} s"]
    if result.returncode == 0:
        return []
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    problems = [line for line in lines if line.startswith(("warning:", "knowledge base:", "error", "ERROR"))]
    return problems or lines[-5:] or [f"rasa data validate failed with exit code {result.returncode}"]


def _skipper(project_root: Path) -> Callable[[str, list[str]], set[str]]:
    """Leaves out the virtual environment, models, run-time data, tests and caches."""

    def skip(directory: str, names: list[str]) -> set[str]:
        top = Path(directory) == project_root
        return {n for n in names if n == "__pycache__" or n.startswith(".") or (top and n in PROJECT_SKIP)}

    return skip


def _replace_knowledge(directory: Path, candidate: KnowledgeBase) -> None:
    shutil.rmtree(directory)
    by_file: dict[tuple[str, str], list[Faq]] = {}
    for faq in candidate:
        by_file.setdefault((faq.language, faq.topic), []).append(faq)
    for (language, topic), faqs in by_file.items():
        (directory / language).mkdir(parents=True, exist_ok=True)
        path = directory / language / f"{topic}.yml"
        write_files([TopicFile(path=path, topic=topic, language=language, title="", faqs=tuple(faqs))])


def all_phrasings(faqs: Iterable[Faq]) -> Iterator[tuple[str, Faq]]:
    """Every training phrasing with its FAQ."""
    return ((phrasing, faq) for faq in faqs for phrasing in faq.phrasings)


def _repeated(faq: Faq) -> list[str]:
    seen: set[str] = set()
    errors = []
    for phrasing in faq.phrasings:
        key = normalise(phrasing)
        if key in seen:
            errors.append(f"the phrasing '{phrasing}' is listed twice in {faq.id} ({faq.language})")
        seen.add(key)
    return errors


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unbalanced_bracket(text: str) -> int | None:
    """Where the first ``]`` without a ``[`` before it is, or else the first ``[`` never closed; None if balanced."""
    opened: list[int] = []
    for index, character in enumerate(text):
        if character == "[":
            opened.append(index)
        elif character == "]":
            if not opened:
                return index
            opened.pop()
    return opened[0] if opened else None


def _around(text: str, index: int) -> str:
    return text[max(0, index - 15) : index + 35].strip()
