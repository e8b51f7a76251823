"""Trains the model only when its training inputs changed since the last training.

The fingerprint (``support/training_fingerprint.py``) covers config, domain, NLU/rules/stories,
the frustration training set, the custom components and the FAQ phrasings, but not the FAQ
answers: answers are read at run time and never need a new model. It is kept beside the model,
where the editors' retraining job reads and writes it too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from support.training_fingerprint import record_fingerprint, trained_on, training_fingerprint

ROOT = Path(__file__).resolve().parent.parent
MODEL_NAME = "maru"


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    arguments = parser.parse_args()
    model_dir = Path(os.environ.get("MODEL_DIR", ROOT / "models"))
    fingerprint = training_fingerprint(ROOT)
    model = model_dir / f"{MODEL_NAME}.tar.gz"
    if not arguments.force and trained_on(model, fingerprint):
        print(f"model is up to date: {model}")
        return 0
    print("training the model (the data changed)", flush=True)
    # --force: components that read their own data files (the frustration model) are
    # invisible to Rasa's cache, and this script only trains when something changed.
    command = ["rasa", "train", "--force", "--out", str(model_dir), "--fixed-model-name", MODEL_NAME]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        return result.returncode
    record_fingerprint(model, fingerprint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
