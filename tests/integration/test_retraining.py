"""Retraining: a model trained on broken data is refused, and the live one keeps answering."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from tests.integration.stack import MODEL, ROOT, Stack, rasa_headers

pytestmark = pytest.mark.integration
PROJECT_PARTS = ("actions", "addons", "frustration", "knowledge", "scripts", "support", "data")
PROJECT_FILES = ("config.yml", "domain.yml", "endpoints.yml", "credentials.yml")


def broken_copy(target: Path) -> Path:
    """The project with every FAQ's phrasings handed to its neighbour: the model learns the wrong answers."""
    for part in PROJECT_PARTS:
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "tests" / "nlu", target / "tests" / "nlu")  # the held-out core intents
    for path in sorted((target / "data" / "knowledge" / "en").glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        faqs = document["faqs"]
        phrasings = [faq["phrasings"] for faq in faqs]
        for faq, shifted in zip(faqs, phrasings[1:] + phrasings[:1], strict=True):
            faq["phrasings"] = shifted
        path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def model_id(stack: Stack) -> str:
    status = httpx.get(f"{stack.rasa_url}/status", headers=rasa_headers(), timeout=10)
    return str(status.json()["model_id"])


def test_a_model_trained_on_broken_data_is_refused(stack: Stack, tmp_path: Path) -> None:
    project = broken_copy(tmp_path / "project")
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODEL, models / "maru.tar.gz")
    live_before = model_id(stack)
    # The admin command runs the editor pages' job in its own process, with a hard time limit.
    job = subprocess.run(
        [sys.executable, "-m", "bot.admin", "retrain", "--editor", "dara", "--project", str(project)],
        cwd=ROOT, env={**stack.env(), "MODEL_DIR": str(models)}, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert job.returncode == 1, job.stdout + job.stderr
    assert (
        job.stderr.strip()
        .splitlines()[-1]
        .startswith("error: refused: FAQ accuracy on en held-out phrasings would drop from")
    )
    state = redis.Redis.from_url(stack.redis_url).hgetall("training:state")
    assert state[b"state"] == b"failed"
    assert float(state[b"accuracy_after"]) < float(state[b"accuracy_before"]) - 0.02
    assert model_id(stack) == live_before
    assert (models / "maru.tar.gz").read_bytes() == MODEL.read_bytes()
    assert not list((models / "candidates").glob("*.tar.gz"))  # the refused candidate is not kept
