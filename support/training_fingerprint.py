"""What a model was trained on: a fingerprint of its training inputs, kept beside the model file.

``make train`` (``scripts/train_if_needed.py``) and the editors' retraining job
(``bot/editor/training.py``) both write it as ``<name>.fingerprint`` next to ``<name>.tar.gz``,
and both skip training when the data now has the live model's fingerprint.

The fingerprint covers config, domain, NLU/rules/stories, the frustration training set, the
languages, the custom components' code and the FAQ phrasings, but not the FAQ answers: answers
are read at run time and never need a new model.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from knowledge import KnowledgeBase

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


def training_fingerprint(root: Path) -> str:
    """A hash of everything in the project at ``root`` that shapes the trained model."""
    digest = hashlib.sha256()
    for entry in TRAINING_FILES:
        path = root / entry
        for file in sorted(path.rglob("*") if path.is_dir() else [path]):
            if file.is_file() and file.suffix in (".yml", ".yaml", ".py"):
                digest.update(str(file.relative_to(root)).encode())
                digest.update(file.read_bytes())
    # Keyed by language too: an FAQ has the same id in every language.
    knowledge = KnowledgeBase.load(root / "data" / "knowledge")
    phrasings = {f"{faq.language}/{faq.id}": [faq.question, *faq.phrasings] for faq in knowledge}
    digest.update(json.dumps(phrasings, sort_keys=True).encode())
    return digest.hexdigest()


def fingerprint_file(model: Path) -> Path:
    """Where a model's fingerprint is kept: ``models/maru.tar.gz`` → ``models/maru.fingerprint``."""
    return model.with_name(model.name.removesuffix(".tar.gz") + ".fingerprint")


def trained_on(model: Path, fingerprint: str) -> bool:
    """True if ``model`` exists and was recorded as trained on data with this fingerprint."""
    stamp = fingerprint_file(model)
    return model.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == fingerprint


def record_fingerprint(model: Path, fingerprint: str) -> None:
    """Records what ``model`` was trained on (written whole, so a reader never sees half of it)."""
    stamp = fingerprint_file(model)
    partial = stamp.with_name(stamp.name + ".tmp")
    partial.write_text(fingerprint, encoding="utf-8")
    os.replace(partial, stamp)


def forget_fingerprint(model: Path) -> None:
    """Drops the record before ``model`` is replaced: a model without one is always retrained."""
    fingerprint_file(model).unlink(missing_ok=True)
