"""A Korean customer in a real browser, from the first question to the rating after an agent's help."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from bot.texts import Texts
from knowledge import KnowledgeBase
from tests.integration.stack import ROOT, Stack
from tests.integration.test_console_browser import PASSWORD, log_in, log_out

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
KO = "ko"


def korean(response: str, **values: str) -> str:
    return TEXTS.get(response, KO).format(**values)


def open_korean_chat(page: Page, stack: Stack) -> None:
    """Opens the widget in a Korean browser: its labels are Korean before anything is written."""
    page.goto(stack.gateway_url + "/")
    page.get_by_role("button", name=korean("utter_widget_open")).click()
    expect(page.get_by_role("dialog", name=korean("utter_widget_title"))).to_be_visible()


def say(page: Page, text: str) -> None:
    field = page.get_by_role("textbox", name=korean("utter_widget_placeholder"))
    field.fill(text)
    field.press("Enter")


@pytest.mark.usefixtures("browser_queue_left_as_found")
def test_a_korean_customer_gets_everything_in_korean(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    stack.add_user("jiwoo", "agent", "지우", PASSWORD)
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    customer = browser.new_context(locale="ko-KR").new_page()
    customer.on("dialog", record)
    open_korean_chat(customer, stack)

    shipping = KnowledgeBase.load(ROOT / "data" / "knowledge").get("shipping_cost", KO)
    assert shipping is not None
    say(customer, "택배비 얼마 나와요?")
    answer = customer.locator(".maru-bot", has_text=shipping.answer[:20])
    expect(answer).to_be_visible(timeout=15_000)
    expect(customer.locator(".maru-bot").first).to_have_text(korean("utter_privacy_notice"))
    answer.get_by_role("button", name=korean("utter_widget_not_helpful")).click()
    sorry = customer.locator(".maru-bot").last
    expect(sorry).to_contain_text(korean("utter_thumbs_down"), timeout=10_000)
    for choice in ("utter_button_rephrase", "utter_button_other_answers", "utter_button_talk_to_person"):
        expect(sorry.get_by_role("button", name=korean(choice))).to_be_enabled()

    say(customer, "10433번 주문 배송 조회해 주세요")
    expect(customer.locator(".maru-bot").last).to_have_text(korean("utter_ask_email"), timeout=15_000)
    say(customer, "mina.kim@example.com로 주문했어요")
    status = customer.locator(".maru-bot").last
    expect(status).to_contain_text("#10433", timeout=15_000)
    expect(status).to_contain_text("배송 완료")

    agent = browser.new_context().new_page()
    agent.on("dialog", record)
    log_in(agent, stack, "jiwoo")
    expect(agent.locator("#live")).to_have_text("live", timeout=10_000)
    say(customer, "상담원이랑 직접 얘기하고 싶어요")
    expect(customer.locator(".maru-bot").last).to_contain_text(re.compile(r"대기 순서는 \d+번째"), timeout=15_000)

    row = agent.locator("#queued tbody tr", has_text="상담원이랑 직접 얘기하고 싶어요")
    expect(row.locator(".language")).to_have_text(" KO", timeout=10_000)
    row.get_by_role("button", name="Claim").click()
    expect(agent.locator("#summary")).to_contain_text("상담원이랑 직접 얘기하고 싶어요", timeout=10_000)
    joined = korean("utter_agent_joined", agent="지우")
    expect(customer.locator(".maru-notice").last).to_have_text(joined, timeout=10_000)
    agent.get_by_label("Reply to the customer").fill("안녕하세요, 지우예요. 주문하신 주전자 건 확인해 드릴게요.")
    agent.get_by_role("button", name="Send").click()
    expect(customer.locator(".maru-agent").last).to_contain_text("주전자 건 확인해 드릴게요", timeout=10_000)

    agent.get_by_role("button", name="Resolve").click()
    rating = customer.locator(".maru-bot", has_text=korean("utter_csat_question_agent", agent="지우"))
    expect(rating).to_be_visible(timeout=10_000)
    rating.get_by_role("button", name=korean("utter_widget_csat_3")).click()
    # After the agent, the assistant asks about itself too.
    bot_rating = customer.locator(".maru-bot", has_text=korean("utter_csat_question_bot"))
    bot_rating.get_by_role("button", name=korean("utter_widget_csat_3")).click(timeout=10_000)
    comment = customer.locator(".maru-bot").last
    expect(comment).to_contain_text(korean("utter_csat_comment"), timeout=10_000)
    comment.get_by_role("button", name=korean("utter_button_skip")).click()
    # Not necessarily the last message: one rated chat in five is also asked the NPS question.
    thanks = customer.locator(".maru-bot", has_text=korean("utter_csat_thanks_positive"))
    expect(thanks).to_be_visible(timeout=10_000)
    customer.screenshot(path=str(tmp_path / "korean-chat.png"), full_page=True)
    assert dialogs == []
    log_out(agent, stack)
    agent.context.close()
    customer.context.close()
