"""Editors in a real browser: an answer edit is live for customers at once; agents can't open editor routes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.integration.stack import ROOT, Stack
from tests.integration.test_widget_browser import open_chat, send

pytestmark = pytest.mark.integration
PASSWORD = "editor-browser-password"
SHIPPING = ROOT / "data" / "knowledge" / "en" / "shipping.yml"
NEW_ANSWER = "Delivery costs ₩3,000, and it's free from ₩50,000. (Edited by the editor test.)"
EDITOR_ROUTES = [
    ("GET", "/editor"),
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


@pytest.fixture
def restored_knowledge() -> Iterator[Path]:
    """The shipping FAQs as they were before the test, whatever it changes."""
    original = SHIPPING.read_bytes()
    yield SHIPPING
    SHIPPING.write_bytes(original)


def signed_in(browser: Browser, stack: Stack, name: str) -> BrowserContext:
    context = browser.new_context()
    assert context.request.post(stack.gateway_url + "/console/login", data={"name": name, "password": PASSWORD}).ok
    return context


def test_an_edited_answer_reaches_customers_within_two_seconds(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    stack.add_user("sora", "editor", "Sora", PASSWORD)
    editor = signed_in(browser, stack, "sora").new_page()
    editor.goto(stack.gateway_url + "/editor")
    editor.get_by_label("Search FAQs").fill("shipping_cost")
    editor.get_by_role("button", name="Search").click()
    editor.locator("#results li", has_text="shipping_cost").click()
    expect(editor.locator("#faq-meta")).to_contain_text("shipping_cost")
    editor.locator("#answer").fill(NEW_ANSWER)
    editor.get_by_role("button", name="Save answer").click()
    expect(editor.locator("#status")).to_have_text("Saved. The new answer is live.", timeout=10_000)
    saved = time.monotonic()

    customer = browser.new_context().new_page()
    open_chat(customer, stack)
    send(customer, "what do you charge for postage")
    expect(customer.locator(".maru-bot .maru-text").last).to_have_text(NEW_ANSWER, timeout=2_000)
    assert time.monotonic() - saved < 2.5
    expect(editor.locator("#changes li").first).to_contain_text("edit_answer · shipping_cost")
    editor.context.close()
    customer.context.close()


def test_agents_get_403_and_strangers_401_on_editor_routes(stack: Stack) -> None:
    stack.add_user("minho", "agent", "Minho", PASSWORD)
    for method, path in EDITOR_ROUTES:
        assert httpx.request(method, stack.gateway_url + path).status_code == 401, path
    with httpx.Client(base_url=stack.gateway_url) as agent:
        agent.post("/console/login", json={"name": "minho", "password": PASSWORD}).raise_for_status()
        csrf = agent.get("/console/api/me").json()["csrf"]
        for method, path in EDITOR_ROUTES:
            assert agent.request(method, path, headers={"X-CSRF-Token": csrf}).status_code == 403, path
