"""Benchmarks an NLU pipeline on a public intent data set (BANKING77 layout: train.csv, test.csv).

Trains the pipeline of a Rasa config (the project's config.yml by default; importers and
policies are dropped) on the training split, serves the model with `rasa run`, parses the
test split one message at a time over HTTP, and prints accuracy and macro-F1 of the best
intent (closed-set, as the published results are; out-of-scope handling is measured
separately), training time, parse latency p50/p99 and the server's RSS. Results go to results/bench_nlu_<name>.json.
The data set is copied only to var/bench/, never into the assistant's data.

Usage: python -m scripts.bench_nlu ../shared/datasets/banking77 [--config config.yml] [--name minilm_lr]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml
from sklearn.metrics import f1_score

from bot.dashboard.metrics import percentile
from support.rasa_auth import rasa_api_flags, rasa_api_headers

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-signing-the-api-jwt-0123456789"
FALLBACK = "nlu_fallback"


def read_split(path: Path) -> list[tuple[str, str]]:
    """(text, intent) rows; intent names made safe for Rasa."""
    with path.open(encoding="utf-8") as handle:
        return [(row["text"].strip(), re.sub(r"\W+", "_", row["category"])) for row in csv.DictReader(handle)]


def write_project(workdir: Path, train: list[tuple[str, str]], config_file: Path) -> None:
    """A throwaway NLU-only Rasa project with the pipeline under test."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in train:
        by_intent.setdefault(intent, []).append(text)
    nlu = {
        "version": "3.1",
        "nlu": [{"intent": i, "examples": "".join(f"- {t}\n" for t in ts)} for i, ts in by_intent.items()],
    }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "nlu.yml").write_text(yaml.safe_dump(nlu, allow_unicode=True, sort_keys=False))
    (workdir / "domain.yml").write_text(yaml.safe_dump({"version": "3.1", "intents": sorted(by_intent)}))
    config = yaml.safe_load(config_file.read_text())
    pipeline = {
        "recipe": "default.v1",
        "language": config.get("language", "en"),
        "pipeline": config["pipeline"],
        "policies": [],
    }
    (workdir / "config.yml").write_text(yaml.safe_dump(pipeline, sort_keys=False))


def train(workdir: Path) -> tuple[Path, float]:
    """Trains the NLU model; returns its path and the seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        ["rasa", "train", "nlu", "--config", "config.yml", "--nlu", "nlu.yml", "--domain", "domain.yml",
         "--out", "models", "--fixed-model-name", "bench"],
        cwd=workdir, check=True, stdout=subprocess.DEVNULL,
        # No training cache: the figure is a full training, whatever ran before.
        env={**os.environ, "RASA_MAX_CACHE_SIZE": "0", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    return workdir / "models" / "bench.tar.gz", time.perf_counter() - started


def rss_megabytes(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def serve_and_parse(model: Path, texts: list[str], port: int) -> tuple[list[str], list[float], float]:
    """Predicted intents, per-message latencies (s) and the server's RSS (MB) after parsing.

    The server runs in the throwaway project, away from the assistant's endpoints.yml.
    """
    server = subprocess.Popen(
        ["rasa", "run", *rasa_api_flags(TOKEN), "-i", "127.0.0.1", "-p", str(port),
         "--model", str(model)],
        cwd=model.parent.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"{url}/status", headers=rasa_api_headers(TOKEN), timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        if server.poll() is not None:
            raise RuntimeError(f"rasa run exited with {server.returncode}")
        predictions, latencies = [], []
        with httpx.Client(base_url=url, headers=rasa_api_headers(TOKEN), timeout=30) as http:
            http.post("/model/parse", json={"text": "warm up"})
            for text in texts:
                started = time.perf_counter()
                parsed: dict[str, Any] = http.post("/model/parse", json={"text": text}).json()
                latencies.append(time.perf_counter() - started)
                predictions.append(_top_intent(parsed))
        return predictions, latencies, rss_megabytes(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)


def _top_intent(parsed: dict[str, Any]) -> str:
    """The best real intent: the closed-set answer, before the fallback threshold applies."""
    ranking = [r["name"] for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK]
    return str(ranking[0] if ranking else parsed["intent"]["name"])


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--name", default="project_pipeline")
    parser.add_argument("--port", type=int, default=5105)
    arguments = parser.parse_args()
    train_rows, test_rows = read_split(arguments.dataset / "train.csv"), read_split(arguments.dataset / "test.csv")
    workdir = ROOT / "var" / "bench" / arguments.name
    write_project(workdir, train_rows, arguments.config)
    model, training_seconds = train(workdir)
    predictions, latencies, rss = serve_and_parse(model, [t for t, _ in test_rows], arguments.port)
    truth = [i for _, i in test_rows]
    result = {
        "name": arguments.name,
        "config": str(arguments.config),
        "train_examples": len(train_rows),
        "test_examples": len(test_rows),
        "accuracy": round(sum(p == t for p, t in zip(predictions, truth, strict=True)) / len(truth), 4),
        "macro_f1": round(float(f1_score(truth, predictions, average="macro")), 4),
        "training_seconds": round(training_seconds, 1),
        "parse_p50_ms": round((percentile(latencies, 50) or 0) * 1000, 1),
        "parse_p99_ms": round((percentile(latencies, 99) or 0) * 1000, 1),
        "server_rss_mb": round(rss),
    }
    output = ROOT / "results" / f"bench_nlu_{arguments.name}.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
