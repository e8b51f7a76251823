"""The retraining job's shared state: one job at a time, later edits queue one more round."""

from __future__ import annotations

import shutil
from pathlib import Path

import fakeredis
import yaml

from bot.editor.training import accuracy_key, held_out_digest
from bot.store.training import TrainingStore

ROOT = Path(__file__).resolve().parents[2]


async def test_one_job_at_a_time_and_edits_queue_behind_it() -> None:
    store = TrainingStore(fakeredis.FakeAsyncRedis())
    assert await store.claim("gateway-a")
    assert not await store.claim("gateway-b")
    await store.queue_behind()
    assert await store.take_pending()
    assert not await store.take_pending()
    await store.release()
    assert await store.claim("gateway-b")


async def test_state_log_and_the_swap_flag() -> None:
    store = TrainingStore(fakeredis.FakeAsyncRedis())
    await store.reset(state="training", progress=0)
    await store.update(progress=40)
    await store.log("Finished training component 'FaqClassifier'.")
    assert await store.state() == {"state": "training", "progress": "40"}
    assert await store.lines() == ["Finished training component 'FaqClassifier'."]
    await store.set_swapping(True)
    assert await store.swapping()
    await store.set_swapping(False)
    assert not await store.swapping()


async def test_an_accuracy_is_remembered_by_its_key() -> None:
    store = TrainingStore(fakeredis.FakeAsyncRedis())
    assert await store.known_accuracy("model-and-cases") is None
    await store.remember_accuracy("model-and-cases", 0.885)
    assert await store.known_accuracy("model-and-cases") == 0.885


def test_the_accuracy_key_follows_the_model_and_the_held_out_phrasings_only(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "data" / "knowledge", tmp_path / "data" / "knowledge")
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"model one")
    first = accuracy_key(model, held_out_digest(tmp_path))
    shipping = tmp_path / "data" / "knowledge" / "en" / "shipping.yml"
    document = yaml.safe_load(shipping.read_text(encoding="utf-8"))
    document["faqs"][0]["phrasings"].append("a new training phrasing")
    shipping.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert accuracy_key(model, held_out_digest(tmp_path)) == first
    document["faqs"][0]["held_out"].append("a new held-out phrasing")
    shipping.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert accuracy_key(model, held_out_digest(tmp_path)) != first
    held_out_changed = accuracy_key(model, held_out_digest(tmp_path))
    model.write_bytes(b"model two")
    assert accuracy_key(model, held_out_digest(tmp_path)) != held_out_changed
