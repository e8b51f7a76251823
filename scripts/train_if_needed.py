"""Trains the model only when its training inputs changed since the last training.

The fingerprint covers config, domain, NLU/rules/stories and the FAQ phrasings, but
not the FAQ answers: answers are read at run time and never need a new model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from knowledge import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
TRAINING_FILES = [
    "config.yml",
    "domain.yml",
    "data/nlu",
    "data/rules",
    "data/stories",
    "data/frustration/training",
    "data/languages.yml",
    "addons",
    "support/language.py",
    "frustration",
]
MODEL_NAME = "maru"


def training_fingerprint(root: Path = ROOT) -> str:
    """A hash of everything that shapes the trained model."""
    digest = hashlib.sha256()
    for entry in TRAINING_FILES:
        path = root / entry
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and file.suffix in (".yml", ".yaml", ".py"):
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    phrasings = {
        faq.id: [faq.language, faq.question, *faq.phrasings] for faq in KnowledgeBase.load(root / "data/knowledge")
    }
    digest.update(json.dumps(phrasings, sort_keys=True).encode())
    return digest.hexdigest()


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    arguments = parser.parse_args()
    model_dir = Path(os.environ.get("MODEL_DIR", ROOT / "models"))
    stamp = model_dir / f"{MODEL_NAME}.fingerprint"
    fingerprint = training_fingerprint()
    model = model_dir / f"{MODEL_NAME}.tar.gz"
    if not arguments.force and model.exists() and stamp.exists() and stamp.read_text() == fingerprint:
        print(f"model is up to date: {model}")
        return 0
    print("training the model (the data changed)", flush=True)
    # --force: components that read their own data files (the frustration model) are
    # invisible to Rasa's cache, and this script only trains when something changed.
    command = ["rasa", "train", "--force", "--out", str(model_dir), "--fixed-model-name", MODEL_NAME]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        return result.returncode
    stamp.write_text(fingerprint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
