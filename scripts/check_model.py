"""Prints a model's held-out FAQ-retrieval and intent accuracy as JSON (used before a model goes live).

Example: python -m scripts.check_model models/candidates/candidate-1763900000.tar.gz
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from pathlib import Path

from scripts.evaluate_nlu import evaluate


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--language", default="en")
    arguments = parser.parse_args()
    logging.disable(logging.INFO)
    results = asyncio.run(evaluate(arguments.model, arguments.language))
    keys = ("faq_retrieval_accuracy", "intent_accuracy", "faq_cases", "intent_cases")
    print(json.dumps({key: results[key] for key in keys}))


if __name__ == "__main__":
    main()
