"""The web widget in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, Route, expect

from bot.texts import Texts
from knowledge import KnowledgeBase
from tests.integration.stack import ROOT, Stack

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")


def open_chat(page: Page, stack: Stack) -> None:
    page.goto(stack.gateway_url + "/")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("dialog", name="Maru support")).to_be_visible()


def send(page: Page, text: str) -> None:
    field = page.get_by_role("textbox", name="Type your message")
    field.fill(text)
    field.press("Enter")


def test_faq_button_reload_and_script_shown_as_text(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    answer = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert answer is not None
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)

    open_chat(page, stack)
    send(page, "what do you charge for postage")
    expect(page.locator(".maru-bot .maru-text").last).to_have_text(answer.answer, timeout=15_000)
    expect(page.locator(".maru-bot").last.get_by_role("button", name="Helpful", exact=True)).to_be_visible()

    send(page, "delete my data")
    keep = page.get_by_role("button", name="No, keep it")
    keep.click()
    expect(page.locator(".maru-bot").last).to_have_text("OK, I haven't deleted anything.", timeout=15_000)
    expect(keep).to_be_disabled()

    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    log = page.get_by_role("log")
    expect(log.get_by_text(answer.answer)).to_be_visible(timeout=10_000)
    expect(log.get_by_text("OK, I haven't deleted anything.")).to_be_visible()

    attack = "<img src=x onerror=alert(1)>"
    send(page, attack)
    expect(page.locator(".maru-customer").last).to_have_text(attack)
    expect(page.locator(".maru-bot").last).to_be_visible(timeout=15_000)
    page.screenshot(path=str(tmp_path / "widget.png"))
    assert page.locator(".maru-log img").count() == 0
    assert dialogs == []
    context.close()


def test_widget_works_with_the_keyboard_on_a_phone_screen(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(stack.gateway_url + "/")
    launcher = page.get_by_role("button", name="Chat with us")
    for _ in range(5):  # the launcher is reachable with Tab
        page.keyboard.press("Tab")
        if launcher.evaluate("node => node === document.activeElement"):
            break
    expect(launcher).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Maru support")
    expect(panel).to_be_visible()
    assert panel.bounding_box() == {"x": 0, "y": 0, "width": 390, "height": 844}
    expect(page.get_by_role("textbox", name="Type your message")).to_be_focused()
    page.keyboard.type("hello")
    page.keyboard.press("Enter")
    expect(page.locator(".maru-bot").last).to_contain_text("Maru", timeout=15_000)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    context.close()


def at_bottom(log: Locator) -> bool:
    """Whether the log is scrolled to its newest message."""
    return bool(log.evaluate("node => node.scrollHeight - node.scrollTop - node.clientHeight < 2"))


def test_the_widget_opens_at_its_newest_message(stack: Stack, browser: Browser) -> None:
    answer = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert answer is not None
    context = browser.new_context(viewport={"width": 1000, "height": 500})
    page = context.new_page()
    open_chat(page, stack)
    answers = page.locator(".maru-bot", has_text=answer.answer)
    for number in range(4):
        send(page, "what do you charge for postage")
        expect(answers).to_have_count(number + 1, timeout=15_000)
    send(page, "delete my data")
    newest = page.get_by_role("button", name="No, keep it")
    expect(newest).to_be_visible(timeout=15_000)
    log = page.get_by_role("log")
    assert log.evaluate("node => node.scrollHeight > 2 * node.clientHeight")

    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Chat with us").click()
    expect(newest).to_be_in_viewport()
    assert at_bottom(log)

    # Opened before its history and its style sheet arrive (a slow network, a busy machine).
    styles: list[Route] = []

    def hold(route: Route) -> None:
        styles.append(route)

    page.route("**/widget.css", hold)
    page.reload()
    page.get_by_role("button", name="Chat with us").click()
    expect(answers).to_have_count(4, timeout=10_000)
    styles[0].continue_()
    page.unroute("**/widget.css")
    expect(page.get_by_role("dialog", name="Maru support")).to_have_css("position", "fixed")
    expect(page.get_by_role("button", name="No, keep it")).to_be_in_viewport()
    assert at_bottom(log)
    page.reload()
    expect(answers).to_have_count(4, timeout=10_000)
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("button", name="No, keep it")).to_be_in_viewport()
    assert at_bottom(log)
    context.close()


def test_the_leave_button_stays_usable_while_queued_and_the_queue_line_goes_with_the_queue(
    stack: Stack, browser: Browser, browser_queue_left_as_found: None
) -> None:
    answer = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert answer is not None
    context = browser.new_context()
    page = context.new_page()
    open_chat(page, stack)
    send(page, "can I speak to an agent")
    expect(page.locator(".maru-bot").last).to_contain_text("in the queue", timeout=15_000)
    queue_line = page.locator(".maru-queue")
    expect(queue_line).to_contain_text("in the queue", timeout=30_000)  # the gateway's sweep refreshes it

    send(page, "what do you charge for postage")
    expect(page.locator(".maru-bot", has_text=answer.answer)).to_be_visible(timeout=15_000)
    leave = page.get_by_role("button", name="Leave the queue").last
    expect(leave).to_be_enabled()
    leave.click()
    expect(page.locator(".maru-bot", has_text=TEXTS.get("utter_queue_left"))).to_be_visible(timeout=15_000)
    expect(queue_line).to_be_hidden()
    expect(leave).to_be_disabled()
    context.close()
