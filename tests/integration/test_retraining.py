"""Retraining: a model trained on broken data is refused, and the live one keeps answering."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
import pytest
import yaml
from redis.asyncio import Redis

from bot.editor.training import Trainer
from bot.rasa import RasaClient
from bot.settings import Secret
from bot.store.training import TrainingStore
from tests.integration.stack import MODEL, RASA_TOKEN, ROOT, Stack

pytestmark = pytest.mark.integration
PROJECT_PARTS = ("actions", "addons", "frustration", "knowledge", "scripts", "data")
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


async def model_id(stack: Stack) -> str:
    async with httpx.AsyncClient() as http:
        status = await http.get(f"{stack.rasa_url}/status", params={"token": RASA_TOKEN})
    return str(status.json()["model_id"])


async def test_a_model_trained_on_broken_data_is_refused(stack: Stack, tmp_path: Path) -> None:
    project = broken_copy(tmp_path / "project")
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODEL, models / "maru.tar.gz")
    redis = Redis.from_url(stack.redis_url)
    store = TrainingStore(redis)
    live_before = await model_id(stack)
    async with httpx.AsyncClient() as http:
        rasa = RasaClient(http, stack.rasa_url, Secret(RASA_TOKEN), 10)
        trainer = Trainer(store, rasa, project, models, accuracy_margin=0.02, owner="test")
        assert await trainer.request("dara") == "started"
        state = await wait_for_outcome(store)
        await wait_for_the_lock(store)  # the job's task has finished before the test's loop closes
    assert state["state"] == "failed"
    assert state["error"].startswith("refused: FAQ accuracy on held-out phrasings would drop from")
    assert float(state["accuracy_after"]) < float(state["accuracy_before"]) - 0.02
    assert await model_id(stack) == live_before
    assert (models / "maru.tar.gz").read_bytes() == MODEL.read_bytes()
    await redis.close()


async def wait_for_outcome(store: TrainingStore) -> dict[str, str]:
    """The job's final state."""
    for _ in range(900):
        state = await store.state()
        if state.get("state") in ("done", "failed"):
            return state
        await asyncio.sleep(1)
    raise TimeoutError("the training job did not finish in 15 minutes")


async def wait_for_the_lock(store: TrainingStore) -> None:
    """Waits until the job has released the training lock."""
    for _ in range(120):
        if await store.claim("test"):
            await store.release()
            return
        await asyncio.sleep(0.5)
    raise TimeoutError("the training job kept its lock")
