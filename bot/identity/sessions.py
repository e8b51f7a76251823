"""Which conversation a web visit continues, given the store's signed login (or its absence).

The chat trusts only what is signed. A page that vouches for a customer links
the conversation to them, and they are greeted by name; a page that vouches
for someone else, or no longer vouches at all (the customer signed out of the
shop), gets a new conversation, so nobody sees another customer's chat.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from bot.identity.tokens import StoreLogin, TokenRejected, verify_customer_token
from bot.store.identities import STORE_LOGIN, Identity, IdentityStore

# What the gateway sends the assistant when a signed-in customer opens the chat.
GREETING = "/greet_customer"
GREETING_INTENT = GREETING.lstrip("/")
Verifier = Callable[[str], StoreLogin]


@dataclass(frozen=True)
class WebVisit:
    """The outcome of opening the widget: the conversation, and what the page's login did."""

    conversation: str
    returning: bool
    greet: bool = False
    login_rejected: str | None = None


def store_login_verifier(secret: str | None, audience: str) -> Verifier | None:
    """Checks the shop's tokens with its shared secret; None where the shop's login is not set up."""
    if secret is None:
        return None
    return functools.partial(verify_customer_token, secret=secret, audience=audience)


def login_of(token: str | None, verify: Verifier | None) -> tuple[StoreLogin | None, str | None]:
    """The verified login, or why the page's token was refused (None, None without a token)."""
    if not token:
        return None, None
    if verify is None:
        return None, "not_configured"
    try:
        return verify(token), None
    except TokenRejected as rejected:
        return None, rejected.reason


async def open_visit(
    cookie_conversation: str | None,
    token: str | None,
    verify: Verifier | None,
    identities: IdentityStore,
    new_conversation: Callable[[], str],
    now: float,
) -> WebVisit:
    """Chooses the conversation for this visit and links the store's login to it."""
    login, rejected = login_of(token, verify)
    conversation = await _continuable(cookie_conversation, login, identities)
    returning = conversation is not None
    conversation = conversation or new_conversation()
    greet = False
    if login is not None:
        current = await identities.get(conversation)
        # A conversation already proven as this customer (by the login or a code) is not greeted again.
        if current is None or current.customer_id != login.customer_id:
            await identities.record(conversation, Identity(STORE_LOGIN, login.customer_id, login.name, since=now))
            greet = True
    return WebVisit(conversation, returning, greet, rejected)


async def _continuable(conversation: str | None, login: StoreLogin | None, identities: IdentityStore) -> str | None:
    if conversation is None or await identities.detached(conversation):
        return None
    current = await identities.get(conversation)
    if current is None or not current.names_customer:
        return conversation
    if current.proof == STORE_LOGIN and login is None:
        # The shop no longer vouches for this customer: whoever is here now starts afresh.
        return None
    if login is not None and login.customer_id != current.customer_id:
        return None
    return conversation


def origin_key(secret: str, address: str) -> str:
    """A keyed hash of the customer's IP address: attempts are counted per origin without storing it."""
    return "ip:" + hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:24]
