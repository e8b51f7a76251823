"""Redis clients that ride out a restart of the server, for the gateway, the action server and Rasa.

A pooled connection to a Redis that restarted is dead, and without a retry each one fails a
customer's turn once. These clients retry connection and time-out errors with exponential
backoff for up to ``RETRY_SECONDS`` per command (enough for a restart, short enough that a
customer hears of a longer outage in time), and ping a connection that has been idle before
using it. Only connection and time-out errors are retried: a command Redis refused is never
repeated.

redis-py retries a command, and separately the connect inside it, each with its own count;
nested, the counts multiply (20 s for one command when Redis stays down). Here both share one
deadline, kept in a context variable for the duration of the outer call.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

T = TypeVar("T")
# A refused connect while Redis restarts is the socket's own error (builtin ConnectionError).
RETRIED_ERRORS: list[type[Exception]] = [RedisConnectionError, RedisTimeoutError, ConnectionError]
RETRY_SECONDS = 3.0
HEALTH_CHECK_SECONDS = 10
_deadline: ContextVar[float | None] = ContextVar("redis_retry_deadline", default=None)


def _backoff() -> ExponentialBackoff:
    return ExponentialBackoff(cap=1.0, base=0.1)


class _Deadline:
    """The deadline of the outermost retrying call in this context, set on entry."""

    def __enter__(self) -> float:
        outer = _deadline.get()
        if outer is not None:
            self._token = None
            return outer
        deadline = time.monotonic() + RETRY_SECONDS
        self._token = _deadline.set(deadline)
        return deadline

    def __exit__(self, *_: object) -> None:
        if self._token is not None:
            _deadline.reset(self._token)


class DeadlineRetry(AsyncRetry):
    """redis-py's asyncio retry, bounded by one deadline however deep the retries nest."""

    def __init__(self) -> None:
        super().__init__(_backoff(), retries=-1)

    async def call_with_retry(self, do: Callable[[], Awaitable[T]], fail: Callable[[Exception], Any]) -> T:
        """Calls ``do`` until it succeeds or the next pause would pass the deadline."""
        with _Deadline() as deadline:
            failures = 0
            while True:
                try:
                    return await do()
                except tuple(self._supported_errors) as error:
                    failures += 1
                    await fail(error)
                    pause = self._backoff.compute(failures)
                    if time.monotonic() + pause > deadline:
                        raise
                    await asyncio.sleep(pause)


class BlockingDeadlineRetry(Retry):
    """The same policy for the blocking client (Rasa's tracker and lock stores)."""

    def __init__(self) -> None:
        super().__init__(_backoff(), retries=-1)

    def call_with_retry(self, do: Callable[[], T], fail: Callable[[Exception], Any]) -> T:
        """Calls ``do`` until it succeeds or the next pause would pass the deadline."""
        with _Deadline() as deadline:
            failures = 0
            while True:
                try:
                    return do()
                except tuple(self._supported_errors) as error:
                    failures += 1
                    fail(error)
                    pause = self._backoff.compute(failures)
                    if time.monotonic() + pause > deadline:
                        raise
                    time.sleep(pause)


def async_client(url: str, **options: Any) -> redis.asyncio.Redis:
    """An asyncio client for ``url`` that rides out a restart (``options`` go to redis-py)."""
    return redis.asyncio.Redis.from_url(
        url,
        retry=DeadlineRetry(),
        retry_on_error=RETRIED_ERRORS,
        health_check_interval=HEALTH_CHECK_SECONDS,
        **options,
    )


def sync_client(**options: Any) -> redis.Redis:
    """A blocking client with the same policy; ``options`` are connection keywords."""
    return redis.Redis(
        retry=BlockingDeadlineRetry(),
        retry_on_error=RETRIED_ERRORS,
        health_check_interval=HEALTH_CHECK_SECONDS,
        **options,
    )
