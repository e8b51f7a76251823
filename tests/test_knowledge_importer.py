from addons.knowledge_importer import KnowledgeImporter
from knowledge import KnowledgeBase
from tests.conftest import ROOT


def test_phrasings_become_retrieval_intent_examples() -> None:
    importer = KnowledgeImporter(knowledge_dir=str(ROOT / "data" / "knowledge"))
    data = importer.get_nlu_data()
    base = KnowledgeBase.load(ROOT / "data" / "knowledge")
    shipping = base.get("shipping_cost", "en")
    assert shipping is not None

    examples = [m for m in data.training_examples if m.get("intent_response_key") == "faq/shipping_cost"]
    assert set(shipping.phrasings) <= {m.get("text") for m in examples}
    assert {m.get("intent") for m in examples} == {"faq"}
    assert data.responses["utter_faq/shipping_cost"] == [{"text": shipping.question}]


def test_held_out_phrasings_are_never_trained() -> None:
    importer = KnowledgeImporter(knowledge_dir=str(ROOT / "data" / "knowledge"))
    trained = {m.get("text") for m in importer.get_nlu_data().training_examples}
    held_out = {p for faq in KnowledgeBase.load(ROOT / "data" / "knowledge") for p in faq.held_out}
    assert trained.isdisjoint(held_out)


def test_answers_do_not_reach_the_model() -> None:
    importer = KnowledgeImporter(knowledge_dir=str(ROOT / "data" / "knowledge"))
    data = importer.get_nlu_data()
    answers = {faq.answer for faq in KnowledgeBase.load(ROOT / "data" / "knowledge")}
    texts = {r[0]["text"] for r in data.responses.values()} | {m.get("text") for m in data.training_examples}
    assert texts.isdisjoint(answers)


def test_every_language_teaches_the_faq_s_one_id() -> None:
    importer = KnowledgeImporter(knowledge_dir=str(ROOT / "data" / "knowledge"))
    data = importer.get_nlu_data()
    base = KnowledgeBase.load(ROOT / "data" / "knowledge")
    english, korean = base.get("shipping_cost", "en"), base.get("shipping_cost", "ko")
    assert english is not None
    assert korean is not None

    examples = {m.get("text") for m in data.training_examples if m.get("intent_response_key") == "faq/shipping_cost"}
    assert examples == set(english.phrasings) | set(korean.phrasings)
    assert data.responses["utter_faq/shipping_cost"] == [{"text": english.question}]
