"""Feedback in real browsers: thumbs-down choices, the end-of-chat rating, the follow-up, the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from bot.texts import Texts
from tests.integration.stack import ROOT, Stack
from tests.integration.test_console_browser import log_out
from tests.integration.test_widget_browser import open_chat, send

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "feedback-browser-password"
COMMENT = "<b>Late</b> parcel and nobody told me <img src=x onerror=alert(1)>"


def signed_in(browser: Browser, stack: Stack, name: str) -> BrowserContext:
    context = browser.new_context()
    response = context.request.post(stack.gateway_url + "/console/login", data={"name": name, "password": PASSWORD})
    assert response.ok
    return context


def record(dialogs: list[str]) -> Callable[[Dialog], None]:
    """Collects (and dismisses) any dialog a page opens: none should, script in messages must not run."""

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    return dismiss


def summary(context: BrowserContext, stack: Stack) -> dict[str, Any]:
    response = context.request.get(stack.gateway_url + "/dashboard/api/summary?channel=web")
    assert response.ok
    data: dict[str, Any] = response.json()
    return data


def test_thumbs_down_rating_follow_up_and_dashboard(stack: Stack, browser: Browser) -> None:
    stack.add_user("yuna", "agent", "Yuna", PASSWORD)
    stack.add_user("dara", "editor", "Dara", PASSWORD)
    editor = signed_in(browser, stack, "dara")
    before = summary(editor, stack)["csat"]["counts"]

    customer: Page = browser.new_context().new_page()
    dialogs: list[str] = []
    customer.on("dialog", record(dialogs))
    open_chat(customer, stack)
    send(customer, "what do you charge for postage")
    answer = customer.locator(".maru-bot").last
    answer.get_by_role("button", name=TEXTS.get("utter_widget_not_helpful")).click(timeout=15_000)
    sorry = customer.locator(".maru-bot").last
    expect(sorry).to_contain_text(TEXTS.get("utter_thumbs_down"), timeout=10_000)
    for choice in ("utter_button_rephrase", "utter_button_other_answers", "utter_button_talk_to_person"):
        expect(sorry.get_by_role("button", name=TEXTS.get(choice))).to_be_enabled()

    send(customer, "bye")
    rating = customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_question_bot"))
    rating.get_by_role("button", name=TEXTS.get("utter_widget_csat_1")).click(timeout=15_000)
    expect(customer.locator(".maru-bot").last).to_contain_text(TEXTS.get("utter_csat_comment"), timeout=10_000)
    send(customer, COMMENT)
    thanks = customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_thanks_negative").partition("{due}")[0])
    expect(thanks).to_be_visible(timeout=10_000)

    agent = signed_in(browser, stack, "yuna").new_page()
    agent.goto(stack.gateway_url + "/console")
    expect(agent.locator("#followups tbody tr", has_text=COMMENT)).to_be_visible(timeout=10_000)

    after = summary(editor, stack)["csat"]["counts"]
    assert after["1"] == before["1"] + 1
    dashboard = editor.new_page()
    dashboard.on("dialog", record(dialogs))
    dashboard.goto(stack.gateway_url + "/dashboard")
    expect(dashboard.locator("#csat-share")).not_to_have_text("–", timeout=10_000)
    expect(dashboard.locator("#comments li", has_text=COMMENT)).to_be_visible()
    chart = dashboard.locator("img#chart-csat")
    expect(chart).to_be_visible()
    # A function, not an expression: the page's CSP forbids eval, which Playwright polls an expression with.
    dashboard.wait_for_function("() => document.getElementById('chart-csat').naturalWidth > 0", timeout=15_000)
    assert dashboard.locator("#comments img").count() == 0
    assert dialogs == []
    log_out(agent, stack)  # the agent goes offline at once, for the tests that count agents
    for context in (editor, agent.context, customer.context):
        context.close()
