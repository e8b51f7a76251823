"""The state of the editors' retraining job, shared by every gateway instance."""

from __future__ import annotations

from redis.asyncio import Redis

STATE = "training:state"
LOG = "training:log"
LOCK = "training:lock"
PENDING = "training:pending"
SWAPPING = "rasa:swapping"
ACCURACY = "training:accuracy"
LOG_LINES = 400
LOCK_SECONDS = 30 * 60


class TrainingStore:
    """One job at a time (a lock), edits queued behind it (a flag), its state and log."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def claim(self, owner: str) -> bool:
        """Takes the training lock; False while another job runs."""
        return bool(await self._redis.set(LOCK, owner, nx=True, ex=LOCK_SECONDS))

    async def release(self) -> None:
        """Lets the next job run."""
        await self._redis.delete(LOCK)

    async def queue_behind(self) -> None:
        """Marks that edits arrived during a job, so another round follows."""
        await self._redis.set(PENDING, 1)

    async def take_pending(self) -> bool:
        """True (once) if edits are waiting for another round."""
        return bool(await self._redis.getdel(PENDING))

    async def update(self, **fields: str | int | float) -> None:
        """Sets fields of the job's state (state, progress, error, accuracy…)."""
        await self._redis.hset(STATE, mapping={k: str(v) for k, v in fields.items()})

    async def reset(self, **fields: str | int | float) -> None:
        """Starts a fresh state and log for a new job."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(STATE, LOG)
            pipe.hset(STATE, mapping={k: str(v) for k, v in fields.items()})
            await pipe.execute()

    async def state(self) -> dict[str, str]:
        """The job's state as stored."""
        raw = await self._redis.hgetall(STATE)
        return {k.decode(): v.decode() for k, v in raw.items()}

    async def log(self, line: str) -> None:
        """Appends a line of training output, keeping the last few hundred."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(LOG, line[:500])
            pipe.ltrim(LOG, -LOG_LINES, -1)
            await pipe.execute()

    async def lines(self) -> list[str]:
        """The job's log."""
        return [line.decode() for line in await self._redis.lrange(LOG, 0, -1)]

    async def known_accuracy(self, key: str) -> float | None:
        """A held-out accuracy measured before for this model and held-out set, if any."""
        value = await self._redis.hget(ACCURACY, key)
        return float(value) if value is not None else None

    async def remember_accuracy(self, key: str, accuracy: float) -> None:
        """Keeps a measurement, so the live model is not measured again in every job."""
        await self._redis.hset(ACCURACY, key, str(accuracy))

    async def set_swapping(self, on: bool) -> None:
        """Tells every gateway that Rasa is loading a new model (answers may take longer)."""
        if on:
            await self._redis.set(SWAPPING, 1, ex=300)
        else:
            await self._redis.delete(SWAPPING)

    async def swapping(self) -> bool:
        """True while a model swap is under way."""
        return bool(await self._redis.exists(SWAPPING))
