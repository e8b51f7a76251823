"""Compares ways to retrain after an editor adds an FAQ: Rasa's cache against a full training.

Works on a copy of the project (the real files and models are not touched), with the
cache the last `make train` left in `.rasa/cache`. It adds an FAQ with 10 phrasings
through the knowledge editor, then times, one after the other:

- ``cached``: `rasa train` as the editor pages run it (parts whose inputs did not change
  come from the cache);
- ``full``: `rasa train --force` (everything trained again);
- ``check``: the held-out FAQ accuracy check of one model (`scripts.check_model`).

and prints, for each training, the wall time and the components that really trained.
Example: python -m scripts.bench_retraining
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from knowledge import KnowledgeEditor
from scripts.bench_common import SAMPLE_FAQ

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("actions", "addons", "frustration", "knowledge", "scripts", "data", "tests/nlu", ".rasa/cache")
COPIED_FILES = ("config.yml", "domain.yml", "endpoints.yml", "credentials.yml")
HOOK = re.compile(
    r"^(\S+ \S+) INFO\s+rasa\.engine\.training\.hooks\s+- (Starting to train|Finished training) component '(\w+)'"
)


def project_copy(target: Path) -> Path:
    """The training inputs and the training cache, copied."""
    for part in COPIED:
        if (ROOT / part).exists():
            shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in COPIED_FILES:
        shutil.copy(ROOT / name, target / name)
    return target


def add_faq(project: Path) -> None:
    """The change an editor makes: a new FAQ with 10 phrasings."""
    editor = KnowledgeEditor(project / "data" / "knowledge", project / "var" / "changes.jsonl")
    faq = SAMPLE_FAQ
    editor.add_faq("bench", "en", faq["topic"], faq["id"], faq["question"], faq["answer"], faq["phrasings"])


def timed(command: list[str], project: Path) -> tuple[float, str]:
    """Wall seconds and the combined output of a command run in the project."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    started = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return time.perf_counter() - started, done.stdout + done.stderr


def trained_components(log: Iterable[str]) -> list[tuple[str, float]]:
    """The components that trained (not restored from the cache) and their seconds."""
    started: dict[str, datetime] = {}
    trained = []
    for line in log:
        match = HOOK.match(line)
        if not match:
            continue
        moment, what, name = datetime.fromisoformat(match[1]), match[2], match[3]
        if what == "Starting to train":
            started[name] = moment
        elif name in started:
            trained.append((name, (moment - started.pop(name)).total_seconds()))
    return trained


def report(name: str, seconds: float, log: str) -> None:
    """One line per training, then its slowest components."""
    components = trained_components(log.splitlines())
    print(f"{name:<7} {seconds:6.1f} s   {len(components)} components trained")
    for component, spent in sorted(components, key=lambda c: -c[1])[:5]:
        print(f"          {spent:5.0f} s  {component}")


def main() -> None:
    """Runs the comparison and prints it."""
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    rasa = str(Path(sys.executable).parent / "rasa")
    with tempfile.TemporaryDirectory() as folder:
        project = project_copy(Path(folder))
        add_faq(project)
        train = [rasa, "train", "--out", "models", "--fixed-model-name"]
        seconds, log = timed([*train, "cached"], project)
        report("cached", seconds, log)
        seconds, log = timed([*train, "full", "--force"], project)
        report("full", seconds, log)
        seconds, _ = timed([sys.executable, "-m", "scripts.check_model", "models/cached.tar.gz"], project)
        print(f"check   {seconds:6.1f} s   held-out FAQ accuracy of one model")


if __name__ == "__main__":
    main()
