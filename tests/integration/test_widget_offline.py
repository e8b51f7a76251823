"""The widget never loses a typed message: written while the gateway is down, sent once it is back."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from knowledge import KnowledgeBase
from tests.integration.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.integration.stack import ROOT, Stack, conversation_of, free_port, transcript_of
from tests.integration.test_widget_browser import send

pytestmark = pytest.mark.integration
KNOWLEDGE = KnowledgeBase.load(ROOT / "data" / "knowledge")
STATIC = ("/", "/widget.js", "/widget.css")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium that lets a page served from the test's cache (no address of its own) reach 127.0.0.1.

    Chromium's local-network checks treat a page fulfilled by Playwright as public and block
    its socket to loopback; a page reloaded from the real cache keeps its loopback origin.
    """
    with sync_playwright() as playwright:
        flags = [*CHROMIUM_FLAGS, "--disable-features=LocalNetworkAccessChecks"]
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=flags)
        yield launched
        launched.close()


@pytest.fixture
def gateway(stack: Stack) -> Iterator[str]:
    """A gateway of its own, which the test stops and starts."""
    port = free_port()
    stack.start_gateway(name="gateway-offline", GATEWAY_PORT=str(port), TELEGRAM_TOKEN="")
    yield str(port)
    if "gateway-offline" in stack.processes:
        stack.stop("gateway-offline")


def serve_page_from_cache(page: Page, url: str) -> None:
    """The shop page and the widget's files come from the browser's cache, as a reload offline would."""
    cached = {path: httpx.get(url + path, timeout=10) for path in STATIC}

    def fulfil(route: Route) -> None:
        path = "/" + route.request.url.split("/", 3)[3]
        response = cached[path]
        route.fulfill(status=200, body=response.content, content_type=response.headers["content-type"])

    for path in STATIC:
        page.route(url + path, fulfil)


def answer_of(faq_id: str) -> str:
    faq = KNOWLEDGE.get(faq_id, "en")
    assert faq is not None
    return faq.answer


def transcript(stack: Stack, page: Page) -> list[tuple[str, str]]:
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "maru_session")
    return transcript_of(stack.redis_url, conversation_of(cookie))


def customer_messages(stack: Stack, page: Page) -> list[str]:
    return [text for role, text in transcript(stack, page) if role == "customer"]


def answered_once_each(stack: Stack, page: Page) -> bool:
    """Every customer message is followed by the bot's answer, and no answer came twice in a row."""
    roles = [role for role, _ in transcript(stack, page)]
    return roles[-1] != "customer" and all(
        later != "customer" for earlier, later in itertools.pairwise(roles) if earlier == "customer"
    )


def restart(stack: Stack, port: str) -> None:
    stack.start_gateway(name="gateway-offline", GATEWAY_PORT=port, TELEGRAM_TOKEN="")


def test_messages_typed_while_the_gateway_is_down_are_sent_once_in_order(
    stack: Stack, browser: Browser, gateway: str
) -> None:
    url = f"http://127.0.0.1:{gateway}"
    page = browser.new_context().new_page()
    serve_page_from_cache(page, url)
    page.goto(url + "/")
    page.get_by_role("button", name="Chat with us").click()
    send(page, "hello")
    log = page.get_by_role("log")
    expect(page.locator(".maru-bot .maru-text").last).to_contain_text("Maru's assistant", timeout=15_000)

    stack.stop("gateway-offline")
    expect(page.locator(".maru-status")).to_have_text("Connection lost. Reconnecting…", timeout=10_000)
    send(page, "what do you charge for postage")
    send(page, "how do I return something")
    expect(page.locator(".maru-sending")).to_have_count(2)
    expect(page.locator(".maru-sending-label").first).to_have_text("Sending…")

    restart(stack, gateway)
    expect(log.get_by_text(answer_of("shipping_cost"), exact=True)).to_have_count(1, timeout=30_000)
    expect(page.locator(".maru-sending")).to_have_count(0, timeout=15_000)
    page.wait_for_timeout(6_000)  # past the widget's resend interval: nothing is sent or answered twice
    expect(log.get_by_text(answer_of("shipping_cost"), exact=True)).to_have_count(1)
    assert customer_messages(stack, page) == ["hello", "what do you charge for postage", "how do I return something"]
    assert answered_once_each(stack, page)
    assert [text for _, text in transcript(stack, page)].count(answer_of("shipping_cost")) == 1

    stack.stop("gateway-offline")
    expect(page.locator(".maru-status")).to_have_text("Connection lost. Reconnecting…", timeout=10_000)
    send(page, "can I pay by card")
    page.reload()
    pending = page.evaluate("JSON.parse(sessionStorage.getItem('maru-pending')).map(p => p.shown)")
    assert pending == ["can I pay by card"]

    restart(stack, gateway)
    page.get_by_role("button", name="Chat with us").click(timeout=30_000)
    expect(page.locator(".maru-sending")).to_have_count(0, timeout=30_000)
    expect(log.get_by_text("can I pay by card", exact=True)).to_have_count(1)
    page.wait_for_timeout(1_000)
    assert customer_messages(stack, page)[-2:] == ["how do I return something", "can I pay by card"]
    assert answered_once_each(stack, page)
    assert page.evaluate("JSON.parse(sessionStorage.getItem('maru-pending'))") == []
    page.context.close()
