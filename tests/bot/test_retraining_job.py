"""A retraining job trains, checks and swaps only when the training data differs from the live model's."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import fakeredis
import httpx
import pytest

from bot.editor import training
from bot.editor.training import NOTHING_TO_RETRAIN, Trainer
from bot.observability.metrics import GatewayMetrics
from bot.rasa import RasaClient
from bot.settings import PROJECT_ROOT, Secret
from bot.store.training import TrainingStore
from support.training_fingerprint import fingerprint_file, record_fingerprint, training_fingerprint

OLD_MODEL = b"the live model"
NEW_MODEL = b"the retrained model"


class Steps:
    """What the job did: trainings, checks and the models Rasa was asked to load."""

    def __init__(self, rasa_status: int = 204) -> None:
        self.trained = 0
        self.checked = 0
        self.loaded: list[str] = []
        self.rasa_status = rasa_status

    def rasa(self, request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("PUT", "/model")
        self.loaded.append(json.loads(request.content)["model_file"])
        return httpx.Response(self.rasa_status)


@pytest.fixture
async def rasa_http() -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients: dict[str, httpx.AsyncClient] = {}
    yield clients
    for client in clients.values():
        await client.aclose()


def job(
    tmp_path: Path, steps: Steps, monkeypatch: pytest.MonkeyPatch, clients: dict[str, httpx.AsyncClient]
) -> tuple[Trainer, GatewayMetrics]:
    """A trainer whose training writes NEW_MODEL and whose check passes; Rasa's API is a double."""
    monkeypatch.setattr(training, "SWAP_GRACE_SECONDS", 0.0)
    clients["rasa"] = httpx.AsyncClient(transport=httpx.MockTransport(steps.rasa))
    rasa = RasaClient(clients["rasa"], "http://rasa.test", Secret("rasa-token-of-at-least-32-bytes-long"), 1.0)
    metrics = GatewayMetrics()
    trainer = Trainer(TrainingStore(fakeredis.FakeAsyncRedis()), rasa, PROJECT_ROOT, tmp_path, 0.02, "test", metrics)

    async def train(candidate: Path) -> None:
        steps.trained += 1
        await asyncio.to_thread(candidate.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(candidate.write_bytes, NEW_MODEL)

    async def check(_: Path, __: str) -> None:
        steps.checked += 1

    monkeypatch.setattr(trainer, "_train", train)
    monkeypatch.setattr(trainer, "_check", check)
    return trainer, metrics


def live_model(models: Path, fingerprint: str) -> Path:
    model = models / "maru.tar.gz"
    model.write_bytes(OLD_MODEL)
    record_fingerprint(model, fingerprint)
    return model


def outcomes(metrics: GatewayMetrics) -> dict[str, float]:
    return {
        outcome: metrics.registry.get_sample_value("maru_retrain_jobs_total", {"outcome": outcome}) or 0.0
        for outcome in ("done", "unchanged", "refused", "failed")
    }


async def test_a_job_on_the_live_model_s_data_ends_as_nothing_to_retrain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_http: dict[str, httpx.AsyncClient]
) -> None:
    model = live_model(tmp_path, training_fingerprint(PROJECT_ROOT))
    steps = Steps()
    trainer, metrics = job(tmp_path, steps, monkeypatch, rasa_http)
    state = await trainer.run("sora")
    assert state is not None
    assert {k: v for k, v in state.items() if k not in ("started", "finished")} == {
        "state": "unchanged",
        "progress": "100",
        "editor": "sora",
    }
    assert await trainer.store.lines() == [NOTHING_TO_RETRAIN]
    assert (steps.trained, steps.checked, steps.loaded) == (0, 0, [])
    assert model.read_bytes() == OLD_MODEL
    assert not (tmp_path / "candidates").exists()
    assert outcomes(metrics) == {"done": 0.0, "unchanged": 1.0, "refused": 0.0, "failed": 0.0}
    assert await trainer.store.claim("another-gateway")  # the lock was released


async def test_changed_data_is_trained_checked_swapped_and_recorded_and_then_there_is_nothing_to_retrain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_http: dict[str, httpx.AsyncClient]
) -> None:
    model = live_model(tmp_path, "the fingerprint of older training data")
    steps = Steps()
    trainer, metrics = job(tmp_path, steps, monkeypatch, rasa_http)
    state = await trainer.run("sora")
    assert state is not None
    assert (state["state"], state["progress"]) == ("done", "100")
    assert (steps.trained, steps.checked, len(steps.loaded)) == (1, 1, 1)
    assert Path(steps.loaded[0]).parent == tmp_path / "candidates"
    assert model.read_bytes() == NEW_MODEL
    assert fingerprint_file(model).read_text(encoding="utf-8") == training_fingerprint(PROJECT_ROOT)

    state = await trainer.run("minji")
    assert state is not None
    assert (state["state"], state["editor"]) == ("unchanged", "minji")
    assert (steps.trained, steps.checked, len(steps.loaded)) == (1, 1, 1)
    assert outcomes(metrics) == {"done": 1.0, "unchanged": 1.0, "refused": 0.0, "failed": 0.0}


async def test_an_edit_queued_during_a_job_that_leaves_the_data_as_trained_costs_no_second_training(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_http: dict[str, httpx.AsyncClient]
) -> None:
    live_model(tmp_path, "the fingerprint of older training data")
    steps = Steps()
    trainer, metrics = job(tmp_path, steps, monkeypatch, rasa_http)
    first_round = trainer._train

    async def train_while_an_editor_saves(candidate: Path) -> None:
        # An editor adds a phrasing and removes it again while the first round trains: one more round is queued.
        if steps.trained == 0:
            await trainer.store.queue_behind()
        await first_round(candidate)

    monkeypatch.setattr(trainer, "_train", train_while_an_editor_saves)
    state = await trainer.run("sora")
    assert state is not None
    assert state["state"] == "unchanged"  # the state of the queued round, the last one
    assert (steps.trained, steps.checked, len(steps.loaded)) == (1, 1, 1)
    assert outcomes(metrics) == {"done": 1.0, "unchanged": 1.0, "refused": 0.0, "failed": 0.0}


async def test_a_swap_rasa_refuses_keeps_the_live_model_and_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rasa_http: dict[str, httpx.AsyncClient]
) -> None:
    model = live_model(tmp_path, "the fingerprint of older training data")
    steps = Steps(rasa_status=500)
    trainer, metrics = job(tmp_path, steps, monkeypatch, rasa_http)
    state = await trainer.run("sora")
    assert state is not None
    assert (state["state"], state["error"]) == ("failed", "Rasa API /model failed: HTTPStatusError")
    assert model.read_bytes() == OLD_MODEL
    assert fingerprint_file(model).read_text(encoding="utf-8") == "the fingerprint of older training data"
    assert outcomes(metrics) == {"done": 0.0, "unchanged": 0.0, "refused": 0.0, "failed": 1.0}
