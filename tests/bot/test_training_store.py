"""The retraining job's shared state: one job at a time, later edits queue one more round."""

from __future__ import annotations

import fakeredis

from bot.store.training import TrainingStore


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
