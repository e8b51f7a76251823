"""A customer in the widget and an agent in the console, each in their own browser context."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from bot.texts import Texts
from tests.integration.stack import ROOT, Stack
from tests.integration.test_widget_browser import open_chat, send

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "browser-test-password"


def log_in(page: Page, stack: Stack, name: str) -> None:
    page.goto(stack.gateway_url + "/console/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page, stack: Stack) -> None:
    """Leaves the console pages (their sockets close) and logs out, so the agent is offline at once."""
    page.goto("about:blank")
    csrf = page.context.request.get(stack.gateway_url + "/console/api/me").json()["csrf"]
    assert page.context.request.post(stack.gateway_url + "/console/logout", headers={"X-CSRF-Token": csrf}).ok


def test_agent_takes_over_from_the_bot_and_hands_back(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    stack.add_user("hana", "agent", "Hana", PASSWORD)
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    agent = browser.new_context().new_page()
    agent.on("dialog", record)
    log_in(agent, stack, "hana")
    expect(agent).to_have_url(stack.gateway_url + "/console")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)

    customer = browser.new_context().new_page()
    customer.on("dialog", record)
    open_chat(customer, stack)
    send(customer, "can I speak to an agent")
    expect(customer.locator(".maru-bot").last).to_contain_text("You're number 1 in the queue", timeout=15_000)

    row = agent.locator("#queued tbody tr").first
    expect(row).to_contain_text("customer request", timeout=2_000)
    expect(agent).to_have_title("(1) Queue · Maru console")
    row.get_by_role("button", name="Claim").click()
    expect(agent.locator("#summary")).to_contain_text("can I speak to an agent", timeout=10_000)
    expect(agent.locator("#transcript")).to_contain_text("You're number 1 in the queue")
    expect(customer.locator(".maru-notice").last).to_have_text(
        TEXTS.get("utter_agent_joined").format(agent="Hana"), timeout=10_000
    )

    agent.get_by_label("Reply to the customer").fill("Hi, I'm Hana. I can see your chat, how can I help?")
    agent.get_by_role("button", name="Send").click()
    expect(customer.locator(".maru-agent").last).to_contain_text("I'm Hana", timeout=10_000)
    expect(customer.locator(".maru-agent .maru-author").last).to_have_text("Hana")

    attack = "<script>alert('x')</script> my order is late"
    bot_messages = customer.locator(".maru-bot").count()
    send(customer, attack)
    expect(agent.locator(".entry-customer .text").last).to_have_text(attack, timeout=10_000)
    customer.wait_for_timeout(2_000)
    assert customer.locator(".maru-bot").count() == bot_messages  # the bot stays silent
    assert agent.locator("#transcript script").count() == 0

    agent.get_by_role("button", name="Resolve").click()
    expect(customer.locator(".maru-notice").last).to_have_text(
        TEXTS.get("utter_agent_resolved").format(agent="Hana"), timeout=10_000
    )
    rating = customer.locator(".maru-bot").last
    expect(rating).to_contain_text(TEXTS.get("utter_csat_question_agent").format(agent="Hana"), timeout=10_000)
    send(customer, "how much is shipping?")
    expect(customer.locator(".maru-bot")).to_have_count(bot_messages + 2, timeout=15_000)
    answer = customer.locator(".maru-bot").last
    helpful = answer.get_by_role("button", name=TEXTS.get("utter_widget_helpful"), exact=True)
    expect(helpful).to_be_visible()
    agent.screenshot(path=str(tmp_path / "console.png"))
    assert dialogs == []
    log_out(agent, stack)
    agent.context.close()
    customer.context.close()


def test_answers_in_the_summary_and_suggestions_show_links_not_markdown(
    stack: Stack, browser: Browser, browser_queue_left_as_found: None
) -> None:
    stack.add_user("ara", "agent", "Ara", PASSWORD)
    agent = browser.new_context().new_page()
    log_in(agent, stack, "ara")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)

    customer = browser.new_context().new_page()
    open_chat(customer, stack)
    send(customer, "how do I create an account")
    expect(customer.get_by_role("link", name="sign-up page")).to_be_visible(timeout=15_000)
    send(customer, "can I speak to an agent")
    expect(customer.locator(".maru-bot").last).to_contain_text("in the queue", timeout=15_000)

    agent.locator("#queued tbody tr").first.get_by_role("button", name="Claim").click()
    summary = agent.locator("#summary")
    expect(summary.get_by_role("link", name="sign-up page")).to_have_attribute(
        "href", "https://maru.example/signup", timeout=10_000
    )
    expect(summary).not_to_contain_text("](https")

    send(customer, "how do I create an account")
    suggestion = agent.locator("#assist li", has_text="How do I create a Maru account?")
    expect(suggestion.get_by_role("link", name="sign-up page")).to_have_attribute(
        "href", "https://maru.example/signup", timeout=15_000
    )
    expect(suggestion).not_to_contain_text("](https")
    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator("#announce")).to_have_text("The bot has this conversation.", timeout=10_000)
    log_out(agent, stack)
    agent.context.close()
    customer.context.close()
