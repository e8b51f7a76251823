"""Editors in a real browser.

An answer edit is live for customers at once; a new FAQ and a moved phrasing are live at
once too (live phrasings) and stay live through retraining and the swap, while a customer
chatting meanwhile never sees an error; asked again with the data unchanged, the job ends at once
with nothing to retrain; notices are published from the page; agents can't open editor routes.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from bot.texts import Texts
from knowledge import KnowledgeBase
from scripts.bench_common import SAMPLE_FAQ, SAMPLE_FAQ_UNSEEN
from support.training_fingerprint import fingerprint_file, record_fingerprint, training_fingerprint
from tests.integration.stack import MODEL, ROOT, Stack, free_port, rasa_headers, wait_until
from tests.integration.test_retraining import model_id
from tests.integration.test_widget_browser import open_chat, send

pytestmark = pytest.mark.integration
PASSWORD = "editor-browser-password"
KNOWLEDGE = ROOT / "data" / "knowledge" / "en"
SHIPPING = KNOWLEDGE / "shipping.yml"
NEW_ANSWER = "Delivery costs ₩3,000, and it's free from ₩50,000. (Edited by the editor test.)"
EDITOR_ROUTES = [
    ("GET", "/editor"),
    ("GET", "/editor/api/languages"),
    ("GET", "/editor/api/faqs"),
    ("GET", "/editor/api/faqs/shipping_cost"),
    ("POST", "/editor/api/faqs/shipping_cost/answer"),
    ("POST", "/editor/api/faqs"),
    ("POST", "/editor/api/faqs/shipping_cost/phrasings"),
    ("POST", "/editor/api/faqs/shipping_cost/retire"),
    ("GET", "/editor/api/changes"),
    ("GET", "/editor/api/preview"),
    ("GET", "/editor/api/training"),
    ("POST", "/editor/api/training"),
    ("GET", "/editor/api/notices"),
    ("POST", "/editor/api/notices"),
]


# The new FAQ comes with one phrasing that belongs to another FAQ; the editor moves it there.
MISPLACED_PHRASING = "what does express delivery to a locker cost"
# Different questions: a customer asking the same thing over and over would read as frustrated.
CHATTER = [
    "how long does delivery take",
    "what is your returns policy",
    "do you ship abroad",
    "how much is shipping",
    "can I pay with a credit card",
    "do you deliver on saturdays",
    "how do I return an item",
    "when will I get my refund",
    "do you have express delivery",
    "can I change my delivery address",
    "do you deliver to Jeju",
    "which courier do you use",
]
# A person reads and types between messages (and the gateway limits a chat to 20 messages a minute).
TYPING_PAUSE_MS = 4000


@pytest.fixture
def editing_gateway(stack: Stack, tmp_path: Path, restored_knowledge: Path) -> Iterator[str]:
    """A second gateway whose retrained models go to ``tmp_path / "models"``; the live model is restored after."""
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(MODEL, models / "maru.tar.gz")
    port = free_port()
    stack.start_gateway(name="editing-gateway", GATEWAY_PORT=str(port), MODEL_DIR=str(models))
    yield f"http://127.0.0.1:{port}"
    training = redis.Redis.from_url(stack.redis_url)
    wait_until(lambda: not training.exists("training:lock"), 900, "the end of the retraining job")
    stack.stop("editing-gateway")
    httpx.put(
        f"{stack.rasa_url}/model", headers=rasa_headers(), json={"model_file": str(MODEL)}, timeout=120
    ).raise_for_status()


def signed_in(browser: Browser, gateway_url: str, name: str) -> BrowserContext:
    context = browser.new_context()
    assert context.request.post(gateway_url + "/console/login", data={"name": name, "password": PASSWORD}).ok
    return context


def editing_shipping_cost(browser: Browser, stack: Stack, name: str) -> Page:
    """An editor's page with the shipping_cost FAQ open (English)."""
    stack.add_user(name, "editor", name.title(), PASSWORD)
    editor = signed_in(browser, stack.gateway_url, name).new_page()
    editor.goto(stack.gateway_url + "/editor")
    editor.get_by_label("Search FAQs").fill("shipping_cost")
    editor.get_by_role("button", name="Search").click()
    editor.locator("#results li", has_text="shipping_cost").click()
    expect(editor.locator("#faq-meta")).to_contain_text("shipping_cost")
    return editor


def test_an_edited_answer_reaches_customers_within_two_seconds(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    editor = editing_shipping_cost(browser, stack, "sora")
    editor.locator("#answer").fill(NEW_ANSWER)
    editor.get_by_role("button", name="Save answer").click()
    expect(editor.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.", timeout=10_000)
    saved = time.monotonic()

    customer = browser.new_context().new_page()
    open_chat(customer, stack)
    send(customer, "what do you charge for postage")
    expect(customer.locator(".maru-bot .maru-text").last).to_have_text(NEW_ANSWER, timeout=2_000)
    assert time.monotonic() - saved < 2.5
    expect(editor.locator("#changes li").first).to_contain_text("edit answer · en/shipping_cost")
    editor.context.close()
    customer.context.close()


def test_an_faq_s_languages_side_by_side_and_a_korean_number_that_disagrees(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    base = KnowledgeBase.load(ROOT / "data" / "knowledge")
    english, korean = base.get("shipping_cost", "en"), base.get("shipping_cost", "ko")
    assert english is not None
    assert korean is not None
    editor = editing_shipping_cost(browser, stack, "minji")
    beside = editor.locator("#translations section[lang=ko]")
    expect(beside).to_contain_text(korean.question)
    expect(beside).to_contain_text(korean.answer[:30])

    beside.get_by_role("button", name="Edit in 한국어").click()
    expect(editor.locator("#faq-meta")).to_contain_text("shipping_cost · shipping · 한국어")
    expect(editor.locator("#translations section[lang=en]")).to_contain_text(english.question)
    editor.locator("#answer").fill(korean.answer.replace("3,000원", "3,500원"))
    editor.get_by_role("button", name="Save answer").click()
    expect(editor.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.", timeout=10_000)
    expect(editor.locator("#answer-feedback .warnings")).to_have_text(
        "FAQ shipping_cost: the ko answer quotes 3,500 and lacks 3,000 of the en answer"
    )
    expect(editor.locator("#changes li").first).to_contain_text("edit answer · ko/shipping_cost")

    editor.get_by_label("Search FAQs").fill("배송비")
    editor.get_by_role("button", name="Search").click()
    expect(editor.locator("#results li", has_text="shipping_cost")).to_be_visible()
    editor.context.close()


def test_agents_get_403_and_strangers_401_on_editor_routes(stack: Stack) -> None:
    stack.add_user("minho", "agent", "Minho", PASSWORD)
    for method, path in EDITOR_ROUTES:
        assert httpx.request(method, stack.gateway_url + path).status_code == 401, path
    with httpx.Client(base_url=stack.gateway_url) as agent:
        agent.post("/console/login", json={"name": "minho", "password": PASSWORD}).raise_for_status()
        csrf = agent.get("/console/api/me").json()["csrf"]
        for method, path in EDITOR_ROUTES:
            assert agent.request(method, path, headers={"X-CSRF-Token": csrf}).status_code == 403, path


# A long chat through the whole retraining may read as frustrated and be handed to a person.
@pytest.mark.usefixtures("browser_queue_left_as_found")
def test_a_new_faq_is_live_at_once_and_through_the_swap_and_a_chatting_customer_sees_no_error(
    stack: Stack, browser: Browser, editing_gateway: str, tmp_path: Path
) -> None:
    live_before = model_id(stack)
    stack.add_user("hyejin", "editor", "Hyejin", PASSWORD)
    editor = signed_in(browser, editing_gateway, "hyejin").new_page()
    editor.goto(editing_gateway + "/editor")
    add_sample_faq(editor)
    move_phrasing(editor, MISPLACED_PHRASING, "shipping_express")
    moved = time.monotonic()

    training = redis.Redis.from_url(stack.redis_url)
    early = browser.new_context().new_page()
    open_chat(early, stack)
    send(early, SAMPLE_FAQ_UNSEEN)
    expect(early.locator(".maru-bot .maru-text").last).to_have_text(SAMPLE_FAQ["answer"], timeout=15_000)
    send(early, MISPLACED_PHRASING)
    express = KnowledgeBase.load(KNOWLEDGE.parent).get("shipping_express", "en")
    assert express is not None
    expect(early.locator(".maru-bot .maru-text").last).to_have_text(express.answer, timeout=15_000)
    # Answered by the live phrasings: the model that knows them is not trained yet.
    assert training.hget("training:state", "state") not in (b"swapping", b"done"), time.monotonic() - moved

    customer = browser.new_context().new_page()
    open_chat(customer, stack)
    states = chat_until_the_job_ends(customer, training)
    assert "swapping" in states, states
    expect(editor.locator("#training-state")).to_contain_text("Training: done", timeout=10_000)
    expect(editor.locator("#training-progress")).to_have_attribute("value", "100")

    texts = Texts.load(ROOT / "domain.yml")
    apologies = ("utter_gateway_unavailable", "utter_bot_unavailable", "utter_rate_limited")
    failures = {texts.get(name) for name in apologies}
    assert failures.isdisjoint(customer.locator(".maru-bot .maru-text").all_text_contents())
    newcomer = browser.new_context().new_page()
    open_chat(newcomer, stack)
    send(newcomer, SAMPLE_FAQ_UNSEEN)
    expect(newcomer.locator(".maru-bot .maru-text").last).to_have_text(SAMPLE_FAQ["answer"], timeout=15_000)
    for page in (early, customer, newcomer):
        page.context.close()
    nothing_to_retrain_after_the_swap(stack, editor, editing_gateway, tmp_path / "models", live_before)
    editor.context.close()


def nothing_to_retrain_after_the_swap(stack: Stack, editor: Page, gateway_url: str, models: Path, before: str) -> None:
    """The changed data was trained and swapped in; asked again without a change, the job ends at once."""
    training = redis.Redis.from_url(stack.redis_url)
    wait_until(lambda: not training.exists("training:lock"), 900, "the end of the round the moved phrasing queued")
    # That round trained again if the move came after the first round read the data, else it had nothing to do.
    assert training.hget("training:state", "state") in (b"done", b"unchanged"), training.hgetall("training:state")
    assert model_id(stack) != before
    assert fingerprint_file(models / "maru.tar.gz").read_text(encoding="utf-8") == training_fingerprint(ROOT)
    retraining_ends_at_once_with_nothing_to_retrain(stack, editor, gateway_url, models, "hyejin")


def test_a_retrain_asked_with_the_live_model_s_training_data_ends_at_once_with_nothing_to_retrain(
    stack: Stack, browser: Browser, editing_gateway: str, tmp_path: Path
) -> None:
    models = tmp_path / "models"
    record_fingerprint(models / "maru.tar.gz", training_fingerprint(ROOT))  # as `make train` records it
    stack.add_user("dohyun", "editor", "Dohyun", PASSWORD)
    editor = signed_in(browser, editing_gateway, "dohyun").new_page()
    editor.goto(editing_gateway + "/editor")
    retraining_ends_at_once_with_nothing_to_retrain(stack, editor, editing_gateway, models, "dohyun")
    editor.context.close()


def retraining_ends_at_once_with_nothing_to_retrain(
    stack: Stack, editor: Page, gateway_url: str, models: Path, name: str
) -> None:
    """Asked from the editor's page, a retrain ends within seconds, and Rasa keeps its model."""
    training = redis.Redis.from_url(stack.redis_url)
    live = models / "maru.tar.gz"
    live_id, live_bytes = model_id(stack), live.read_bytes()
    csrf = editor.context.request.get(gateway_url + "/console/api/me").json()["csrf"]
    asked = editor.context.request.post(gateway_url + "/editor/api/training", headers={"X-CSRF-Token": csrf})
    assert (asked.status, asked.json()) == (202, {"training": "started"})
    wait_until(lambda: not training.exists("training:lock"), 10, "the job with nothing to retrain")
    state = {k.decode(): v.decode() for k, v in training.hgetall("training:state").items()}
    assert (state["state"], state["progress"], state["editor"]) == ("unchanged", "100", name)
    # No training, no 45 s check, no swap (which alone waits 5 s and stalls Rasa for about 10 s).
    assert float(state["finished"]) - float(state["started"]) < 2.0
    expect(editor.locator("#training-state")).to_have_text(
        "Nothing to retrain: the live model was trained on the training data as it is now", timeout=5_000
    )
    expect(editor.locator("#training-progress")).to_have_attribute("value", "100")
    assert model_id(stack) == live_id
    assert live.read_bytes() == live_bytes
    assert list(models.glob("candidates/*")) == []


def add_sample_faq(editor: Page) -> None:
    """Fills and sends the new-FAQ form."""
    editor.get_by_label("Topic", exact=True).fill(SAMPLE_FAQ["topic"])
    editor.get_by_label("Id", exact=True).fill(SAMPLE_FAQ["id"])
    editor.get_by_label("Question", exact=True).fill(SAMPLE_FAQ["question"])
    editor.locator("#new-answer").fill(SAMPLE_FAQ["answer"])
    editor.get_by_label("Phrasings, one per line").fill("\n".join([*SAMPLE_FAQ["phrasings"], MISPLACED_PHRASING]))
    editor.get_by_role("button", name="Add FAQ").click()
    expect(editor.locator("#new-faq-feedback .note p")).to_have_text(
        "FAQ added and live; retraining in the background takes it into the model."
    )


def move_phrasing(editor: Page, phrasing: str, target: str) -> None:
    """Opens the new FAQ and moves one of its phrasings with the move control."""
    editor.get_by_label("Search FAQs").fill(SAMPLE_FAQ["id"])
    editor.get_by_role("button", name="Search").click()
    editor.locator("#results li", has_text=SAMPLE_FAQ["id"]).click()
    editor.get_by_label(f"Move '{phrasing}' to FAQ").fill(target)
    editor.get_by_role("button", name=f"Move ‘{phrasing}’", exact=True).click()
    expect(editor.locator("#phrasings-feedback .note p")).to_have_text(
        f"Phrasing moved to {target} and live there; retraining in the background takes it into the model."
    )
    expect(editor.locator("#faq-meta")).to_contain_text("10 phrasings")
    assert phrasing in SHIPPING.read_text(encoding="utf-8").split("id: shipping_express", 1)[1]


def chat_until_the_job_ends(customer: Page, training: redis.Redis) -> list[str]:
    """From the model check on, keeps the customer talking, message after answer, until retraining ends."""
    wait_until(lambda: training.hget("training:state", "state") in (b"checking", b"swapping", b"done", b"failed"),
               900, "the trained candidate")  # fmt: skip
    states: list[str] = []
    while True:
        state = (training.hget("training:state", "state") or b"").decode()
        states.append(state)
        if state in ("done", "failed"):
            assert state == "done", training.hgetall("training:state")
            return states
        answered = customer.locator(".maru-bot").count()
        send(customer, CHATTER[len(states) % len(CHATTER)])
        # A locator, not wait_for_function: the page's CSP allows no eval.
        expect(customer.locator(".maru-bot").nth(answered)).to_be_attached(timeout=120_000)
        customer.wait_for_timeout(TYPING_PAUSE_MS)


def beside(feedback: Locator, control: Locator) -> None:
    """The feedback shows just below the control that caused it, in sight."""
    expect(feedback).to_be_in_viewport()
    below, above = feedback.bounding_box(), control.bounding_box()
    assert below is not None
    assert above is not None
    assert 0 <= below["y"] - (above["y"] + above["height"]) < 80


def test_notices_are_published_and_withdrawn_from_the_page(stack: Stack, browser: Browser) -> None:
    stack.add_user("jiwoo", "editor", "Jiwoo", PASSWORD)
    # A customer in the middle of a chat when the notice is published: it comes with the FAQ answer.
    chatting = browser.new_context().new_page()
    open_chat(chatting, stack)
    send(chatting, "hi")
    expect(chatting.locator(".maru-bot").last).to_be_visible(timeout=30_000)

    editor = signed_in(browser, stack.gateway_url, "jiwoo").new_page()
    editor.goto(stack.gateway_url + "/editor")
    text = "Deliveries to Jeju are delayed 2 days by the storm. <b>Sorry!</b>"
    now = datetime.now()
    submit = editor.get_by_role("button", name="Publish notice")
    editor.get_by_label("Notice to customers").fill(text)
    editor.get_by_label("shipping", exact=True).check()
    editor.get_by_label("Starts").fill((now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    editor.get_by_label("Ends").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    submit.click()
    problem = editor.get_by_role("alert").filter(has_text="the end must be after the start")
    beside(problem, submit)
    expect(problem).to_be_focused()

    editor.get_by_label("Starts").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    editor.get_by_label("Ends").fill((now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    submit.click()
    published = editor.get_by_role("status").filter(has_text="Notice published.")
    expect(published).to_have_text("Notice published.")
    beside(published, submit)
    expect(problem).to_have_count(0)
    expect(editor.locator("#notices li")).to_have_count(1)
    expect(editor.locator("#notices li p")).to_have_text(text)

    customer = browser.new_context().new_page()
    open_chat(customer, stack)
    send(customer, "hi")
    expect(customer.locator(".maru-bot .maru-text", has_text="Deliveries to Jeju")).to_have_text(text)

    send(chatting, "what do you charge for postage")
    expect(chatting.locator(".maru-bot .maru-text", has_text="Deliveries to Jeju")).to_have_text(text, timeout=15_000)
    answer = chatting.locator(".maru-bot", has=chatting.get_by_role("button", name="Helpful", exact=True)).last
    expect(answer.get_by_role("button", name="Helpful", exact=True)).to_be_enabled()
    expect(answer.get_by_role("button", name="Not helpful", exact=True)).to_be_enabled()
    chatting.reload()  # drawn again from the stored history, the answer keeps its thumbs
    chatting.get_by_role("button", name="Chat with us").click()
    expect(chatting.get_by_role("button", name="Helpful", exact=True).last).to_be_enabled(timeout=10_000)

    editor.locator("#notices li").get_by_role("button", name="Withdraw").click()
    expect(editor.get_by_role("status").filter(has_text="Notice withdrawn.")).to_be_visible()
    expect(editor.locator("#notices li")).to_have_count(0)
    editor.context.close()
    customer.context.close()
    chatting.context.close()
