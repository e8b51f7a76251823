"""The widget and the agent console with the keyboard alone.

Where the focus is after every step, and what the status regions say (what a screen reader announces).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from bot.console.canned import canned_replies
from bot.texts import Texts
from knowledge import KnowledgeBase
from tests.integration.stack import ROOT, Stack, conversation_of
from tests.integration.test_console_browser import log_out
from tests.integration.test_widget_browser import open_chat, send

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "keyboard-test-password"


def tab_to(page: Page, target: Locator, key: str = "Tab", presses: int = 30) -> None:
    """Presses Tab (or Shift+Tab) until the target has the focus: it is reachable with the keyboard."""
    for _ in range(presses):
        page.keyboard.press(key)
        if target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{presses} presses of {key} never reached {target}")


def waiting_customer(browser: Browser, stack: Stack) -> tuple[Page, str]:
    """A customer who asked for a person, and their conversation id."""
    customer = browser.new_context().new_page()
    open_chat(customer, stack)
    send(customer, "can I speak to an agent")
    expect(customer.locator(".maru-bot").last).to_contain_text("in the queue", timeout=15_000)
    return customer, conversation_of(customer.evaluate("() => localStorage.getItem('maru-session')"))


@pytest.fixture
def agent_sora(stack: Stack, browser: Browser) -> Iterator[Page]:
    """An agent's console page, logged out afterwards so the agent counts as offline at once."""
    stack.add_user("sora", "agent", "Sora", PASSWORD)
    page = browser.new_context().new_page()
    yield page
    log_out(page, stack)
    page.context.close()


def test_the_widget_with_the_keyboard_alone(stack: Stack, browser: Browser) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(stack.gateway_url + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    tab_to(page, launcher)
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Maru support")
    field = page.get_by_role("textbox", name="Type your message")
    expect(field).to_be_focused()

    shipping = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert shipping is not None
    page.keyboard.type("what do you charge for postage")
    page.keyboard.press("Enter")
    answer = page.locator(".maru-bot", has_text=shipping.answer)
    helpful = answer.get_by_role("button", name=TEXTS.get("utter_widget_helpful"), exact=True)
    not_helpful = answer.get_by_role("button", name=TEXTS.get("utter_widget_not_helpful"), exact=True)
    expect(not_helpful).to_be_enabled(timeout=15_000)
    expect(helpful).to_have_text("👍")
    expect(field).to_be_focused()

    page.keyboard.press("Shift+Tab")
    expect(not_helpful).to_be_focused()
    page.keyboard.press("Enter")  # 👎: the row is disabled, the focus goes to the field, not to the page
    expect(not_helpful).to_be_disabled()
    expect(field).to_be_focused()

    sorry = page.locator(".maru-bot", has_text=TEXTS.get("utter_thumbs_down"))
    expect(sorry.get_by_role("button", name=TEXTS.get("utter_button_rephrase"))).to_be_enabled(timeout=10_000)
    expect(field).to_be_focused()
    for choice in ("utter_button_talk_to_person", "utter_button_other_answers", "utter_button_rephrase"):
        page.keyboard.press("Shift+Tab")
        expect(sorry.get_by_role("button", name=TEXTS.get(choice))).to_be_focused()
    page.keyboard.press("Enter")  # "Ask in other words"
    expect(sorry.get_by_role("button", name=TEXTS.get("utter_button_rephrase"))).to_be_disabled()
    expect(field).to_be_focused()
    expect(page.locator(".maru-bot .maru-text").last).to_have_text(TEXTS.get("utter_rephrase_invite"), timeout=10_000)
    expect(field).to_be_focused()

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()
    context.close()


def test_the_console_with_the_keyboard_alone(
    stack: Stack, browser: Browser, agent_sora: Page, browser_queue_left_as_found: None
) -> None:
    customer, conversation = waiting_customer(browser, stack)
    agent = agent_sora
    agent.goto(stack.gateway_url + "/console/login")
    tab_to(agent, agent.get_by_label("User name"))
    agent.keyboard.type("sora")
    agent.keyboard.press("Tab")
    expect(agent.get_by_label("Password")).to_be_focused()
    agent.keyboard.type(PASSWORD)
    agent.keyboard.press("Enter")
    expect(agent).to_have_url(stack.gateway_url + "/console")

    # Claim, named after the chat it claims; the conversation page opens with the focus in the reply box.
    claim = agent.get_by_role("button", name=f"Claim chat with {conversation[:10]}", exact=True)
    tab_to(agent, claim)
    agent.keyboard.press("Enter")
    expect(agent).to_have_url(f"{stack.gateway_url}/console/conversations/{conversation}")
    reply = agent.get_by_label("Reply to the customer")
    expect(reply).to_be_focused(timeout=10_000)

    agent.keyboard.type("Hi, I'm Sora. How can I help?")
    agent.keyboard.press("Tab")
    expect(agent.get_by_role("button", name="Send", exact=True)).to_be_focused()
    agent.keyboard.press("Enter")
    expect(customer.locator(".maru-agent").last).to_contain_text("I'm Sora", timeout=10_000)
    expect(reply).to_have_value("")
    expect(reply).to_be_focused()

    # The arrow keys only choose a canned reply; Insert puts the chosen one in the reply box.
    insert = agent.get_by_role("button", name="Insert canned reply")
    canned = agent.get_by_role("combobox", name="Canned reply")
    agent.keyboard.press("Shift+Tab")
    expect(insert).to_be_focused()
    agent.keyboard.press("Shift+Tab")
    expect(canned).to_be_focused()
    agent.keyboard.press("ArrowDown")
    expect(reply).to_have_value("")
    agent.keyboard.press("Tab")
    expect(insert).to_be_focused()
    agent.keyboard.press("Enter")
    second = canned_replies(ROOT / "data" / "support" / "canned.yml", "en", "Sora")[1]["text"]
    expect(reply).to_have_value(second)
    expect(reply).to_be_focused()

    note = agent.get_by_label("Internal note")
    tab_to(agent, note)
    agent.keyboard.type("Asked for a person straight away.")
    agent.keyboard.press("Tab")
    expect(agent.get_by_role("button", name="Add note")).to_be_focused()
    agent.keyboard.press("Enter")
    expect(agent.locator("#notes li").last).to_have_text("Sora: Asked for a person straight away.", timeout=10_000)
    expect(agent.locator("#announce")).to_have_text("Note added.")
    expect(note).to_be_focused()

    # Resolve: the reply form goes, the focus goes to the summary and the change is said.
    tab_to(agent, agent.get_by_role("button", name="Resolve"), key="Shift+Tab")
    agent.keyboard.press("Enter")
    expect(agent.locator("#summary")).to_have_text("The bot has this conversation.", timeout=10_000)
    expect(agent.locator("#summary")).to_be_focused()
    expect(agent.locator("#announce")).to_have_text("The bot has this conversation.")
    expect(agent.locator("#reply-form")).to_be_hidden()
    expect(customer.locator(".maru-notice").last).to_have_text(
        TEXTS.get("utter_agent_resolved").format(agent="Sora"), timeout=10_000
    )
    customer.context.close()


def test_a_new_chat_in_the_queue_is_announced(
    stack: Stack, browser: Browser, agent_sora: Page, browser_queue_left_as_found: None
) -> None:
    agent = agent_sora
    agent.goto(stack.gateway_url + "/console/login")
    agent.get_by_label("User name").fill("sora")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Log in").click()
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    announcement = agent.get_by_role("status").and_(agent.locator("#announce"))
    expect(announcement).to_have_text("")

    first, conversation = waiting_customer(browser, stack)
    expect(agent.locator(f'#queued tr[data-conversation="{conversation}"]')).to_be_visible(timeout=10_000)
    waiting = agent.locator("#queued tbody tr").count()
    expect(announcement).to_have_text(f"New chat waiting: customer request, web. {waiting} waiting.")

    # The queue is drawn again for the next chat: the focus stays on the Claim button it was on.
    claim_first = agent.get_by_role("button", name=f"Claim chat with {conversation[:10]}", exact=True)
    tab_to(agent, claim_first)
    second, _ = waiting_customer(browser, stack)
    expect(announcement).to_have_text(f"New chat waiting: customer request, web. {waiting + 1} waiting.")
    expect(agent.locator("#queued tbody tr")).to_have_count(waiting + 1)
    expect(claim_first).to_be_focused()
    for customer in (first, second):
        customer.context.close()
