"""Script in what customers, agents and editors write stays text on every page and export, in Chromium.

Each page records any Content-Security-Policy violation and any dialog: an
attack that got through would run ``alert``, or be blocked by the policy. Both
must stay empty, and the pages must still work under the policy.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from bot.texts import Texts
from support.plain_text import plain_text
from tests.integration.stack import ROOT, Stack
from tests.integration.test_console_browser import PASSWORD as AGENT_PASSWORD
from tests.integration.test_console_browser import log_in, log_out
from tests.integration.test_editor_browser import editing_shipping_cost, signed_in
from tests.integration.test_widget_browser import send

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")

EDITOR_ANSWER = "Delivery costs 3,000 won. <img src=x onerror=alert(5)> <script>alert(6)</script>"
# The knowledge checks refuse any link but https: this answer is never saved.
EDITOR_LINK = "Delivery costs 3,000 won. See [details](javascript:alert(7))."
CUSTOMER_TEXT = (
    '<img src=x onerror=alert(1)> [win](javascript:alert(2)) \x1b[31mred\u202e =HYPERLINK("http://evil.example")'
)
AGENT_TEXT = "<script>alert(3)</script> see [here](javascript:alert(4))\x07"
COMMENT = '=HYPERLINK("http://evil.example","refund")'
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", e => window.__violations.push(e.violatedDirective));
"""


def watched(browser: Browser, dialogs: list[str], context: BrowserContext | None = None) -> Page:
    """A page that records dialogs and CSP violations."""
    context = context or browser.new_context()
    context.add_init_script(WATCH)
    page = context.new_page()

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return page


def violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("() => window.__violations")
    return found


def test_written_text_is_shown_as_text_everywhere(
    stack: Stack, browser: Browser, restored_knowledge: Path, browser_queue_left_as_found: None
) -> None:
    dialogs: list[str] = []
    editor = editing_shipping_cost(browser, stack, "hyejin")
    editor.locator("#answer").fill(EDITOR_LINK)
    editor.get_by_role("button", name="Save answer").click()
    problem = editor.locator("#answer-feedback [role=alert]")
    expect(problem.locator("p")).to_have_text("The change was refused; nothing was saved.", timeout=10_000)
    expect(problem.locator("li")).to_contain_text("'javascript:alert(7' is not an https:// address")
    editor.locator("#answer").fill(EDITOR_ANSWER)
    editor.get_by_role("button", name="Save answer").click()
    expect(editor.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.", timeout=10_000)

    customer = watched(browser, dialogs)
    customer.goto(stack.gateway_url + "/")
    customer.get_by_role("button", name="Chat with us").click()
    send(customer, "what do you charge for postage")
    answer = customer.locator(".maru-bot .maru-text").last
    expect(answer).to_have_text(EDITOR_ANSWER, timeout=15_000)

    answered = customer.locator(".maru-bot").count()
    send(customer, CUSTOMER_TEXT)
    expect(customer.locator(".maru-bot").nth(answered)).to_be_visible(timeout=15_000)
    customer.reload()
    customer.get_by_role("button", name="Chat with us").click()
    stored = plain_text(CUSTOMER_TEXT)
    expect(customer.locator(".maru-customer .maru-text").nth(1)).to_have_text(stored, timeout=10_000)

    stack.add_user("jiho", "agent", "Jiho", AGENT_PASSWORD)
    agent = watched(browser, dialogs)
    log_in(agent, stack, "jiho")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    send(customer, "can I speak to an agent")
    expect(customer.locator(".maru-bot").last).to_contain_text("You're number 1 in the queue", timeout=15_000)
    agent.locator("#queued tbody tr").first.get_by_role("button", name="Claim").click()
    transcript = agent.locator("#transcript")
    expect(transcript).to_contain_text(stored, timeout=10_000)
    agent.get_by_label("Reply to the customer").fill(AGENT_TEXT)
    agent.get_by_role("button", name="Send").click()
    expect(customer.locator(".maru-agent .maru-text").last).to_have_text(plain_text(AGENT_TEXT), timeout=10_000)
    agent.get_by_role("button", name="Resolve").click()
    # The rating asks about Jiho, then about the assistant, then for a comment.
    for question in (TEXTS.get("utter_csat_question_agent").format(agent="Jiho"), TEXTS.get("utter_csat_question_bot")):
        rating = customer.locator(".maru-bot", has_text=question)
        rating.get_by_role("button", name=TEXTS.get("utter_widget_csat_1")).click(timeout=15_000)
    expect(customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_comment"))).to_be_visible(timeout=10_000)
    send(customer, COMMENT)
    thanks = customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_thanks_negative").partition("{due}")[0])
    expect(thanks).to_be_visible(timeout=10_000)

    dashboard = watched(browser, dialogs, signed_in(browser, stack.gateway_url, "hyejin"))
    dashboard.goto(stack.gateway_url + "/dashboard")
    expect(dashboard.locator("#comments li", has_text=COMMENT)).to_be_visible(timeout=10_000)
    export = dashboard.context.request.get(stack.gateway_url + "/dashboard/export/ratings.csv")
    comments = [row["comment"] for row in csv.DictReader(io.StringIO(export.text())) if row["comment"]]
    assert "'" + COMMENT in comments
    assert not any(comment.startswith(("=", "+", "-", "@")) for comment in comments)

    for page in (customer, agent, editor, dashboard):
        assert page.locator("img[src=x], a[href^='javascript:']").count() == 0
    assert [violations(page) for page in (customer, agent, dashboard)] == [[], [], []]
    assert dialogs == []
    log_out(agent, stack)
    for page in (customer, agent, editor, dashboard):
        page.context.close()
