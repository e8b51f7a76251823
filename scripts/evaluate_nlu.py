"""Evaluates the trained NLU model on phrasings it never saw in training.

Prints intent accuracy on tests/nlu/core_held_out.yml plus the FAQ held-out
phrasings (as intent ``faq``), and FAQ-retrieval accuracy (the right ``faq/<id>``)
on the held-out phrasings of the knowledge base, per language (and, where there is one, on the
blind FAQ set). Writes results/nlu_evaluation_<language>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from rasa.shared.nlu.training_data.loading import load_data

from knowledge import KnowledgeBase
from support.language import languages

ROOT = Path(__file__).resolve().parent.parent


def language_file(directory: Path, stem: str, language: str) -> Path:
    """A test set's file in a language: ``<stem>.yml`` in the default language, ``<stem>_<language>.yml`` else."""
    return directory / (f"{stem}.yml" if language == languages().default else f"{stem}_{language}.yml")


Cases = list[tuple[str, str, str | None]]


def held_out_cases(language: str) -> Cases:
    """(text, expected intent, expected FAQ id) for every held-out example of a language."""
    return [case for cases in held_out_sets(language).values() for case in cases]


def held_out_sets(language: str) -> dict[str, Cases]:
    """The held-out examples of a language by source.

    The core intents' held-out file, the FAQs' ``held_out`` phrasings (written with the training
    phrasings) and, where there is one, the blind FAQ set written by someone who never saw the
    knowledge files (tests/data/nlu/faq_blind_<language>.yml).
    """
    core = load_data(str(language_file(ROOT / "tests" / "nlu", "core_held_out", language)))
    faqs = KnowledgeBase.load(ROOT / "data" / "knowledge").faqs(language)
    sets: dict[str, Cases] = {
        "core intents": [(m.get("text"), m.get("intent"), None) for m in core.intent_examples],
        "FAQ held-out": [(text, "faq", faq.id) for faq in faqs for text in faq.held_out],
    }
    blind = ROOT / "tests" / "data" / "nlu" / f"faq_blind_{language}.yml"
    if blind.is_file():
        written = yaml.safe_load(blind.read_text(encoding="utf-8"))["faq_blind"]
        sets["FAQ blind"] = [(text, "faq", faq_id) for faq_id, texts in written.items() for text in texts]
    return sets


def predicted_faq(parse: dict[str, Any]) -> str | None:
    """The FAQ id the response selector picked."""
    key = parse.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
    return key.split("/", 1)[1] if key else None


def load_agent(model: Path) -> Any:
    """The model, loaded for parsing."""
    # Imported here: rasa.core pulls in apscheduler's pkg_resources, which the unit tests treat as an error.
    from rasa.core.agent import Agent

    return Agent.load(str(model))


async def evaluate(model: Path, language: str) -> dict[str, Any]:
    """Parses every held-out case of a language and scores it, in all and by source."""
    return await evaluate_with(load_agent(model), language)


async def evaluate_with(agent: Any, language: str) -> dict[str, Any]:
    """Scores a loaded model on a language's held-out cases, in all and by source."""
    sets = held_out_sets(language)
    result = await score(agent, [case for cases in sets.values() for case in cases])
    result["by_source"] = {name: await score(agent, cases) for name, cases in sets.items()}
    return result


async def score(agent: Any, cases: Cases) -> dict[str, Any]:
    """Intent accuracy, FAQ retrieval and the errors on some cases."""
    intent_hits, faq_hits, faq_total = 0, 0, 0
    confusions: Counter[str] = Counter()
    for text, intent, faq_id in cases:
        parse = await agent.parse_message(text)
        predicted = parse["intent"]["name"]
        intent_hits += predicted == intent
        if faq_id is not None:
            faq_total += 1
            got = predicted_faq(parse) if predicted == "faq" else predicted
            faq_hits += got == faq_id
            if got != faq_id:
                confusions[f"{faq_id} -> {got}"] += 1
        elif predicted != intent:
            confusions[f"{intent} -> {predicted}"] += 1
    return {
        "intent_accuracy": round(intent_hits / len(cases), 4),
        "intent_cases": len(cases),
        "faq_retrieval_accuracy": round(faq_hits / faq_total, 4) if faq_total else None,
        "faq_cases": faq_total,
        "errors": dict(confusions.most_common()),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", type=Path, default=Path(os.environ.get("MODEL_DIR", ROOT / "models")) / "maru.tar.gz"
    )
    parser.add_argument("--language", help="one language (default: every language of data/languages.yml)")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)
    for language in [arguments.language] if arguments.language else languages().codes:
        results = asyncio.run(evaluate(arguments.model, language))
        output = ROOT / "results" / f"nlu_evaluation_{language}.json"
        output.parent.mkdir(exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n")
        report(language, results)


def report(language: str, results: dict[str, Any]) -> None:
    """Prints one language's figures and its most frequent errors."""
    print(f"--- {language}")
    print(f"intent accuracy        {results['intent_accuracy']:.1%}  ({results['intent_cases']} held-out messages)")
    print(
        f"FAQ retrieval accuracy {results['faq_retrieval_accuracy']:.1%}  ({results['faq_cases']} held-out phrasings)"
    )
    for name, part in results["by_source"].items():
        faq = f", FAQ retrieval {part['faq_retrieval_accuracy']:.1%}" if part["faq_cases"] else ""
        print(f"  {name:<13} intent {part['intent_accuracy']:.1%} ({part['intent_cases']}){faq}")
    print("most frequent errors (expected -> predicted):")
    for confusion, count in list(results["errors"].items())[:15]:
        print(f"  {count:3d}  {confusion}")


if __name__ == "__main__":
    main()
