"""Replies as data: the logic modules decide, the actions only send."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

from support.language import variation_in


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


def response_texts(domain: dict[str, Any], prefix: str, language: str) -> dict[str, str]:
    """The text in a language of every domain response whose name starts with ``prefix``, by suffix."""
    return {
        name[len(prefix) :]: response_text(domain, name, language)
        for name in domain.get("responses") or {}
        if name.startswith(prefix)
    }


def response_text(domain: dict[str, Any], name: str, language: str) -> str:
    """The text of a response in a language: the variation for that language, else the plain one."""
    return str(response_variation(domain, name, language).get("text", ""))


def response_variation(domain: dict[str, Any], name: str, language: str) -> dict[str, Any]:
    """A response's variation for a language (its first), else its first plain variation."""
    return dict(variation_in((domain.get("responses") or {}).get(name) or [], language) or {})


def send_in_language(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], replies: tuple[Reply, ...], language: str
) -> None:
    """Sends the replies as written in ``language``, whatever the language slot says at this point.

    Rasa fills a response from the slots as they were before the action ran; an action that sets
    the language (the session start, from the gateway's metadata) renders its replies itself.
    """
    for reply in replies:
        variation = response_variation(domain, reply.response, language)
        buttons = list(reply.buttons) or variation.get("buttons")
        dispatcher.utter_message(
            text=str(variation.get("text", "")).format(**reply.values), buttons=buttons, utter_action=reply.response
        )
