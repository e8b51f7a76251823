"""Which conversation a web visit continues, given the store's signed login or its absence."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

import pytest

from bot.identity.sessions import Verifier, WebVisit, login_of, open_visit, origin_key, store_login_verifier
from bot.identity.tokens import StoreLogin, sign_customer_token, verify_customer_token
from bot.store.identities import Identity, IdentityStore

SECRET = "maru-test-secret-7f3a9c1e5b2d4f6a8c0e"
AUDIENCE = "maru-support"
# When the visits happen, as the gateway records it; the tokens themselves are checked against the real clock.
NOW = 1_800_000_000.0
VERIFY: Verifier = functools.partial(verify_customer_token, secret=SECRET, audience=AUDIENCE)


class NewConversations:
    """Hands out web-new-1, web-new-2... and counts them."""

    def __init__(self) -> None:
        self.made = 0

    def __call__(self) -> str:
        self.made += 1
        return f"web-new-{self.made}"


@pytest.fixture
def new() -> NewConversations:
    return NewConversations()


def token(customer_id: str, name: str | None = None) -> str:
    """A token the store signed just now, valid for ten minutes."""
    return sign_customer_token(customer_id, SECRET, AUDIENCE, name=name)


def tampered(valid: str) -> str:
    header, payload, signature = valid.split(".")
    changed = "A" if payload[10] != "A" else "B"
    return ".".join((header, payload[:10] + changed + payload[11:], signature))


def expired(customer_id: str) -> str:
    return sign_customer_token(customer_id, SECRET, AUDIENCE, lifetime_seconds=600, now=time.time() - 3600)


def store_login(customer_id: str, name: str | None = None, since: float = NOW) -> Identity:
    return Identity("store_login", customer_id, name, since=since)


async def test_a_first_visit_without_a_token_starts_an_anonymous_conversation(
    identities: IdentityStore, new: NewConversations
) -> None:
    visit = await open_visit(None, None, VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-new-1", returning=False, greet=False, login_rejected=None)
    assert await identities.get("web-new-1") is None


async def test_an_anonymous_conversation_continues(identities: IdentityStore, new: NewConversations) -> None:
    visit = await open_visit("web-old", None, VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-old", returning=True, greet=False, login_rejected=None)
    assert new.made == 0


async def test_a_signed_in_customer_on_a_new_visit_is_linked_and_greeted(
    identities: IdentityStore, new: NewConversations
) -> None:
    visit = await open_visit(None, token("c-8812", name="Mina Kim"), VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-new-1", returning=False, greet=True, login_rejected=None)
    assert await identities.get("web-new-1") == store_login("c-8812", "Mina Kim")
    assert await identities.conversations_of("c-8812") == ["web-new-1"]


async def test_the_same_login_on_the_same_cookie_is_not_greeted_twice(
    identities: IdentityStore, new: NewConversations
) -> None:
    login = token("c-8812", name="Mina Kim")
    first = await open_visit(None, login, VERIFY, identities, new, NOW)
    again = await open_visit(first.conversation, login, VERIFY, identities, new, NOW + 60)
    assert again == WebVisit("web-new-1", returning=True, greet=False, login_rejected=None)
    assert await identities.get("web-new-1") == store_login("c-8812", "Mina Kim")
    assert new.made == 1


async def test_signing_out_of_the_shop_starts_a_new_conversation(
    identities: IdentityStore, new: NewConversations
) -> None:
    await identities.record("web-old", store_login("c-8812", "Mina Kim"))
    visit = await open_visit("web-old", None, VERIFY, identities, new, NOW + 60)
    assert visit == WebVisit("web-new-1", returning=False, greet=False, login_rejected=None)
    assert await identities.get("web-new-1") is None
    # The signed-out customer's conversation stays theirs.
    assert await identities.get("web-old") == store_login("c-8812", "Mina Kim")
    assert await identities.conversations_of("c-8812") == ["web-old"]


async def test_another_customers_login_starts_their_own_conversation(
    identities: IdentityStore, new: NewConversations
) -> None:
    await identities.record("web-old", store_login("c-8812"))
    visit = await open_visit("web-old", token("c-4410", name="Joon Park"), VERIFY, identities, new, NOW + 60)
    assert visit == WebVisit("web-new-1", returning=False, greet=True, login_rejected=None)
    assert await identities.get("web-new-1") == store_login("c-4410", "Joon Park", since=NOW + 60)
    assert await identities.get("web-old") == store_login("c-8812")
    assert await identities.conversations_of("c-4410") == ["web-new-1"]
    assert await identities.conversations_of("c-8812") == ["web-old"]


async def test_a_code_proof_stays_with_the_device_without_a_login(
    identities: IdentityStore, new: NewConversations
) -> None:
    proof = Identity("code", "c-8812", "Mina Kim", since=NOW - 100)
    await identities.record("web-old", proof)
    visit = await open_visit("web-old", None, VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-old", returning=True, greet=False, login_rejected=None)
    assert await identities.get("web-old") == proof
    assert new.made == 0


async def test_a_code_proven_conversation_is_not_shown_to_another_customers_login(
    identities: IdentityStore, new: NewConversations
) -> None:
    await identities.record("web-old", Identity("code", "c-8812", since=NOW - 100))
    visit = await open_visit("web-old", token("c-4410"), VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-new-1", returning=False, greet=True, login_rejected=None)
    assert await identities.get("web-new-1") == store_login("c-4410")
    assert await identities.get("web-old") == Identity("code", "c-8812", since=NOW - 100)


async def test_a_login_on_an_anonymous_conversation_continues_it_and_links_it(
    identities: IdentityStore, new: NewConversations
) -> None:
    visit = await open_visit("web-old", token("c-8812", name="Mina Kim"), VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-old", returning=True, greet=True, login_rejected=None)
    assert await identities.get("web-old") == store_login("c-8812", "Mina Kim")
    assert await identities.conversations_of("c-8812") == ["web-old"]
    assert new.made == 0


async def test_a_login_replaces_an_order_proof(identities: IdentityStore, new: NewConversations) -> None:
    await identities.record("web-old", Identity("order", order_number="10421", since=NOW - 100))
    visit = await open_visit("web-old", token("c-8812"), VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-old", returning=True, greet=True, login_rejected=None)
    assert await identities.get("web-old") == store_login("c-8812")


@pytest.mark.parametrize(
    ("make_token", "verify", "reason"),
    [
        pytest.param(lambda: tampered(token("c-8812")), VERIFY, "signature", id="tampered"),
        pytest.param(lambda: expired("c-8812"), VERIFY, "expired", id="expired"),
        pytest.param(lambda: token("c-8812"), None, "not_configured", id="store login not configured"),
    ],
)
async def test_a_refused_token_leaves_the_chat_anonymous(
    identities: IdentityStore,
    new: NewConversations,
    make_token: Callable[[], str],
    verify: Verifier | None,
    reason: str,
) -> None:
    # Tokens are made when the test runs, not when it is collected, so a long suite cannot age them.
    visit = await open_visit("web-old", make_token(), verify, identities, new, NOW)
    assert visit == WebVisit("web-old", returning=True, greet=False, login_rejected=reason)
    assert await identities.get("web-old") is None
    assert await identities.conversations_of("c-8812") == []


async def test_a_refused_token_does_not_vouch_for_the_linked_customer(
    identities: IdentityStore, new: NewConversations
) -> None:
    await identities.record("web-old", store_login("c-8812"))
    visit = await open_visit("web-old", expired("c-8812"), VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-new-1", returning=False, greet=False, login_rejected="expired")
    assert await identities.get("web-new-1") is None


async def test_a_forgotten_conversation_is_not_continued(identities: IdentityStore, new: NewConversations) -> None:
    await identities.record("web-old", Identity("code", "c-8812", since=NOW - 100))
    await identities.detach("web-old")
    visit = await open_visit("web-old", None, VERIFY, identities, new, NOW)
    assert visit == WebVisit("web-new-1", returning=False, greet=False, login_rejected=None)
    signed_in = await open_visit("web-old", token("c-8812"), VERIFY, identities, new, NOW)
    assert signed_in == WebVisit("web-new-2", returning=False, greet=True, login_rejected=None)
    assert await identities.get("web-old") is None
    assert await identities.conversations_of("c-8812") == ["web-new-2"]


@pytest.mark.parametrize("page_token", [None, ""])
@pytest.mark.parametrize("verify", [VERIFY, None], ids=["configured", "not configured"])
def test_no_token_is_neither_a_login_nor_a_refusal(page_token: str | None, verify: Verifier | None) -> None:
    assert login_of(page_token, verify) == (None, None)


def test_a_valid_token_gives_the_login() -> None:
    issued = int(time.time())
    page_token = sign_customer_token("c-8812", SECRET, AUDIENCE, name="Mina Kim", now=issued)
    assert login_of(page_token, VERIFY) == (StoreLogin("c-8812", "Mina Kim", float(issued + 600)), None)


def test_origin_key_is_a_keyed_hash_of_the_address() -> None:
    key = origin_key(SECRET, "203.0.113.7")
    assert key == origin_key(SECRET, "203.0.113.7")
    assert key != origin_key(SECRET, "203.0.113.8")
    assert key != origin_key(SECRET + "-rotated", "203.0.113.7")
    assert key.startswith("ip:")
    assert len(key) == len("ip:") + 24
    assert "203.0.113.7" not in key


def test_the_shops_login_is_checked_only_where_it_is_set_up() -> None:
    assert store_login_verifier(None, AUDIENCE) is None
    verify = store_login_verifier(SECRET, AUDIENCE)
    assert verify is not None
    assert verify(sign_customer_token("C1001", SECRET, AUDIENCE)).customer_id == "C1001"
