"""Attacks that must fail against the running stack: back doors, foreign sites, guessing and flooding.

The address-based limits run on a gateway of their own, behind a "proxy" (127.0.0.1 is
trusted), so each test customer can come from an address of its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.client import connect
from websockets.exceptions import InvalidStatusCode
from websockets.typing import Origin, Subprotocol

from bot.channels.web_client import WebCustomer
from bot.security.headers import SECURITY_HEADERS
from bot.texts import Texts
from tests.integration.stack import RASA_TOKEN, ROOT, Stack, free_port, rasa_headers

pytestmark = pytest.mark.integration
TEXTS = Texts.load(ROOT / "domain.yml")
PASSWORD = "security-test-password"
LOCKOUT_SECONDS = 3
LIMITS = {
    "NEW_SESSIONS_PER_MINUTE": "3",
    "RATE_LIMIT_MESSAGES": "3",
    "LOGIN_FAILURES_PER_ACCOUNT": "3",
    "LOGIN_LOCKOUT_SECONDS": str(LOCKOUT_SECONDS),
    "TRUSTED_PROXIES": "127.0.0.1/32",
    "TELEGRAM_TOKEN": "",
}


@pytest.fixture(scope="module")
def strict(stack: Stack) -> Iterator[str]:
    """A gateway with small limits, believing X-Forwarded-For from loopback."""
    port = free_port()
    stack.start_gateway(name="gateway_strict", GATEWAY_PORT=str(port), **LIMITS)
    yield f"http://127.0.0.1:{port}"
    stack.stop("gateway_strict")


def test_rasas_open_rest_channel_is_absent(stack: Stack) -> None:
    response = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json={"sender": "x", "message": "hi"}, timeout=10)
    assert response.status_code == 404


def test_rasas_gateway_channel_needs_its_token(stack: Stack) -> None:
    url = f"{stack.rasa_url}/webhooks/gateway/webhook"
    assert httpx.post(url, json={"sender": "x", "message": "hi"}, timeout=10).status_code == 401
    forged = {"Authorization": "Bearer not-the-token"}
    assert httpx.post(url, json={"sender": "x", "message": "hi"}, headers=forged, timeout=10).status_code == 401


def test_rasas_api_takes_a_signed_header_and_no_token_in_the_url(stack: Stack) -> None:
    url = f"{stack.rasa_url}/conversations/it-security/tracker"
    assert httpx.get(url, params={"token": RASA_TOKEN}, timeout=10).status_code == 401
    assert httpx.get(url, headers=rasa_headers(), timeout=10).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/", "/widget.js", "/widget.css", "/health", "/console/login", "/console", "/editor", "/dashboard", "/nowhere"],
)
def test_every_page_sends_the_security_headers(stack: Stack, path: str) -> None:
    response = httpx.get(stack.gateway_url + path, timeout=10)
    assert {name: response.headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert "script-src 'self';" in response.headers["content-security-policy"]


async def test_a_socket_opened_from_a_foreign_site_is_refused(stack: Stack) -> None:
    customer = WebCustomer(stack.gateway_url)
    await customer.connect()
    await customer.close()
    url = stack.gateway_url.replace("http", "ws", 1) + "/web/socket"
    protocols = [Subprotocol("maru.v1"), Subprotocol(f"maru.token.{customer.session_token}")]
    with pytest.raises(InvalidStatusCode) as refused:
        await connect(url, origin=Origin("https://evil.example"), subprotocols=protocols)
    assert refused.value.status_code == 403
    async with connect(url, origin=Origin(stack.gateway_url), subprotocols=protocols) as socket_:
        assert '"type": "history"' in await socket_.recv()


def test_the_session_route_answers_cors_for_no_foreign_site(stack: Stack) -> None:
    response = httpx.options(
        stack.gateway_url + "/web/session",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


def login(gateway: str, name: str, password: str) -> httpx.Response:
    return httpx.post(f"{gateway}/console/login", json={"name": name, "password": password}, timeout=10)


def test_wrong_passwords_lock_the_account_until_the_lockout_ends(stack: Stack, strict: str) -> None:
    stack.add_user("yuna", "agent", "Yuna", PASSWORD)
    assert [login(strict, "yuna", "guess").status_code for _ in range(3)] == [401, 401, 401]
    locked = login(strict, "yuna", PASSWORD)
    assert locked.status_code == 429
    assert locked.json()["error"].startswith("Too many wrong passwords.")
    time.sleep(LOCKOUT_SECONDS + 1)
    assert login(strict, "yuna", PASSWORD).status_code == 200


def test_an_admin_lifts_a_lockout(stack: Stack, strict: str) -> None:
    import subprocess
    import sys

    stack.add_user("taeo", "agent", "Taeo", PASSWORD)
    for _ in range(3):
        login(strict, "taeo", "guess")
    assert login(strict, "taeo", PASSWORD).status_code == 429
    lifted = subprocess.run(
        [sys.executable, "-m", "bot.admin", "unlock", "taeo"], cwd=ROOT, env=stack.env(), capture_output=True, text=True
    )
    assert lifted.stdout.strip() == "unlocked taeo"
    assert login(strict, "taeo", PASSWORD).status_code == 200


def new_session(gateway: str, address: str, language: str = "en-US") -> httpx.Response:
    return httpx.post(
        f"{gateway}/web/session", json={"language": language}, headers={"X-Forwarded-For": address}, timeout=10
    )


def test_new_chats_per_address_are_limited_with_a_friendly_text(strict: str) -> None:
    opened = [new_session(strict, "203.0.113.7") for _ in range(3)]
    assert [response.status_code for response in opened] == [200, 200, 200]
    refused = new_session(strict, "203.0.113.7", "ko-KR")
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "60")
    assert refused.json()["notice"] == TEXTS.get("utter_too_many_sessions", "ko")
    assert refused.json()["labels"]["open"] == TEXTS.get("utter_widget_open", "ko")
    # Someone else, and a chat already open on the limited address, are still served.
    assert new_session(strict, "198.51.100.23").status_code == 200
    token = opened[0].json()["session_token"]
    resumed = httpx.post(
        f"{strict}/web/session",
        json={"session_token": token, "resume": True},
        headers={"X-Forwarded-For": "203.0.113.7"},
        timeout=10,
    )
    assert resumed.status_code == 200


async def test_a_customer_sending_too_fast_is_told_and_others_are_served(strict: str) -> None:
    # Addresses of their own: every gateway counts new chats in the same Redis, 127.0.0.1's included.
    flooding = WebCustomer(strict, headers={"X-Forwarded-For": "192.0.2.10"})
    calm = WebCustomer(strict, headers={"X-Forwarded-For": "192.0.2.11"})
    await flooding.connect()
    await calm.connect()
    for text in ("hi", "hello", "hey there"):
        await flooding.say(text)
    assert [m["text"] for m in await flooding.say("anyone?")] == [TEXTS.get("utter_rate_limited")]
    answer = await calm.say("how much is shipping?")
    assert answer[-1]["faq_id"] == "shipping_cost"
    await flooding.close()
    await calm.close()
