"""Replies as data: the logic modules decide, the actions only send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk.executor import CollectingDispatcher


@dataclass(frozen=True)
class Reply:
    """One bot message: a response name from the domain and its values."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)
    buttons: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What a step decided: messages to send, slots to set, and custom payloads that signal the gateway."""

    replies: tuple[Reply, ...] = ()
    slots: dict[str, Any] = field(default_factory=dict)
    signals: tuple[dict[str, Any], ...] = ()


def send(dispatcher: CollectingDispatcher, replies: tuple[Reply, ...]) -> None:
    """Sends the replies in order."""
    for reply in replies:
        dispatcher.utter_message(response=reply.response, buttons=list(reply.buttons) or None, **reply.values)


def send_outcome(dispatcher: CollectingDispatcher, outcome: Outcome) -> None:
    """Sends the outcome's replies, then its signals to the gateway."""
    send(dispatcher, outcome.replies)
    for signal in outcome.signals:
        dispatcher.utter_message(json_message=signal)


def response_texts(domain: dict[str, Any], prefix: str) -> dict[str, str]:
    """The first text of every domain response whose name starts with ``prefix``, by suffix."""
    return {
        name[len(prefix) :]: variations[0]["text"]
        for name, variations in (domain.get("responses") or {}).items()
        if name.startswith(prefix) and variations and "text" in variations[0]
    }
