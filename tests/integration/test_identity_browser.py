"""Proving who the customer is, in a real browser: the shop's signed login, codes, the console's badge, forgetting."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from bot.channels.web_client import WebCustomer
from bot.identity.tokens import sign_customer_token
from bot.texts import Texts
from tests.integration.stack import ROOT, STORE_LOGIN_SECRET, Stack, conversation_of
from tests.integration.test_console_browser import PASSWORD, log_in, log_out
from tests.integration.test_widget_browser import send
from tests.mailbox import LocalMailbox

# Every test proves identities from 127.0.0.1: the shared fixture clears the attempts counted after each.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("redis_client")]

TEXTS = Texts.load(ROOT / "domain.yml")
AUDIENCE = "maru-support"
SHOP_PAGE = "/shop/account"
PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>My account · Maru</title></head>
<body>
<h1>My account</h1>
<p>Welcome back to Maru. Your orders and addresses are below.</p>
<script src="/widget.js" data-customer-token="{token}" defer></script>
</body>
</html>
"""
MINAS_ORDERS = [
    "#10421 · Stoneware dinner set (12 pieces)",
    "#10433 · Electric kettle 1.7 L, Linen tea towels (set of 3)",
]
HANAS_ORDERS = ["#10563 · Glass storage jars (set of 4), Maru ceramic mug"]
HANAS_EMAIL_SENTENCE = "where is my order? my email is hana.yoon@example.org"
ASK_NUMBER = TEXTS.get("utter_ask_order_number")
STATUS_10421 = re.compile(
    r"^Order #10421 \(Stoneware dinner set \(12 pieces\)\) is on its way with CJ Logistics, "
    r"tracking number CJ6412098831\. It should arrive between \S.* and \S.*\.$"
)
T = TypeVar("T")


def code_from(mail: Any) -> str:
    return str(mail["Subject"]).rsplit(" ", 1)[-1]


def session_cookie(context: BrowserContext) -> str:
    [value] = [cookie.get("value", "") for cookie in context.cookies() if cookie.get("name") == "maru_session"]
    return value


def mina_token(**overrides: Any) -> str:
    return sign_customer_token("C1001", STORE_LOGIN_SECRET, AUDIENCE, **{"name": "Mina Kim", **overrides})


def open_shop_page(context: BrowserContext, stack: Stack, token: str) -> Page:
    """The shop's account page, served on the gateway's origin, with the widget carrying the token; chat open."""
    body = PAGE.format(token=token)

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=body)

    # A page Playwright fulfils has no address of its own, so Chromium treats it as public and blocks its
    # socket to the loopback gateway (Local Network Access); a real shop and gateway are both public.
    context.grant_permissions(["local-network-access"])
    context.route(stack.gateway_url + SHOP_PAGE, fulfil)
    page = context.new_page()
    page.goto(stack.gateway_url + SHOP_PAGE)
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("dialog", name="Maru support")).to_be_visible()
    return page


def open_widget(context: BrowserContext, stack: Stack) -> Page:
    page = context.new_page()
    page.goto(stack.gateway_url + "/")
    page.get_by_role("button", name="Chat with us").click()
    expect(page.get_by_role("dialog", name="Maru support")).to_be_visible()
    return page


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Fresh browser contexts (one per person), all closed after the test."""
    opened: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context()
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


class ProtocolCustomers:
    """Widget protocol clients on an event loop in its own thread.

    Playwright's sync API refuses to run in a thread with a running loop, so the
    customers' sockets live on another thread's loop, which keeps answering pings
    while the test drives the browser.
    """

    def __init__(self, gateway_url: str) -> None:
        self._url = gateway_url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="web-customers", daemon=True)
        self._thread.start()
        self._opened: list[WebCustomer] = []

    def run(self, work: Coroutine[Any, Any, T], seconds: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(seconds)

    def connect(self, token: str | None = None) -> WebCustomer:
        customer = WebCustomer(self._url)
        self.run(customer.connect(customer_token=token))
        self._opened.append(customer)
        return customer

    def say(self, customer: WebCustomer, text: str) -> list[str]:
        return [message["text"] for message in self.run(customer.say(text))]

    def close(self) -> None:
        try:
            for customer in self._opened:
                self.run(customer.close())
            self.run(self._loop.shutdown_asyncgens())
        finally:
            # Stopped from its own thread; this thread may look as if a loop runs in it (Playwright's greenlets).
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop.close()


@pytest.fixture
def protocol_customers(stack: Stack) -> Iterator[ProtocolCustomers]:
    customers = ProtocolCustomers(stack.gateway_url)
    yield customers
    customers.close()


def test_the_shops_signed_page_greets_by_name_with_the_orders(
    stack: Stack, new_context: Callable[[], BrowserContext], tmp_path: Path
) -> None:
    page = open_shop_page(new_context(), stack, mina_token())
    greeting = TEXTS.get("utter_greet_customer").format(customer_name="Mina Kim")
    log = page.get_by_role("log")
    expect(log.locator(".maru-text")).to_have_text([TEXTS.get("utter_privacy_notice"), greeting])
    orders = page.locator(".maru-bot").last.locator(".maru-button")
    expect(orders).to_have_text(MINAS_ORDERS)
    expect(page.locator(".maru-button:enabled")).to_have_count(2)
    page.screenshot(path=str(tmp_path / "shop-greeting.png"))

    page.get_by_role("button", name=MINAS_ORDERS[0]).click()
    expect(page.locator(".maru-customer").last).to_have_text(MINAS_ORDERS[0])
    expect(log.locator(".maru-bot .maru-text").filter(has_text="Order #10421")).to_have_text(
        STATUS_10421, timeout=15_000
    )
    expect(page.get_by_role("button", name=MINAS_ORDERS[0])).to_be_disabled()
    page.screenshot(path=str(tmp_path / "shop-order-status.png"))


@pytest.mark.parametrize("kind", ["tampered", "expired"])
def test_a_bad_token_on_the_shop_page_gets_a_note_and_an_anonymous_chat(
    stack: Stack, new_context: Callable[[], BrowserContext], tmp_path: Path, kind: str
) -> None:
    if kind == "expired":
        token = mina_token(now=time.time() - 3600)
    else:
        header, payload, signature = mina_token().split(".")
        token = ".".join((header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature))
    page = open_shop_page(new_context(), stack, token)
    log = page.get_by_role("log")
    expect(log.locator(".maru-message")).to_have_count(1)
    expect(log.locator(".maru-notice .maru-text")).to_have_text(TEXTS.get("utter_identity_token_rejected"))
    expect(log.locator(".maru-button")).to_have_count(0)
    page.screenshot(path=str(tmp_path / f"shop-{kind}-token.png"))

    send(page, "where is my order")
    expect(log.locator(".maru-bot .maru-text").last).to_have_text(ASK_NUMBER, timeout=15_000)
    expect(log.locator(".maru-button")).to_have_count(0)
    expect(log).not_to_contain_text("Mina")
    expect(log.locator(".maru-notice .maru-text")).to_have_text(TEXTS.get("utter_identity_token_rejected"))


def test_the_console_shows_how_each_customer_was_proven(
    stack: Stack,
    new_context: Callable[[], BrowserContext],
    protocol_customers: ProtocolCustomers,
    mailbox: LocalMailbox,
    tmp_path: Path,
) -> None:
    stack.add_user("bora", "agent", "Bora", PASSWORD)
    agent = new_context().new_page()
    log_in(agent, stack, "bora")
    expect(agent).to_have_url(stack.gateway_url + "/console")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    waiting: list[str] = []
    try:
        # Mina, signed in at the shop, in the browser.
        shop = new_context()
        mina = open_shop_page(shop, stack, mina_token())
        expect(mina.locator(".maru-bot").last.locator(".maru-button")).to_have_text(MINAS_ORDERS)
        send(mina, "I want to talk to a person")
        expect(mina.locator(".maru-bot .maru-text").last).to_contain_text("You're number ", timeout=15_000)
        signed_in = conversation_of(session_cookie(shop))
        waiting.append(signed_in)

        # Hana, proven with the one-time code sent to her email.
        mailbox.clear()
        hana = protocol_customers.connect()
        sent = protocol_customers.say(hana, HANAS_EMAIL_SENTENCE)
        assert sent[-1] == TEXTS.get("utter_code_sent").format(email="ha•••@example.org")
        [mail] = mailbox.wait_for(1, seconds=10)
        assert protocol_customers.say(hana, code_from(mail)) == [
            TEXTS.get("utter_code_accepted").format(customer_name="Hana Yoon"),
            TEXTS.get("utter_ask_order_number_known"),
        ]
        assert protocol_customers.say(hana, "I want to talk to a person")[-1].startswith("You're number ")
        by_code = conversation_of(hana.session_token or "")
        waiting.append(by_code)

        # Somebody who never said who they are.
        stranger = protocol_customers.connect()
        assert protocol_customers.say(stranger, "I want to talk to a person")[-1].startswith("You're number ")
        anonymous = conversation_of(stranger.session_token or "")
        waiting.append(anonymous)

        expected = {
            signed_in: ("store_login", "Mina Kim · verified: signed in at the shop"),
            by_code: ("code", "Hana Yoon · verified: one-time code by email"),
            anonymous: ("none", "Name unknown · not verified"),
        }
        for conversation, (proof, label) in expected.items():
            badge = agent.locator(f'#queued tr[data-conversation="{conversation}"] span.identity')
            expect(badge).to_have_attribute("data-proof", proof, timeout=10_000)
            expect(badge).to_have_text(label)
        agent.screenshot(path=str(tmp_path / "console-queue.png"), full_page=True)

        agent.goto(f"{stack.gateway_url}/console/conversations/{signed_in}")
        card = agent.locator("#customer")
        expect(card.locator("span.identity")).to_have_attribute("data-proof", "store_login", timeout=10_000)
        expect(card.locator("span.identity")).to_have_text("Mina Kim · verified: signed in at the shop")
        expect(card.locator("li")).to_have_count(2)
        expect(card.locator("li").first).to_contain_text("#10421 · ")
        expect(agent.locator("#summary")).to_contain_text("I want to talk to a person")
        agent.screenshot(path=str(tmp_path / "console-conversation.png"), full_page=True)
    finally:
        closed = [close_handoff(agent, stack, conversation) for conversation in waiting]
        log_out(agent, stack)
    assert closed == [True, True, True]


def close_handoff(agent: Page, stack: Stack, conversation: str) -> bool:
    """Claims and resolves a conversation this test queued, so no other test finds it waiting."""
    request = agent.context.request
    csrf = request.get(stack.gateway_url + "/console/api/me").json()["csrf"]
    url = f"{stack.gateway_url}/console/api/conversations/{conversation}"
    return all(request.post(f"{url}/{action}", headers={"X-CSRF-Token": csrf}).ok for action in ("claim", "resolve"))


def test_forget_me_on_this_device_in_the_browser(
    stack: Stack, new_context: Callable[[], BrowserContext], mailbox: LocalMailbox, tmp_path: Path
) -> None:
    context = new_context()
    page = open_widget(context, stack)
    log = page.get_by_role("log")
    mailbox.clear()
    send(page, HANAS_EMAIL_SENTENCE)
    expect(log.locator(".maru-bot .maru-text").last).to_have_text(
        TEXTS.get("utter_code_sent").format(email="ha•••@example.org"), timeout=15_000
    )
    [mail] = mailbox.wait_for(1, seconds=10)
    send(page, code_from(mail))
    expect(log.locator(".maru-bot .maru-text").last).to_have_text(
        TEXTS.get("utter_ask_order_number_known"), timeout=15_000
    )
    expect(log.locator(".maru-bot .maru-text").nth(-2)).to_have_text(
        TEXTS.get("utter_code_accepted").format(customer_name="Hana Yoon")
    )
    expect(log.locator(".maru-bot").last.locator(".maru-button")).to_have_text(HANAS_ORDERS)
    proven_cookie = session_cookie(context)

    forgotten = TEXTS.get("utter_device_forgotten")
    with page.expect_response(stack.gateway_url + "/web/session", timeout=20_000) as new_session:
        send(page, "forget me on this device")
    assert new_session.value.ok
    # The new socket is open once the widget stops saying it is reconnecting.
    expect(page.locator(".maru-status")).to_have_text("", timeout=10_000)
    expect(log.locator(".maru-bot .maru-text").last).to_have_text(forgotten)
    expect(log.get_by_text(forgotten)).to_be_visible()
    new_cookie = session_cookie(context)
    assert new_cookie != proven_cookie
    assert conversation_of(new_cookie) != conversation_of(proven_cookie)
    page.screenshot(path=str(tmp_path / "forgotten.png"))

    send(page, "where is my order")
    expect(log.locator(".maru-bot .maru-text").last).to_have_text(ASK_NUMBER, timeout=15_000)
    expect(log.locator(".maru-bot").last.locator(".maru-button")).to_have_count(0)
    expect(log.locator(".maru-button:enabled")).to_have_count(0)
    expect(log.get_by_text(forgotten)).to_be_visible()
    assert session_cookie(context) == new_cookie
    page.screenshot(path=str(tmp_path / "forgotten-then-order.png"))
