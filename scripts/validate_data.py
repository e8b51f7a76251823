"""``rasa data validate``, strict, plus the knowledge-base and language checks.

Every response needs a variation in every language of data/languages.yml, with the same
placeholders and buttons, and the languages of an FAQ must quote the same numbers.

Rasa warns about every response that no story or rule names. Responses sent by
custom actions or asked by forms are never named in stories, so those warnings
are checked here instead: each such response must be used by the code or be a
form question. Any other warning fails the validation.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import Any

import yaml
from rasa.cli.utils import validate_files
from rasa.shared.importers.importer import TrainingDataImporter

from addons.input_guard import GUARD_INTENTS
from bot.identity.sessions import GREETING_INTENT
from knowledge import KnowledgeBase, KnowledgeError
from knowledge.validation import number_disagreements
from support.language import languages, variation_language

ROOT = Path(__file__).resolve().parent.parent
UNUSED_RESPONSE = re.compile(r"The utterance '(?P<name>[\w/]+)' is not used in any story or rule\.")
# Rasa merges the retrieval intent found in the NLU data with the one declared in the domain.
RETRIEVAL_INTENT_MERGE = "The following duplicated intents have been found across multiple domain files: faq"
INTENT_WITHOUT_EXAMPLES = re.compile(r"The intent '(?P<name>\w+)' is listed in the domain file, but is not found")
RESPONSE_NAME = re.compile(r"utter_[a-z0-9_]+")
PLACEHOLDER = re.compile(r"\{(\w+)")
# Sent by Rasa's own actions: the retrieval action and the two-stage fallback's rephrase step.
USED_BY_RASA = {"utter_faq", "utter_ask_rephrase"}


def responses_named_in_code(root: Path = ROOT) -> set[str]:
    """Response names (or prefixes of names built at run time) in the actions' and the gateway's source."""
    files = [*(root / "actions").glob("*.py"), *(root / "bot").rglob("*.py")]
    source = "\n".join(path.read_text(encoding="utf-8") for path in files)
    return set(RESPONSE_NAME.findall(source))


def is_used_outside_stories(name: str, named_in_code: set[str], form_slots: set[str]) -> bool:
    """True for responses that actions send or forms ask."""
    if (
        name in USED_BY_RASA
        or name in named_in_code
        or any(name.startswith(p) for p in named_in_code if p.endswith("_"))
    ):
        return True
    return name.startswith("utter_ask_") and any(
        name.endswith(f"_{slot}") or name == f"utter_ask_{slot}" for slot in form_slots
    )


def unexpected_warnings(messages: list[str], named_in_code: set[str], form_slots: set[str]) -> list[str]:
    """The warnings that point at a real problem."""
    problems = []
    for message in messages:
        unused = UNUSED_RESPONSE.search(message)
        if unused and is_used_outside_stories(unused["name"], named_in_code, form_slots):
            continue
        if message.strip() == RETRIEVAL_INTENT_MERGE:
            continue
        guard = INTENT_WITHOUT_EXAMPLES.search(message)
        if guard and guard["name"] in (*GUARD_INTENTS, GREETING_INTENT):
            continue
        problems.append(message)
    return problems


def translation_problems(responses: dict[str, list[dict[str, Any]]], codes: list[str]) -> list[str]:
    """Responses without a variation in some language, or whose languages differ in placeholders or buttons.

    The default language (first code) is the unconditioned variation; the others are conditioned
    on the ``language`` slot.
    """
    problems = []
    for name, variations in responses.items():
        by_language = {code: [v for v in variations if (variation_language(v) or codes[0]) == code] for code in codes}
        reference = by_language[codes[0]]
        for code in codes:
            if not by_language[code]:
                problems.append(f"response {name} has no {code} variation")
            elif code != codes[0] and _shape(by_language[code]) != _shape(reference):
                problems.append(
                    f"response {name}: the {code} variations' placeholders or buttons differ from {codes[0]}"
                )
    return problems


def _shape(variations: list[dict[str, Any]]) -> list[tuple[frozenset[str], tuple[str, ...]]]:
    """What must match across languages: each variation's placeholders and button payloads."""
    return sorted(
        (frozenset(PLACEHOLDER.findall(str(v.get("text", "")))), tuple(b["payload"] for b in v.get("buttons") or []))
        for v in variations
    )


def main() -> int:
    """Command line entry point."""
    try:
        base = KnowledgeBase.load(ROOT / "data" / "knowledge")
    except KnowledgeError as error:
        print(f"knowledge base: {error}", file=sys.stderr)
        return 1
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    language_problems = number_disagreements(base) + translation_problems(domain["responses"], languages().codes)
    for problem in language_problems:
        print(f"error: {problem}", file=sys.stderr)
    if language_problems:
        return 1
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")]
    )
    form_slots = {slot for form in importer.get_domain().forms.values() for slot in form["required_slots"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            validate_files(fail_on_warnings=False, max_history=None, importer=importer)
        except SystemExit as failed:
            return int(failed.code or 1)
    rasa_warnings = [str(w.message) for w in caught if not issubclass(w.category, DeprecationWarning)]
    problems = unexpected_warnings(rasa_warnings, responses_named_in_code(), form_slots)
    for problem in problems:
        print(f"warning: {problem}", file=sys.stderr)
    print(f"validation {'failed' if problems else 'passed'}: {len(rasa_warnings)} warnings, {len(problems)} unexpected")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
