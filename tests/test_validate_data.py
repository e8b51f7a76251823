from typing import Any

import yaml

from scripts.validate_data import responses_named_in_code, translation_problems, unexpected_warnings
from tests.conftest import ROOT

NAMED = {"utter_data_deleted", "utter_cannot_cancel_"}
FORM_SLOTS = {"email", "confirmation"}


def test_responses_sent_by_actions_or_forms_are_expected() -> None:
    warnings = [
        "The utterance 'utter_data_deleted' is not used in any story or rule.",
        "The utterance 'utter_cannot_cancel_already_shipped' is not used in any story or rule.",
        "The utterance 'utter_ask_email' is not used in any story or rule.",
        "The utterance 'utter_ask_cancel_order_form_confirmation' is not used in any story or rule.",
        "The utterance 'utter_faq' is not used in any story or rule.",
    ]
    assert unexpected_warnings(warnings, NAMED, FORM_SLOTS) == []


def test_orphan_responses_and_other_warnings_fail() -> None:
    warnings = [
        "The utterance 'utter_forgotten' is not used in any story or rule.",
        "Issue found in 'data/rules/x.yml': unknown intent",
    ]
    assert unexpected_warnings(warnings, NAMED, FORM_SLOTS) == warnings


def test_dynamic_response_names_are_found_by_prefix() -> None:
    named = responses_named_in_code()
    assert "utter_cannot_cancel_" in named
    assert "utter_order_status_" in named


KOREAN = [{"type": "slot", "name": "language", "value": "ko"}]


def test_a_response_without_its_korean_variation_fails() -> None:
    responses: dict[str, list[dict[str, Any]]] = {
        "utter_greet": [{"text": "Hi"}, {"text": "안녕하세요", "condition": KOREAN}],
        "utter_goodbye": [{"text": "Bye"}],
    }
    assert translation_problems(responses, ["en", "ko"]) == ["response utter_goodbye has no ko variation"]


def test_a_korean_variation_with_other_placeholders_or_buttons_fails() -> None:
    button = [{"title": "Talk to a person", "payload": "/request_human"}]
    responses: dict[str, list[dict[str, Any]]] = {
        "utter_code_sent": [{"text": "Sent to {email}"}, {"text": "{mail}로 보냈어요", "condition": KOREAN}],
        "utter_default": [{"text": "Sorry", "buttons": button}, {"text": "죄송해요", "condition": KOREAN}],
        "utter_ok": [
            {"text": "Ok {name}", "buttons": button},
            {"text": "{name}님", "buttons": button, "condition": KOREAN},
        ],
    }
    assert translation_problems(responses, ["en", "ko"]) == [
        "response utter_code_sent: the ko variations' placeholders or buttons differ from en",
        "response utter_default: the ko variations' placeholders or buttons differ from en",
    ]


def test_the_shipped_domain_has_every_response_in_every_language() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert translation_problems(domain["responses"], ["en", "ko"]) == []
