"""Evaluates the trained NLU model on phrasings it never saw in training.

Prints intent accuracy on tests/nlu/core_held_out.yml plus the FAQ held-out
phrasings (as intent ``faq``), and FAQ-retrieval accuracy (the right ``faq/<id>``)
on the held-out phrasings of the knowledge base. Writes results/nlu_evaluation.json.
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


def held_out_cases(language: str) -> list[tuple[str, str, str | None]]:
    """(text, expected intent, expected FAQ id) for every held-out example of a language.

    The core intents' held-out file, the FAQs' ``held_out`` phrasings and, where there is one, the
    blind FAQ set written by someone who never saw the knowledge files (tests/data/nlu/faq_blind_*).
    """
    core = load_data(str(language_file(ROOT / "tests" / "nlu", "core_held_out", language)))
    cases: list[tuple[str, str, str | None]] = [(m.get("text"), m.get("intent"), None) for m in core.intent_examples]
    for faq in KnowledgeBase.load(ROOT / "data" / "knowledge").faqs(language):
        cases += [(text, "faq", faq.id) for text in faq.held_out]
    blind = ROOT / "tests" / "data" / "nlu" / f"faq_blind_{language}.yml"
    if blind.is_file():
        for faq_id, texts in yaml.safe_load(blind.read_text(encoding="utf-8"))["faq_blind"].items():
            cases += [(text, "faq", faq_id) for text in texts]
    return cases


def predicted_faq(parse: dict[str, Any]) -> str | None:
    """The FAQ id the response selector picked."""
    key = parse.get("response_selector", {}).get("faq", {}).get("response", {}).get("intent_response_key")
    return key.split("/", 1)[1] if key else None


async def evaluate(model: Path, language: str) -> dict[str, Any]:
    """Parses every held-out case and scores it."""
    # Imported here: rasa.core pulls in apscheduler's pkg_resources, which the unit tests treat as an error.
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    intent_hits, faq_hits, faq_total = 0, 0, 0
    confusions: Counter[str] = Counter()
    cases = held_out_cases(language)
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
        "faq_retrieval_accuracy": round(faq_hits / faq_total, 4),
        "faq_cases": faq_total,
        "errors": dict(confusions.most_common()),
    }


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", type=Path, default=Path(os.environ.get("MODEL_DIR", ROOT / "models")) / "maru.tar.gz"
    )
    parser.add_argument("--language", default="en")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)
    results = asyncio.run(evaluate(arguments.model, arguments.language))
    output = ROOT / "results" / "nlu_evaluation.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"intent accuracy        {results['intent_accuracy']:.1%}  ({results['intent_cases']} held-out messages)")
    print(
        f"FAQ retrieval accuracy {results['faq_retrieval_accuracy']:.1%}  ({results['faq_cases']} held-out phrasings)"
    )
    print("most frequent errors (expected -> predicted):")
    for confusion, count in list(results["errors"].items())[:15]:
        print(f"  {count:3d}  {confusion}")


if __name__ == "__main__":
    main()
