"""The widget with the keyboard alone.

Where the focus is after every step, and what the status regions say (what a screen reader announces).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from bot.texts import Texts
from tests.integration.stack import ROOT, Stack

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")


def tab_to(page: Page, target: Locator, key: str = "Tab", presses: int = 30) -> None:
    """Presses Tab (or Shift+Tab) until the target has the focus: it is reachable with the keyboard."""
    for _ in range(presses):
        page.keyboard.press(key)
        if target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{presses} presses of {key} never reached {target}")


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

    page.keyboard.type("what do you charge for postage")
    page.keyboard.press("Enter")
    answer = page.locator(".maru-bot").last
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
