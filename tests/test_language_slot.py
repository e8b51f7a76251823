"""The language slot: the gateway's decision, or the customer's text without a gateway (actions/language.py)."""

from actions.language import conversation_language


def test_the_gateway_decides_when_it_passes_a_language() -> None:
    assert conversation_language({"language": "ko"}, "en", "ok") == "ko"
    assert conversation_language({"language": "en"}, "ko", "환불해 주세요") == "en"


def test_an_unknown_language_from_the_metadata_is_ignored() -> None:
    assert conversation_language({"language": "fr"}, "en", "환불해 주세요") == "ko"


def test_without_a_gateway_the_slot_follows_the_customer() -> None:
    assert conversation_language(None, "en", "배송비 얼마예요?") == "ko"
    assert conversation_language({}, "ko", "10421") == "ko"
    assert conversation_language(None, None, "") == "en"
