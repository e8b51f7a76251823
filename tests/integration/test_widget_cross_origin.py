"""The widget on the store's own site: the shop page on one site, the gateway on another, in Chromium.

The shop is served from ``localhost``, the gateway from ``127.0.0.1``: two sites, so
the gateway's cookie would be a third-party cookie here. The widget must work
without it, from the session token it keeps in the shop's own storage.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.texts import Texts
from knowledge import KnowledgeBase
from tests.integration.stack import ROOT, Stack, free_port
from tests.integration.test_console_browser import PASSWORD, log_in, log_out
from tests.integration.test_widget_browser import send

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Maru shop</title></head>
<body><h1>Maru shop</h1><script src="{gateway}/widget.js" defer></script></body></html>
"""


class ShopSite:
    """A plain shop page that embeds the widget with one tag, on its own port of ``localhost``."""

    def __init__(self, gateway_url: str, port: int) -> None:
        page = SHOP_PAGE.format(gateway=gateway_url).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_: object) -> None:
                """Quiet: the test reads the page, not the server's log."""

        self.url = f"http://localhost:{port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Sites:
    gateway: str
    shop: ShopSite
    stranger: ShopSite


@pytest.fixture(scope="module")
def sites(stack: Stack) -> Iterator[Sites]:
    """A gateway whose WIDGET_ORIGINS lists the shop's site only, the shop, and a site not listed."""
    port, shop_port = free_port(), free_port()
    stack.start_gateway(name="gateway_sites", GATEWAY_PORT=str(port), WIDGET_ORIGINS=f"http://localhost:{shop_port}")
    gateway = f"http://127.0.0.1:{port}"
    found = Sites(gateway, ShopSite(gateway, shop_port), ShopSite(gateway, free_port()))
    yield found
    found.shop.close()
    found.stranger.close()
    stack.stop("gateway_sites")


def open_chat(page: Page, shop: ShopSite) -> None:
    page.goto(shop.url + "/")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("dialog", name="Maru support")).to_be_visible()


def test_the_widget_serves_a_customer_on_the_stores_own_site(
    stack: Stack, sites: Sites, browser: Browser, browser_queue_left_as_found: None
) -> None:
    answer = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", "en")
    assert answer is not None
    stack.add_user("dami", "agent", "Dami", PASSWORD)
    customer = browser.new_context().new_page()
    open_chat(customer, sites.shop)
    send(customer, "what do you charge for postage")
    expect(customer.locator(".maru-bot .maru-text").last).to_have_text(answer.answer, timeout=15_000)

    send(customer, "delete my data")
    keep = customer.get_by_role("button", name="No, keep it")
    keep.click()
    expect(customer.locator(".maru-bot").last).to_have_text("OK, I haven't deleted anything.", timeout=15_000)

    customer.reload()
    customer.get_by_role("button", name="Chat with us").click()
    log = customer.get_by_role("log")
    expect(log.get_by_text(answer.answer)).to_be_visible(timeout=10_000)
    expect(log.get_by_text("OK, I haven't deleted anything.")).to_be_visible()
    # No cookie of the gateway: the conversation lives on the shop's own storage alone.
    assert [c["name"] for c in customer.context.cookies() if c["name"] == "maru_session"] == []
    assert customer.evaluate("() => localStorage.getItem('maru-session')")

    agent = browser.new_context().new_page()
    log_in(agent, stack, "dami")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    send(customer, "can I speak to an agent")
    expect(customer.locator(".maru-bot").last).to_contain_text("You're number 1 in the queue", timeout=15_000)
    agent.locator("#queued tbody tr").first.get_by_role("button", name="Claim").click()
    expect(customer.locator(".maru-notice").last).to_have_text(
        TEXTS.get("utter_agent_joined").format(agent="Dami"), timeout=10_000
    )
    agent.get_by_label("Reply to the customer").fill("Hi, I'm Dami from Maru.")
    agent.get_by_role("button", name="Send").click()
    expect(customer.locator(".maru-agent").last).to_contain_text("I'm Dami", timeout=10_000)
    agent.get_by_role("button", name="Resolve").click()
    expect(customer.locator(".maru-notice").last).to_have_text(
        TEXTS.get("utter_agent_resolved").format(agent="Dami"), timeout=10_000
    )
    log_out(agent, stack)
    agent.context.close()
    customer.context.close()


def test_a_site_that_may_not_embed_the_widget_gets_nothing(sites: Sites, browser: Browser) -> None:
    page = browser.new_context().new_page()
    page.goto(sites.stranger.url + "/")
    page.wait_for_timeout(3_000)
    assert page.get_by_role("button", name="Chat with us").count() == 0
    socket_url = sites.gateway.replace("http", "ws", 1) + "/web/socket"
    outcome = page.evaluate(
        """url => new Promise(done => {
            const socket = new WebSocket(url, ["maru.v1"]);
            socket.onopen = () => done("open");
            socket.onerror = () => done("refused");
        })""",
        socket_url,
    )
    assert outcome == "refused"
    session = page.evaluate(
        """url => fetch(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: "{}"})
            .then(() => "answered", () => "blocked")""",
        sites.gateway + "/web/session",
    )
    assert session == "blocked"
    page.context.close()
