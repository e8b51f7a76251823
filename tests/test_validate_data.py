from scripts.validate_data import responses_named_in_code, unexpected_warnings

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
