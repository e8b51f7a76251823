import pytest
from rasa.shared.nlu.training_data.message import Message

from addons.input_guard import EMPTY_MESSAGE, MESSAGE_TOO_LONG, InputGuard


@pytest.mark.parametrize(
    ("text", "intent"),
    [("", EMPTY_MESSAGE), ("   \n", EMPTY_MESSAGE), ("x" * 2001, MESSAGE_TOO_LONG), ("x" * 2000, "faq")],
)
def test_guard_overrides_only_blank_and_oversized_messages(text: str, intent: str) -> None:
    message = Message(data={"text": text, "intent": {"name": "faq", "confidence": 0.9}})
    [guarded] = InputGuard({"max_characters": 2000}).process([message])
    assert guarded.get("intent")["name"] == intent
