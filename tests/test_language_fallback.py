"""The fallback's threshold and margin per language (addons/language_fallback.py)."""

from rasa.shared.nlu.training_data.message import Message

from addons.language_fallback import LanguageFallbackClassifier
from addons.linear_classifiers import for_language

CONFIG = {
    **LanguageFallbackClassifier.get_default_config(),
    "threshold": 0.0,
    "ambiguity_threshold": {"en": 0.1, "ko": 0.02},
}


def ranked(language: str, best: float, runner_up: float) -> Message:
    ranking = [{"name": "faq", "confidence": best}, {"name": "greet", "confidence": runner_up}]
    return Message(data={"text": "x", "language": language, "intent": ranking[0], "intent_ranking": ranking})


def test_each_message_is_judged_by_its_language_s_margin() -> None:
    classifier = LanguageFallbackClassifier(CONFIG)
    english, korean = ranked("en", 0.5, 0.45), ranked("ko", 0.5, 0.45)
    classifier.process([english, korean])
    assert english.get("intent")["name"] == "nlu_fallback"
    assert korean.get("intent")["name"] == "faq"


def test_a_message_without_a_language_is_judged_by_the_default_s() -> None:
    classifier = LanguageFallbackClassifier(CONFIG)
    message = ranked("", 0.5, 0.45)
    classifier.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_settings_per_language_fall_back_to_the_default_language() -> None:
    config = {"C": {"en": 10.0, "ko": 100.0}, "ngrams": False, "margin": {"en": 0.1}}
    assert for_language(config, "ko") == {"C": 100.0, "ngrams": False, "margin": 0.1}
    assert for_language(config, "en") == {"C": 10.0, "ngrams": False, "margin": 0.1}
