"""axe-core finds nothing on the customer's widget and the agent console's pages, each shown with real content.

The pages' strict CSP refuses axe's script tag, so these browser contexts bypass it; the other browser tests
run the same pages under the CSP.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.integration.axe import violations
from tests.integration.stack import Stack
from tests.integration.test_console_browser import log_out
from tests.integration.test_keyboard_browser import waiting_customer
from tests.integration.test_widget_browser import open_chat, send

pytestmark = pytest.mark.integration
PASSWORD = "axe-test-password"


def test_the_widget_with_an_answer_and_its_buttons(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    open_chat(page, stack)
    send(page, "what do you charge for postage")
    expect(page.locator(".maru-bot").last.locator(".maru-rating")).to_have_count(2, timeout=15_000)
    expect(page.locator(".maru-sending")).to_have_count(0)
    assert violations(page) == []
    context.close()


def test_the_console_login_queue_and_conversation(
    stack: Stack, browser: Browser, browser_queue_left_as_found: None
) -> None:
    stack.add_user("ines", "agent", "Ines", PASSWORD)
    agent = browser.new_context(bypass_csp=True).new_page()
    agent.goto(stack.gateway_url + "/console/login")
    assert violations(agent) == []

    agent.get_by_label("User name").fill("ines")
    agent.get_by_label("Password").fill(PASSWORD)
    agent.get_by_role("button", name="Log in").click()
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    customer, conversation = waiting_customer(browser, stack)
    row = agent.locator(f'#queued tr[data-conversation="{conversation}"]')
    expect(row).to_be_visible(timeout=10_000)
    expect(agent.locator("#announce")).not_to_have_text("")
    assert violations(agent) == []

    row.get_by_role("button", name="Claim").click()
    expect(agent.get_by_label("Reply to the customer")).to_be_focused(timeout=10_000)
    expect(agent.locator("#transcript")).to_contain_text("can I speak to an agent")
    expect(agent.locator("#canned option")).not_to_have_count(0)
    assert violations(agent) == []

    agent.get_by_role("button", name="Resolve").click()
    expect(agent.locator("#summary")).to_have_text("The bot has this conversation.", timeout=10_000)
    log_out(agent, stack)
    agent.context.close()
    customer.context.close()
