"""Editors as a team, in a real browser.

No lost edits, a change log people can read, messages where the editor looks, the editor page by
keyboard alone, and no axe-core violations.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Browser, Locator, Page, expect

from knowledge import KnowledgeBase
from tests.integration.axe import violations
from tests.integration.stack import ROOT, Stack
from tests.integration.test_editor_browser import PASSWORD

pytestmark = pytest.mark.integration
KNOWLEDGE = ROOT / "data" / "knowledge"


@pytest.fixture
def no_retraining(stack: Stack) -> Iterator[None]:
    """Holds the training lock, so phrasing changes queue a retrain that never runs (and never swaps the model)."""
    client = redis.Redis.from_url(stack.redis_url)
    assert client.set("training:lock", "editor-team-test", nx=True, ex=600), "a retraining job is running"
    yield
    client.delete("training:pending")
    if client.get("training:lock") == b"editor-team-test":
        client.delete("training:lock")
    client.connection_pool.disconnect()


def editor_name(prefix: str) -> str:
    """A name no earlier run used, so this run's entries in the change log can be told apart."""
    return f"{prefix}_{secrets.token_hex(3)}"


def editor_page(browser: Browser, stack: Stack, name: str, bypass_csp: bool = False) -> Page:
    """A signed-in editor's page (``bypass_csp`` only for the context that injects axe-core)."""
    stack.add_user(name, "editor", name.title(), PASSWORD)
    context = browser.new_context(bypass_csp=bypass_csp)
    assert context.request.post(stack.gateway_url + "/console/login", data={"name": name, "password": PASSWORD}).ok
    page = context.new_page()
    page.goto(stack.gateway_url + "/editor")
    return page


def open_faq(page: Page, faq_id: str) -> None:
    page.get_by_label("Search FAQs").fill(faq_id)
    page.get_by_role("button", name="Search").click()
    page.locator("#results li", has_text=faq_id).click()
    expect(page.locator("#faq-meta")).to_contain_text(faq_id)


def faq(faq_id: str) -> object:
    found = KnowledgeBase.load(KNOWLEDGE).get(faq_id, "en")
    assert found is not None
    return found


def answer_of(faq_id: str) -> str:
    return faq(faq_id).answer  # type: ignore[attr-defined, no-any-return]


def phrasings_of(faq_id: str) -> tuple[str, ...]:
    return faq(faq_id).phrasings  # type: ignore[attr-defined, no-any-return]


def focused(page: Page) -> str:
    """What has the keyboard focus: its id, or its tag, class and text."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className + ': ' + e.textContent.trim(); }"
        )
    )


def diff_of(entry: Locator) -> list[tuple[str, str]]:
    """A change's diff as shown: (tag, text) of the <ins> and <del> elements, in order."""
    return [
        (str(node[0]), str(node[1]))
        for node in entry.locator(".diff ins, .diff del").evaluate_all(
            "nodes => nodes.map(n => [n.tagName, n.textContent])"
        )
    ]


def test_two_editors_save_the_same_answer_and_the_second_merges_knowingly(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    first_name, second_name = editor_name("ana"), editor_name("ben")
    first, second = editor_page(browser, stack, first_name), editor_page(browser, stack, second_name)
    open_faq(first, "shipping_cost")
    open_faq(second, "shipping_cost")
    original = answer_of("shipping_cost")
    firsts = original.replace("₩3,000 per order", "₩3,500 per order")
    seconds = original + " Orders are packed within a day."

    first.locator("#answer").fill(firsts)
    first.get_by_role("button", name="Save answer").click()
    expect(first.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.")
    second.locator("#answer").fill(seconds)
    second.get_by_role("button", name="Save answer").click()

    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator("[role=alert]")).to_have_text(
        f"Someone else changed this FAQ since you opened it ({first_name}); nothing was saved."
    )
    expect(conflict.locator(".theirs .answer")).to_have_text(firsts)  # the first editor's text, side by side
    expect(conflict.locator(".changes .meta")).to_contain_text(f"edit answer · en/shipping_cost · {first_name}")
    assert diff_of(conflict.locator(".changes li")) == [("DEL", "₩3,000 "), ("INS", "₩3,500 ")]
    expect(conflict.get_by_label("Your text (edit it to merge, then save)")).to_have_value(seconds)
    assert focused(second) == "#conflict-title"
    assert answer_of("shipping_cost") == firsts  # nothing overwritten
    # A client that sends no version at all cannot overwrite blindly either.
    csrf = second.context.request.get(stack.gateway_url + "/console/api/me").json()["csrf"]
    blind = second.context.request.post(
        f"{stack.gateway_url}/editor/api/faqs/shipping_cost/answer",
        data={"answer": seconds},
        headers={"X-CSRF-Token": csrf},
    )
    assert (blind.status, blind.json()) == (400, {"error": "'version' must be the FAQ's version as read, a string"})
    assert answer_of("shipping_cost") == firsts

    merged = firsts + " Orders are packed within a day."
    conflict.get_by_label("Your text (edit it to merge, then save)").fill(merged)
    conflict.get_by_role("button", name="Save my text over theirs").click()
    expect(second.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.")
    expect(conflict).to_be_hidden()
    expect(second.locator("#answer")).to_have_value(merged)
    assert answer_of("shipping_cost") == merged

    # The first editor's page is now behind too: their next save is stopped the same way.
    first.locator("#answer").fill(original)
    first.get_by_role("button", name="Save answer").click()
    expect(first.locator("#conflict .theirs .answer")).to_have_text(merged)
    first.locator("#conflict").get_by_role("button", name="Keep theirs").click()
    expect(first.locator("#answer-feedback .note p")).to_have_text("Kept what is live; your change was not saved.")
    expect(first.locator("#answer")).to_have_value(merged)
    assert answer_of("shipping_cost") == merged
    first.context.close()
    second.context.close()


@pytest.mark.usefixtures("no_retraining")
def test_two_editors_move_phrasings_of_the_same_faq_and_the_second_applies_knowingly(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    first_name = editor_name("chae")
    first, second = editor_page(browser, stack, first_name), editor_page(browser, stack, editor_name("dami"))
    open_faq(first, "shipping_cost")
    open_faq(second, "shipping_cost")

    first.get_by_label("Move 'shipping rates' to FAQ").fill("shipping_express")
    first.get_by_role("button", name="Move ‘shipping rates’", exact=True).click()
    expect(first.locator("#phrasings-feedback .note p")).to_have_text(
        "Phrasing moved to shipping_express and live there; retraining in the background takes it into the model."
    )
    second.get_by_label("Move 'carriage cost?' to FAQ").fill("shipping_express")
    second.get_by_role("button", name="Move ‘carriage cost?’", exact=True).click()

    conflict = second.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict.locator(".changes .meta")).to_contain_text(
        f"move phrasing from shipping_cost to shipping_express · en/shipping_cost · {first_name}"
    )
    expect(conflict.locator(".theirs del")).to_have_text("shipping rates")  # gone from this FAQ meanwhile
    expect(conflict.locator(".mine p")).to_have_text("move the phrasing ‘carriage cost?’ to shipping_express")
    assert "carriage cost?" in phrasings_of("shipping_cost")

    conflict.get_by_role("button", name="Apply my change anyway").click()
    expect(second.locator("#phrasings-feedback .note p")).to_have_text(
        "Phrasing moved to shipping_express and live there; retraining in the background takes it into the model."
    )
    expect(second.locator("#faq-meta")).to_contain_text(f"{len(phrasings_of('shipping_cost'))} phrasings")
    assert {"shipping rates", "carriage cost?"} <= set(phrasings_of("shipping_express"))
    assert {"shipping rates", "carriage cost?"}.isdisjoint(phrasings_of("shipping_cost"))
    first.context.close()
    second.context.close()


def test_an_edit_and_its_rollback_read_as_such_and_the_form_shows_what_is_live(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    name = editor_name("eun")
    page = editor_page(browser, stack, name)
    open_faq(page, "shipping_cost")
    original = answer_of("shipping_cost")
    page.locator("#answer").fill(original.replace("₩3,000 per order", "₩3,500 per order"))
    page.get_by_role("button", name="Save answer").click()
    expect(page.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.")

    page.locator("#changes-editor").select_option(name)
    page.get_by_role("button", name="Show changes").click()
    edit = page.locator("#changes li.change").first
    expect(page.locator("#changes li.change")).to_have_count(1)
    number = int(str(edit.get_attribute("data-number")))
    expect(edit.locator(".meta")).to_contain_text(f"#{number} · edit answer · en/shipping_cost · {name} · ")
    assert diff_of(edit) == [("DEL", "₩3,000 "), ("INS", "₩3,500 ")]

    edit.get_by_role("button", name=f"Roll back #{number}").click()
    rolled = page.locator(f"#changes li[data-number='{number}'] .feedback .note p")
    expect(rolled).to_have_text(f"Rolled back #{number} as #{number + 1}. The form shows what is live now.")
    expect(page.locator("#answer")).to_have_value(original)
    assert answer_of("shipping_cost") == original
    rollback = page.locator("#changes li.change").first
    expect(rollback.locator(".meta")).to_contain_text(
        f"#{number + 1} · rollback of #{number} (edit answer) · en/shipping_cost · {name} · "
    )
    assert diff_of(rollback) == [("DEL", "₩3,500 "), ("INS", "₩3,000 ")]
    page.context.close()


def test_the_log_is_filtered_by_faq_and_editor_and_paged_past_twenty(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    name = editor_name("gyu")
    page = editor_page(browser, stack, name)
    csrf = page.context.request.get(stack.gateway_url + "/console/api/me").json()["csrf"]
    answers = [f"Delivery costs ₩3,000 (edit {n})." for n in range(23)]
    for faq_id, answer in [
        ("refund_timing", "Refunds take 3 business days."),
        *(("shipping_cost", a) for a in answers),
    ]:
        url = f"{stack.gateway_url}/editor/api/faqs/{faq_id}"
        version = page.context.request.get(url).json()["version"]
        saved = page.context.request.post(
            url + "/answer", data={"answer": answer, "version": version}, headers={"X-CSRF-Token": csrf}
        )
        assert saved.ok, saved.text()
    page.reload()

    page.locator("#changes-faq").fill("shipping_cost")
    page.locator("#changes-editor").select_option(name)
    page.get_by_role("button", name="Show changes").click()
    entries = page.locator("#changes li.change")
    expect(entries).to_have_count(20)
    expect(entries.first.locator(".diff ins")).to_have_text("22).")
    page.get_by_role("button", name="Older changes").click()
    expect(entries).to_have_count(23)
    expect(page.get_by_role("button", name="Older changes")).to_be_hidden()
    expect(entries.nth(20)).to_be_focused()
    expect(entries.last.locator(".meta")).to_contain_text(f"edit answer · en/shipping_cost · {name}")

    page.locator("#changes-faq").fill("refund_timing")
    page.get_by_role("button", name="Show changes").click()
    expect(entries).to_have_count(1)
    expect(entries.first.locator(".meta")).to_contain_text(f"edit answer · en/refund_timing · {name}")
    inserted = entries.first.locator(".diff").evaluate(
        "diff => [...diff.childNodes].filter(n => n.tagName !== 'DEL').map(n => n.textContent).join('')"
    )
    assert inserted == "Refunds take 3 business days."
    page.context.close()


def test_warnings_and_limits_next_to_the_control(stack: Stack, browser: Browser, restored_knowledge: Path) -> None:
    page = editor_page(browser, stack, editor_name("hana"))
    open_faq(page, "shipping_free_threshold")
    before = phrasings_of("shipping_free_threshold")

    page.get_by_label("New phrasing").fill("how much is shipping?")
    page.get_by_role("button", name="Add phrasing").click()
    question = page.locator("#new-phrasing-feedback [role=alert]")
    expect(question.locator("p")).to_have_text(
        "Nearly the same as a phrasing of another FAQ; nothing was saved yet. Save it anyway?"
    )
    expect(question.locator("li").first).to_have_text(
        "‘how much is shipping?’ (shipping_free_threshold) is 0.98 similar to ‘how much is shipping’ (shipping_cost)"
    )
    expect(question).to_be_focused()
    assert phrasings_of("shipping_free_threshold") == before
    question.get_by_role("button", name="Don't save").click()
    expect(page.locator("#new-phrasing-feedback .note p")).to_have_text("Not saved.")
    assert phrasings_of("shipping_free_threshold") == before

    page.locator("#answer").fill("x" * 20_000)
    expect(page.locator("#answer-chars")).to_have_text("20000 of 1500 characters: 18500 too many")
    page.get_by_role("button", name="Save answer").click()
    problem = page.locator("#answer-feedback [role=alert]")
    expect(problem.locator("p")).to_have_text("The change was refused; nothing was saved.")
    expect(problem.locator("li")).to_have_text(
        "FAQ shipping_free_threshold (en): the answer has 20000 characters; at most 1500 are allowed"
    )
    expect(problem).to_be_focused()

    bracketed = "[Editor A: check the threshold] " + answer_of("shipping_free_threshold")
    page.locator("#answer").fill(bracketed)
    page.get_by_role("button", name="Save answer").click()
    expect(page.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.")
    assert answer_of("shipping_free_threshold") == bracketed
    page.context.close()


def test_search_open_edit_save_and_roll_back_by_keyboard_alone(
    stack: Stack, browser: Browser, restored_knowledge: Path
) -> None:
    page = editor_page(browser, stack, editor_name("iseul"))
    original = answer_of("shipping_cost")
    keys = page.keyboard

    page.get_by_label("Search FAQs").focus()
    keys.type("shipping_cost")
    keys.press("Enter")
    expect(page.locator("#results li")).to_have_count(1)
    keys.press("Tab")  # the Search button
    keys.press("Tab")  # the first result
    assert focused(page) == "button.result: shipping_cost · How much does shipping cost?"
    keys.press("Enter")
    expect(page.locator("#faq-title")).to_be_focused()

    keys.press("Tab")
    assert focused(page) == "#answer"
    keys.press("Control+End")
    keys.type(" Prices include VAT.")
    keys.press("Tab")
    assert focused(page) == "#save-answer"
    keys.press("Enter")
    saved = page.locator("#answer-feedback .note")
    expect(saved).to_be_focused()
    expect(saved.locator("p")).to_have_text("Saved. The new answer is live.")
    assert answer_of("shipping_cost") == original + " Prices include VAT."

    keys.press("Tab")
    assert focused(page).startswith("button.: Undo (roll back #")
    keys.press("Enter")
    expect(saved.locator("p")).to_contain_text(" The form shows what is live now.")
    expect(saved).to_be_focused()
    expect(page.locator("#answer")).to_have_value(original)
    assert answer_of("shipping_cost") == original
    page.context.close()


def test_the_editor_page_has_no_axe_violations(stack: Stack, browser: Browser, restored_knowledge: Path) -> None:
    # axe-core is injected as a script; the page's CSP forbids that, so this one context bypasses it.
    page = editor_page(browser, stack, editor_name("jiho"), bypass_csp=True)
    page.get_by_label("Search FAQs").fill("shipping")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("button", name="shipping_cost · How much does shipping cost?").click()
    expect(page.locator("#faq-title")).to_be_focused()
    assert page.locator("#results li").count() > 5
    page.locator("#answer").fill(answer_of("shipping_cost") + " Edited.")
    page.get_by_role("button", name="Save answer").click()
    expect(page.locator("#answer-feedback .note p")).to_have_text("Saved. The new answer is live.")
    expect(page.locator("#changes li.change").first).to_be_visible()
    assert violations(page) == []
    page.context.close()


@pytest.fixture
def notices_left_as_found(stack: Stack) -> Iterator[None]:
    """Notices a test publishes are gone afterwards (customers of later tests would be shown them)."""
    client = redis.Redis.from_url(stack.redis_url)
    before = set(client.hkeys("notices"))
    yield
    for notice_id in set(client.hkeys("notices")) - before:
        client.hdel("notices", notice_id)
    client.connection_pool.disconnect()


@pytest.mark.usefixtures("notices_left_as_found")
def test_a_notice_changed_meanwhile_is_not_overwritten_or_withdrawn_unknowingly(stack: Stack, browser: Browser) -> None:
    first_name = editor_name("kang")
    first, second = editor_page(browser, stack, first_name), editor_page(browser, stack, editor_name("lim"))
    now = datetime.now()
    first.get_by_label("Notice to customers").fill("Jeju deliveries are late.")
    first.get_by_label("shipping", exact=True).check()
    first.get_by_label("Starts").fill((now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    first.get_by_label("Ends").fill((now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    first.get_by_role("button", name="Publish notice").click()
    expect(first.locator("#notice-feedback .note p")).to_have_text("Notice published.")
    second.reload()
    expect(second.locator("#notices li p")).to_have_text("Jeju deliveries are late.")

    first.get_by_role("button", name="Edit notice: Jeju deliveries are late.").click()
    expect(first.get_by_label("Notice to customers")).to_be_focused()
    first.get_by_label("Notice to customers").fill("Jeju deliveries are 2 days late.")
    first.get_by_role("button", name="Save notice").click()
    expect(first.locator("#notice-feedback .note p")).to_have_text("Notice saved.")

    second.get_by_role("button", name="Edit notice: Jeju deliveries are late.").click()
    second.get_by_label("Notice to customers").fill("Jeju deliveries are 3 days late.")
    second.get_by_role("button", name="Save notice").click()
    conflict = second.locator("#notice-feedback [role=alert]")
    expect(conflict).to_be_focused()
    expect(conflict.locator("p").first).to_have_text(
        f"{first_name} changed this notice since you read it; nothing was changed."
    )
    expect(conflict.locator(".sides section").first).to_contain_text("Jeju deliveries are 2 days late.")
    expect(conflict.locator(".sides section").last).to_contain_text("Jeju deliveries are 3 days late.")
    conflict.get_by_role("button", name="Save mine over it").click()
    expect(second.locator("#notice-feedback .note p")).to_have_text("Notice saved.")
    expect(second.locator("#notices li p")).to_have_text("Jeju deliveries are 3 days late.")

    first.get_by_role("button", name="Withdraw notice: Jeju deliveries are 2 days late.").click()
    withdrawal = first.locator("#notices li .feedback [role=alert]")
    expect(withdrawal.locator(".sides section").first).to_contain_text("Jeju deliveries are 3 days late.")
    expect(first.locator("#notices li")).to_have_count(1)
    withdrawal.get_by_role("button", name="Withdraw it anyway").click()
    expect(first.locator("#notice-feedback .note p")).to_have_text("Notice withdrawn.")
    expect(first.locator("#notices li")).to_have_count(0)
    first.context.close()
    second.context.close()
