"""The console's check-ins page lists each check-in with its customer, agent, due time, state and outcome."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis.asyncio as aioredis
from playwright.sync_api import Browser, expect

from bot.store.handoffs import Handoff, HandoffStore
from bot.store.surveys import SurveyStore
from tests.integration.axe import violations
from tests.integration.stack import Stack
from tests.integration.test_console_browser import log_out

# Chats these tests queue leave the queue afterwards, so later tests' queue places are theirs.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("browser_queue_left_as_found")]
PASSWORD = "integration-password"


async def plan_check_ins(redis_url: str) -> None:
    """One check-in answered "sorted", one sent and waiting, one still planned."""
    client = aioredis.Redis.from_url(redis_url)
    store = SurveyStore(client)
    now = time.time()
    # Due later than the gateway's own sweep looks: only this test sends them.
    planned = (("web-ci-sorted", "Sun Park", 3600), ("web-ci-sent", "Dae Lee", 3600), ("web-ci-planned", "", 2 * 86400))
    for conversation, name, due_in in planned:
        context = {"agent": "yeri", "agent_name": "Yeri", "channel": "web", "customer": {"name": name} if name else {}}
        await store.schedule_check_in(conversation, now + due_in, context)
    for conversation, context in await store.due_check_ins(now + 7200):
        await store.check_in_sent(conversation, context, now)
    answered = await store.take_check_in_reply("web-ci-sorted")
    assert answered is not None
    await store.check_in_answered(answered["id"], "sorted", now)
    # The chat of a customer whose reply said it is not sorted, kept for Yeri (bot.surveys.reopen_request).
    reopened: dict[str, Any] = {
        "reopened_after_check_in": True,
        "previous_agent": "Yeri",
        "first_offer": {"agent": "yeri", "name": "Yeri", "until": now + 600},
        "language": "en",
        "summary": {"customer_said": ["my lamp flickers"]},
    }
    await HandoffStore(client).enqueue(
        Handoff("web-ci-reopened", "web", "customer_request", False, now, context=reopened)
    )
    await client.close(close_connection_pool=True)


def test_the_console_marks_a_check_in_reply_and_lists_every_check_in(
    stack: Stack, browser: Browser, browser_queue_left_as_found: None
) -> None:
    stack.add_user("yeri", "agent", "Yeri", PASSWORD)
    # Playwright's sync API runs an event loop in this thread: the store's coroutines run in another one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, plan_check_ins(stack.redis_url)).result()
    context = browser.new_context()
    assert context.request.post(stack.gateway_url + "/console/login", data={"name": "yeri", "password": PASSWORD}).ok
    page = context.new_page()
    page.goto(stack.gateway_url + "/console")
    reopened = page.locator('#queued tr[data-conversation="web-ci-reopened"]')
    # Yeri's own console marks her online: the chat waits for her first.
    expect(reopened).to_contain_text("check-in reply · previously Yeri · for Yeri first until", timeout=15_000)
    page.get_by_role("link", name="Check-ins").click()
    table = page.get_by_role("table", name="Check-ins")
    answered = table.locator("tr", has_text="Sun Park (web-ci-sorted)")
    expect(answered).to_contain_text("Yeri", timeout=10_000)
    expect(answered).to_contain_text("answered")
    expect(answered).to_contain_text("all sorted: closed with thanks")
    expect(table.locator("tr", has_text="Dae Lee (web-ci-sent)")).to_contain_text("sent, no reply yet")
    expect(table.locator("tr", has_text="web-ci-planned")).to_contain_text("scheduled")
    assert page.locator("#error").text_content() == ""
    log_out(page, stack)  # offline at once, for the tests that count agents
    context.close()


def test_the_check_ins_page_passes_axe(stack: Stack, browser: Browser) -> None:
    stack.add_user("yeri", "agent", "Yeri", PASSWORD)
    context = browser.new_context(bypass_csp=True)  # axe's script tag needs it; the test above runs under the CSP
    assert context.request.post(stack.gateway_url + "/console/login", data={"name": "yeri", "password": PASSWORD}).ok
    page = context.new_page()
    page.goto(stack.gateway_url + "/console/check-ins")
    expect(page.locator("#check-ins tbody tr").first).to_be_visible(timeout=10_000)
    assert violations(page) == []
    log_out(page, stack)
    context.close()
