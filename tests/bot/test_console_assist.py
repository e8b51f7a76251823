"""Agent assist suggestions and canned replies."""

from __future__ import annotations

from bot.console.assist import last_customer_text, said_segments, suggestions
from bot.console.canned import canned_replies
from bot.rendering import segments
from bot.settings import PROJECT_ROOT
from bot.store.transcripts import Entry
from knowledge import KnowledgeBase

KNOWLEDGE = KnowledgeBase.load(PROJECT_ROOT / "data" / "knowledge")


def test_suggestions_follow_the_model_ranking_and_skip_unknown_faqs() -> None:
    parse = {
        "response_selector": {
            "faq": {
                "ranking": [
                    {"intent_response_key": "faq/shipping_cost", "confidence": 0.81234},
                    {"intent_response_key": "faq/retired_one", "confidence": 0.1},
                    {"intent_response_key": "faq/delivery_late", "confidence": 0.05},
                ]
            }
        }
    }
    shipping, late = KNOWLEDGE.get("shipping_cost", "en"), KNOWLEDGE.get("delivery_late", "en")
    assert shipping is not None
    assert late is not None
    assert suggestions(parse, KNOWLEDGE, "en") == [
        {
            "faq_id": "shipping_cost",
            "question": shipping.question,
            "answer": shipping.answer,
            "segments": segments(shipping.answer),
            "confidence": 0.812,
        },
        {
            "faq_id": "delivery_late",
            "question": late.question,
            "answer": late.answer,
            "segments": segments(late.answer),
            "confidence": 0.05,
        },
    ]
    assert suggestions({"intent": {"name": "greet"}}, KNOWLEDGE, "en") == []


def test_the_question_is_the_customers_newest_message() -> None:
    transcript = [Entry("customer", "hi", "web"), Entry("customer", "parcel late", "web"), Entry("bot", "Sorry", "web")]
    assert last_customer_text(transcript) == "parcel late"
    assert last_customer_text([Entry("bot", "Hello", "web")]) == ""


def test_a_rating_or_survey_button_is_not_the_question() -> None:
    transcript = [
        Entry("customer", "where is my parcel", "web"),
        Entry("bot", "How likely are you to recommend us?", "web"),
        Entry("customer", "3", "web", meta={"payload": "/nps:web-1:3"}),
        Entry("customer", "/csat:web-1:2", "telegram"),
    ]
    assert last_customer_text(transcript) == "where is my parcel"
    question = Entry("customer", "How much is delivery?", "web", meta={"payload": '/faq{"faq_id": "shipping_cost"}'})
    assert last_customer_text([*transcript, question]) == "How much is delivery?"


def test_the_bots_words_in_a_summary_are_links_and_text() -> None:
    context = {"summary": {"bot_said": ["See [My orders](https://maru.example/orders)."]}}
    assert said_segments(context) == [
        [{"text": "See "}, {"text": "My orders", "href": "https://maru.example/orders"}, {"text": "."}]
    ]
    assert said_segments({}) == []


def test_canned_replies_carry_the_agents_name() -> None:
    replies = canned_replies(PROJECT_ROOT / "data" / "support" / "canned.yml", "en", "Mina")
    assert replies[0]["title"] == "Introduce yourself"
    assert replies[0]["text"].startswith("Hi, I'm Mina from the Maru support team.")
    korean = canned_replies(PROJECT_ROOT / "data" / "support" / "canned.yml", "ko", "Mina")
    assert len(korean) == len(replies)
    assert "Mina" in korean[0]["text"]
    assert canned_replies(PROJECT_ROOT / "data" / "support" / "canned.yml", "ja", "Mina") == []
