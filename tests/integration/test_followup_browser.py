"""Follow-ups in real browsers: a 😞 with a comment, an agent who takes it and writes, the customer's reply, Done."""

from __future__ import annotations

import re
import time
from datetime import datetime
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Dialog, Page, expect

from bot.followups import due_after, promised_time
from bot.texts import Texts
from support.hours import OpeningHours, read_support_file
from tests.integration.stack import ROOT, Stack
from tests.integration.test_console_browser import log_in, log_out
from tests.integration.test_widget_browser import open_chat, send

# Chats these tests queue leave the queue afterwards, so later tests' queue places are theirs.
pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("browser_queue_left_as_found")]
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "browser-test-password"
# The stack's support hours (tests/integration/stack.py): the promise is computed from them.
OPENING = OpeningHours.from_config(read_support_file(ROOT / "tests" / "data" / "support_always_open.yml"))


def refuse_dialogs(page: Page, dialogs: list[str]) -> Page:
    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    return page


def rate_sad_with_comment(customer: Page, comment: str) -> tuple[float, float]:
    """The customer says goodbye, rates 😞 and comments; returns the time just before and after the rating."""
    send(customer, "what do you charge for postage")
    expect(customer.locator(".maru-bot").last).not_to_have_text("", timeout=15_000)
    send(customer, "bye")
    rating = customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_question_bot"))
    rating.get_by_role("button", name=TEXTS.get("utter_widget_csat_1")).click(timeout=15_000)
    expect(customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_comment"))).to_be_visible(timeout=10_000)
    before = time.time()
    send(customer, comment)
    promise = customer.locator(".maru-bot", has_text=TEXTS.get("utter_csat_thanks_negative").partition("{due}")[0])
    expect(promise).to_be_visible(timeout=10_000)
    return before, time.time()


def follow_up_of(agent: Page, stack: Stack, comment: str) -> dict[str, Any]:
    data = agent.context.request.get(stack.gateway_url + "/console/api/follow-ups").json()
    [found] = [f for f in data["follow_ups"] if f["comment"] == comment]
    return dict(found)


def expect_promise_kept(customer: Page, followup: dict[str, Any], before: float, after: float) -> None:
    """The promise names exactly the follow-up's due time: the end of the next business day in the stack's hours."""
    due = datetime.fromtimestamp(followup["due"], OPENING.timezone)
    assert due in (due_after(OPENING, before), due_after(OPENING, after))
    promise = TEXTS.get("utter_csat_thanks_negative").format(due=promised_time(due, "en"))
    expect(customer.locator(".maru-bot .maru-text", has_text=promise)).to_have_text(promise)


def take_from_queue(agent: Page, followup: dict[str, Any], comment: str) -> None:
    row = agent.locator("#followups tbody tr", has_text=comment)
    expect(row).to_be_visible(timeout=10_000)
    cells = row.locator("th, td")
    expect(cells.nth(0)).to_have_text(followup["customer"])
    expect(cells.nth(1)).to_have_text("web")
    expect(cells.nth(2)).to_have_text("EN")
    expect(cells.nth(3)).to_have_text("😞 1/3")
    expect(cells.nth(4)).to_have_text(comment)
    expect(cells.nth(5)).to_have_text("nobody yet")
    expect(cells.nth(6)).not_to_have_text("–")
    row.get_by_role("button", name="Take follow-up on " + followup["customer"]).click()
    conversation_page = re.compile(re.escape("/console/conversations/" + followup["conversation"]) + "$")
    expect(agent).to_have_url(conversation_page, timeout=10_000)
    box = agent.locator("#follow-up")
    expect(box.locator("#follow-up-comment")).to_have_text(comment, timeout=10_000)
    expect(box.locator("#follow-up-facts")).to_contain_text(followup["customer"] + " · web · EN · 😞 1/3 · due ")
    expect(box.locator("#follow-up-facts")).to_contain_text("owner: yuna")
    expect(box.locator("#follow-up-history li")).to_have_count(1)
    expect(box.locator("#follow-up-history li").first).to_contain_text("taken by yuna")
    expect(agent.locator("#transcript")).to_contain_text(comment)
    expect(agent.get_by_label("Reply to the customer")).to_be_visible()


def write(agent: Page, text: str) -> None:
    agent.get_by_label("Reply to the customer").fill(text)
    agent.get_by_role("button", name="Send").click()


def finish(agent: Page, stack: Stack, comment: str, note: str) -> None:
    """Done with a note: the note stays in the follow-up's history and in the done list; the bot has the chat."""
    agent.get_by_label("What did you do?").fill(note)
    agent.get_by_role("button", name="Mark follow-up done").click()
    history = agent.locator("#follow-up-history li")
    expect(history).to_have_count(2, timeout=10_000)
    expect(history.last).to_contain_text("done by yuna")
    expect(history.last).to_contain_text(": " + note)
    expect(agent.locator("#summary")).to_have_text("The bot has this conversation.")
    expect(agent.locator("#follow-up-done")).to_be_hidden()
    agent.goto(stack.gateway_url + "/console")
    done = agent.locator("#followups-done tbody tr", has_text=comment)
    expect(done).to_contain_text(note, timeout=10_000)
    expect(agent.locator("#followups tbody tr", has_text=comment)).to_have_count(0)


def agent_page(browser: Browser, stack: Stack, dialogs: list[str]) -> Page:
    stack.add_user("yuna", "agent", "Yuna", PASSWORD)
    agent = refuse_dialogs(browser.new_context().new_page(), dialogs)
    log_in(agent, stack, "yuna")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    return agent


def test_an_agent_takes_a_sad_face_answers_in_the_widget_and_gets_the_reply(stack: Stack, browser: Browser) -> None:
    dialogs: list[str] = []
    agent = agent_page(browser, stack, dialogs)
    customer = refuse_dialogs(browser.new_context().new_page(), dialogs)
    open_chat(customer, stack)
    comment = "The parcel came two days late"
    before, after = rate_sad_with_comment(customer, comment)
    followup = follow_up_of(agent, stack, comment)
    assert followup["customer"].startswith("Guest ")
    expect_promise_kept(customer, followup, before, after)

    take_from_queue(agent, followup, comment)
    write(agent, "Hi, I'm Yuna. Sorry about the delay: we'll refund the postage.")
    expect(customer.locator(".maru-agent .maru-text").last).to_have_text(
        "Hi, I'm Yuna. Sorry about the delay: we'll refund the postage.", timeout=10_000
    )
    expect(customer.locator(".maru-agent .maru-author").last).to_have_text("Yuna")

    bot_messages = customer.locator(".maru-bot").count()
    send(customer, "Thank you, that helps")
    expect(agent.locator(".entry-customer .text").last).to_have_text("Thank you, that helps", timeout=10_000)
    write(agent, "You're welcome!")
    expect(customer.locator(".maru-agent .maru-text").last).to_have_text("You're welcome!", timeout=10_000)
    assert customer.locator(".maru-bot").count() == bot_messages  # the reply went to Yuna, not to the bot

    finish(agent, stack, comment, "Refunded the postage")
    assert dialogs == []
    log_out(agent, stack)
    customer.context.close()


def test_a_customer_who_left_sees_the_answer_with_a_badge_on_the_next_visit(stack: Stack, browser: Browser) -> None:
    dialogs: list[str] = []
    agent = agent_page(browser, stack, dialogs)
    visitor: BrowserContext = browser.new_context()
    customer = refuse_dialogs(visitor.new_page(), dialogs)
    open_chat(customer, stack)
    comment = "Nobody told me the item was out of stock"
    before, after = rate_sad_with_comment(customer, comment)
    followup = follow_up_of(agent, stack, comment)
    expect_promise_kept(customer, followup, before, after)
    customer.close()  # the customer left

    take_from_queue(agent, followup, comment)
    answer = "Hello again: the item is back in stock and your order ships today."
    write(agent, answer)
    expect(agent.locator(".entry-agent .text").last).to_have_text(answer, timeout=10_000)

    back = refuse_dialogs(visitor.new_page(), dialogs)
    back.goto(stack.gateway_url + "/")
    unread = TEXTS.get("utter_widget_unread").format(count=1)
    launcher = back.get_by_role("button", name=TEXTS.get("utter_widget_open") + ", " + unread)
    expect(launcher).to_be_visible(timeout=15_000)
    expect(launcher.locator(".maru-badge")).to_have_text("1")
    expect(back.get_by_role("dialog", name="Maru support")).to_be_hidden()
    launcher.click()
    expect(back.locator(".maru-agent .maru-text").last).to_have_text(answer, timeout=10_000)
    expect(back.locator(".maru-badge")).to_have_count(0)

    send(back, "Great, thanks for letting me know")
    expect(agent.locator(".entry-customer .text").last).to_have_text(
        "Great, thanks for letting me know", timeout=10_000
    )
    finish(agent, stack, comment, "Told the customer it ships today")

    # Read is read: the next visit shows no badge for what the customer saw.
    again = refuse_dialogs(visitor.new_page(), dialogs)
    again.goto(stack.gateway_url + "/")
    expect(again.get_by_role("button", name=TEXTS.get("utter_widget_open"), exact=True)).to_be_visible(timeout=15_000)
    expect(again.locator(".maru-badge")).to_have_count(0)
    assert dialogs == []
    log_out(agent, stack)
    visitor.close()
