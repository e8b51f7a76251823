"""Prints a model's held-out FAQ-retrieval and intent accuracy per language as JSON (used before a model goes live).

Example: python -m scripts.check_model models/candidates/candidate-1763900000.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path
from typing import Any

from scripts.evaluate_nlu import evaluate_with, load_agent
from support.language import languages


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--language", help="one language (default: every language of data/languages.yml)")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)
    codes = [arguments.language] if arguments.language else languages().codes
    print(json.dumps(asyncio.run(check(arguments.model, codes))))


async def check(model: Path, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The figures of each language, from one loading of the model."""
    keys = ("faq_retrieval_accuracy", "intent_accuracy", "faq_cases", "intent_cases")
    agent = await asyncio.to_thread(load_agent, model)
    figures = {}
    for code in codes:
        results = await evaluate_with(agent, code)
        figures[code] = {key: results[key] for key in keys}
    return figures


if __name__ == "__main__":
    main()
