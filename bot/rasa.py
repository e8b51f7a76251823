"""Talks to the Rasa server over its token-protected gateway channel and HTTP API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from bot.observability.metrics import GatewayMetrics
from bot.settings import Secret
from support.rasa_auth import rasa_api_headers

LOAD_TIMEOUT_SECONDS = 180.0
# How long a customer's message may wait while Rasa loads a new model.
SWAP_TIMEOUT_SECONDS = 90.0


class RasaUnavailable(RuntimeError):
    """Rasa did not answer in time or answered with an error."""


class RasaClient:
    """Sends customer messages to Rasa and returns the bot's messages."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        token: Secret,
        timeout: float,
        metrics: GatewayMetrics | None = None,
    ) -> None:
        self._http = http
        self._url = url
        self._token = token
        self._headers = {"Authorization": f"Bearer {token.value}"}
        self._timeout = timeout
        # Failed calls are counted by kind (a metrics object of its own for tools and tests).
        self._metrics = metrics or GatewayMetrics()

    async def send(
        self, conversation: str, text: str, metadata: dict[str, Any], patient: bool = False
    ) -> list[dict[str, Any]]:
        """The bot's replies to one customer message (``patient`` while a new model loads)."""
        try:
            response = await self._http.post(
                f"{self._url}/webhooks/gateway/webhook",
                json={"sender": conversation, "message": text, "metadata": metadata},
                headers=self._headers,
                timeout=SWAP_TIMEOUT_SECONDS if patient else self._timeout,
            )
            response.raise_for_status()
        except httpx.HTTPError as error:
            self._metrics.rasa_error(error_kind(error))
            raise RasaUnavailable(f"Rasa did not answer: {type(error).__name__}") from error
        self._metrics.rasa_replied()
        replies = response.json()
        return replies if isinstance(replies, list) else []

    async def log_customer_message(self, conversation: str, text: str) -> None:
        """Adds a customer message to the tracker (parsed, slots filled) without the bot answering."""
        await self._api("POST", f"/conversations/{conversation}/messages", {"text": text, "sender": "user"})

    async def log_events(self, conversation: str, events: list[dict[str, Any]]) -> None:
        """Appends events (an agent's message as a bot utterance, for example) to the tracker."""
        await self._api("POST", f"/conversations/{conversation}/tracker/events", events)

    async def parse(self, text: str) -> dict[str, Any]:
        """The model's reading of a text: intent, FAQ ranking and entities."""
        parsed = await self._api("POST", "/model/parse", {"text": text})
        return parsed if isinstance(parsed, dict) else {}

    async def load_model(self, model: Path) -> None:
        """Makes Rasa load another model file (it keeps serving with the old one until the new one is ready)."""
        await self._api("PUT", "/model", {"model_file": str(model)}, timeout=LOAD_TIMEOUT_SECONDS)

    async def _api(self, method: str, path: str, body: Any, timeout: float | None = None) -> Any:
        try:
            response = await self._http.request(
                method,
                f"{self._url}{path}",
                json=body,
                headers=rasa_api_headers(self._token.value),
                timeout=timeout or self._timeout,
            )
            response.raise_for_status()
            return response.json() if response.content else None
        except (httpx.HTTPError, ValueError) as error:
            self._metrics.rasa_error(error_kind(error))
            raise RasaUnavailable(f"Rasa API {path} failed: {type(error).__name__}") from error

    async def status(self) -> dict[str, Any]:
        """Rasa's /status: the loaded model's ``model_id`` and ``model_file`` (not counted as errors: health checks).

        Raises:
            RasaUnavailable: no answer within a second, an error, or no model loaded.
        """
        try:
            # A short-lived JWT in the header (support/rasa_auth.py): no token in a URL that logs keep.
            headers = rasa_api_headers(self._token.value)
            response = await self._http.get(f"{self._url}/status", headers=headers, timeout=1)
            response.raise_for_status()
            status = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(f"Rasa /status failed: {type(error).__name__}") from error
        if not isinstance(status, dict) or not status.get("model_id"):
            raise RasaUnavailable("Rasa has no model loaded")
        return status


def error_kind(error: Exception) -> str:
    """How a call to Rasa failed, as a metric label (one of ``bot.observability.metrics.RASA_ERRORS``)."""
    if isinstance(error, httpx.TimeoutException):
        return "timeout"
    if isinstance(error, httpx.HTTPStatusError):
        return "http_5xx" if error.response.status_code >= 500 else "http_4xx"
    if isinstance(error, httpx.TransportError):
        return "connection"
    if isinstance(error, ValueError):
        return "invalid_response"
    return "other"
