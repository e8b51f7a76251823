"""The editors' inbox against the real stack: misunderstood questions arrive, and can be dismissed.

Kept apart from the browser tests: async tests can't share a module with Playwright's sync browser.
"""

from __future__ import annotations

import httpx
import pytest

from bot.channels.web_client import WebCustomer
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration
PASSWORD = "editor-inbox-password"


async def test_unanswered_questions_reach_the_inbox_and_can_be_dismissed(stack: Stack) -> None:
    stack.add_user("sora", "editor", "Sora", PASSWORD)
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    replies = await customer.say("give me a recipe for kimchi stew with sea shells")
    assert replies[-1].get("utter_action") in ("utter_did_you_mean", "utter_out_of_scope", "utter_default")
    await customer.close()
    async with httpx.AsyncClient(base_url=stack.gateway_url) as editor:
        (await editor.post("/console/login", json={"name": "sora", "password": PASSWORD})).raise_for_status()
        csrf = (await editor.get("/console/api/me")).json()["csrf"]
        inbox = (await editor.get("/editor/api/inbox")).json()
        [group] = [g for g in inbox if "sea shells" in g["text"]]
        assert group["text"] == "give me a recipe for kimchi stew with sea shells"
        assert group["count"] >= 1
        dismissed = await editor.post(
            "/editor/api/inbox/dismiss", json={"texts": [group["text"]]}, headers={"X-CSRF-Token": csrf}
        )
        assert dismissed.status_code == 200
        assert all("sea shells" not in g["text"] for g in (await editor.get("/editor/api/inbox")).json())
