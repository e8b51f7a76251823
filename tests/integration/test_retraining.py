"""Retraining from the command line: what it does with unchanged and with broken training data.

With the training data the live model was trained on there is nothing to retrain and nothing is
swapped; a model trained on broken data is refused, and the live one keeps answering.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis
import yaml

from bot.editor.training import NOTHING_TO_RETRAIN
from support.training_fingerprint import fingerprint_file, record_fingerprint, training_fingerprint
from tests.integration.stack import MODEL, ROOT, Stack, rasa_headers

pytestmark = pytest.mark.integration
PROJECT_PARTS = ("actions", "addons", "frustration", "knowledge", "scripts", "support", "data")
PROJECT_FILES = ("config.yml", "domain.yml", "endpoints.yml", "credentials.yml")


def project_copy(target: Path) -> Path:
    """The parts of the project a retraining job reads."""
    for part in PROJECT_PARTS:
        shutil.copytree(ROOT / part, target / part, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "tests" / "nlu", target / "tests" / "nlu")  # the held-out core intents
    return target


def broken_copy(target: Path) -> Path:
    """The project with every FAQ's phrasings handed to its neighbour: the model learns the wrong answers."""
    project_copy(target)
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


def live_models(tmp_path: Path) -> Path:
    """A models folder holding the live model, recorded as trained on the project's data (as `make train` does)."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODEL, models / "maru.tar.gz")
    record_fingerprint(models / "maru.tar.gz", training_fingerprint(ROOT))
    return models


def make_retrain(stack: Stack, project: Path, models: Path) -> subprocess.CompletedProcess[str]:
    """`make retrain`: the editor pages' job in a process of its own, with a hard time limit."""
    return subprocess.run(
        [sys.executable, "-m", "bot.admin", "retrain", "--editor", "dara", "--project", str(project)],
        cwd=ROOT, env={**stack.env(), "MODEL_DIR": str(models)}, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip


def test_with_the_live_model_s_training_data_there_is_nothing_to_retrain(stack: Stack, tmp_path: Path) -> None:
    project = project_copy(tmp_path / "project")
    models = live_models(tmp_path)
    live_before = model_id(stack)
    asked = time.monotonic()
    job = make_retrain(stack, project, models)
    took = time.monotonic() - asked
    assert job.returncode == 0, job.stdout + job.stderr
    assert job.stdout.strip().splitlines()[-1] == NOTHING_TO_RETRAIN
    state = {k.decode(): v.decode() for k, v in redis.Redis.from_url(stack.redis_url).hgetall("training:state").items()}
    assert {k: v for k, v in state.items() if k not in ("started", "finished")} == {
        "state": "unchanged",
        "progress": "100",
        "editor": "dara",
    }
    # No training, no 45 s check, no swap (which alone waits 5 s and stalls Rasa for about 10 s).
    assert float(state["finished"]) - float(state["started"]) < 2.0
    assert took < 30.0, took
    assert redis.Redis.from_url(stack.redis_url).lrange("training:log", 0, -1) == [NOTHING_TO_RETRAIN.encode()]
    assert model_id(stack) == live_before
    assert (models / "maru.tar.gz").read_bytes() == MODEL.read_bytes()
    assert sorted(path.name for path in models.iterdir()) == ["maru.fingerprint", "maru.tar.gz"]


def test_a_model_trained_on_broken_data_is_refused(stack: Stack, tmp_path: Path) -> None:
    project = broken_copy(tmp_path / "project")
    models = live_models(tmp_path)
    recorded = fingerprint_file(models / "maru.tar.gz").read_text(encoding="utf-8")
    live_before = model_id(stack)
    job = make_retrain(stack, project, models)
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
    assert fingerprint_file(models / "maru.tar.gz").read_text(encoding="utf-8") == recorded
    assert not list((models / "candidates").glob("*.tar.gz"))  # the refused candidate is not kept
