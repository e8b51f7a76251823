"""The Rasa input channel the gateway talks to.

Unlike Rasa's REST channel it requires the API token, passes the sender's metadata
(channel, first name) to the tracker, and returns every bot message whole: text,
buttons, custom payloads (a handoff request) and metadata such as ``faq_id``.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, json

MESSAGE_KEYS = (
    "text",
    "buttons",
    "quick_replies",
    "custom",
    "image",
    "faq_id",
    "faq_alternatives",
    "language",
    "utter_action",
)


class CollectingGatewayOutput(OutputChannel):
    """Keeps every bot message of one turn, with its metadata."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    @classmethod
    def name(cls) -> str:
        """The channel name stored in the tracker."""
        return "gateway"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        """Stores the message without the keys that are empty or internal."""
        self.messages.append({key: message[key] for key in MESSAGE_KEYS if message.get(key)})

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Stores a plain text message (used by Rasa outside send_response)."""
        self.messages.append({"text": text})


class GatewayInput(InputChannel):
    """POST /webhooks/gateway/webhook with ``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("the gateway channel needs a token (RASA_TOKEN)")
        self._token = token

    @classmethod
    def name(cls) -> str:
        """The channel's URL prefix."""
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Reads the token from credentials.yml."""
        return cls(str((credentials or {}).get("token") or ""))

    def _authorised(self, request: Request) -> bool:
        return hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {self._token}")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Routes of the channel."""
        gateway = Blueprint("gateway_webhook", __name__)

        @gateway.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return json({"status": "ok"})

        @gateway.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorised(request):
                return json({"error": "missing or wrong token"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not sender or not isinstance(text, str):
                return json({"error": "'sender' and 'message' must be strings"}, status=400)
            output = CollectingGatewayOutput()
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            await on_new_message(UserMessage(text, output, sender, input_channel=self.name(), metadata=metadata))
            return json(output.messages)

        return gateway
