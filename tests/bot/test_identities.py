"""Conversations' identities in Redis: proofs, the customer index, limits' subject and forgetting a device."""

from __future__ import annotations

from typing import Any

import fakeredis
import pytest

from bot.store.identities import DETACHED_SECONDS, Identity, IdentityStore

NOW = 1_800_000_000.0


def code(customer_id: str, name: str | None = None, since: float = NOW) -> Identity:
    return Identity("code", customer_id, name, since=since)


def order(number: str, since: float = NOW) -> Identity:
    return Identity("order", order_number=number, since=since)


def test_a_code_proof_names_the_customer() -> None:
    identity = Identity.from_signal({"proof": "code", "customer_id": "c-8812", "name": "Mina Kim"}, NOW)
    assert identity == Identity("code", "c-8812", "Mina Kim", None, NOW)
    assert identity.names_customer
    assert identity.for_rasa() == {"proof": "code", "customer_id": "c-8812"}


def test_an_order_proof_keeps_the_order_and_drops_any_customer_id() -> None:
    signal = {"proof": "order", "customer_id": "c-8812", "order_number": 10421, "name": "Mina Kim"}
    identity = Identity.from_signal(signal, NOW)
    assert identity == Identity("order", None, "Mina Kim", "10421", NOW)
    assert not identity.names_customer
    assert identity.for_rasa() == {"proof": "order", "customer_id": None}


@pytest.mark.parametrize(
    "signal",
    [
        pytest.param({"proof": "password", "customer_id": "c-8812"}, id="unknown proof"),
        pytest.param({"proof": "code"}, id="code without customer id"),
        pytest.param({"proof": "code", "customer_id": None}, id="code with a null customer id"),
        pytest.param({"proof": "store_login", "customer_id": 8812}, id="customer id that is not text"),
        pytest.param({"proof": "code", "customer_id": {"id": "c-8812"}}, id="customer id that is a mapping"),
        pytest.param({"proof": ["code"], "customer_id": "c-8812"}, id="proof that is a list"),
        pytest.param({"proof": {"kind": "code"}, "customer_id": "c-8812"}, id="proof that is a mapping"),
        pytest.param({}, id="empty"),
    ],
)
def test_a_malformed_signal_gives_no_identity(signal: dict[str, Any]) -> None:
    assert Identity.from_signal(signal, NOW) is None


def test_long_text_is_cut_and_junk_text_dropped() -> None:
    signal = {"proof": "order", "order_number": "9" * 200, "name": "M" * 129}
    assert Identity.from_signal(signal, NOW) == Identity("order", None, "M" * 128, "9" * 128, NOW)
    junk = {"proof": "code", "customer_id": "c-8812", "name": {"first": "Mina"}, "order_number": ""}
    assert Identity.from_signal(junk, NOW) == Identity("code", "c-8812", None, None, NOW)


async def test_a_recorded_identity_reads_back(identities: IdentityStore) -> None:
    assert await identities.get("web-1") is None
    await identities.record("web-1", code("c-8812", "Mina Kim"))
    await identities.record("web-2", order("10421", since=NOW + 1.5))
    assert await identities.get("web-1") == Identity("code", "c-8812", "Mina Kim", None, NOW)
    assert await identities.get("web-2") == Identity("order", None, None, "10421", NOW + 1.5)


async def test_a_customer_proof_indexes_the_conversation_under_the_customer(identities: IdentityStore) -> None:
    await identities.record("web-1", code("c-8812"))
    await identities.record("telegram-7", Identity("store_login", "c-8812", since=NOW))
    await identities.record("web-2", order("10421"))
    assert await identities.conversations_of("c-8812") == ["telegram-7", "web-1"]
    assert await identities.conversations_of("c-0000") == []


async def test_relinking_a_conversation_moves_it_to_the_other_customer(identities: IdentityStore) -> None:
    await identities.record("web-1", code("c-8812"))
    await identities.record("web-2", code("c-8812"))
    await identities.record("web-1", code("c-4410", since=NOW + 10))
    assert await identities.conversations_of("c-8812") == ["web-2"]
    assert await identities.conversations_of("c-4410") == ["web-1"]
    assert await identities.get("web-1") == code("c-4410", since=NOW + 10)


async def test_an_order_proof_never_replaces_a_proof_of_the_whole_customer(identities: IdentityStore) -> None:
    await identities.record("web-1", code("c-8812", "Mina Kim"))
    await identities.record("web-1", order("10421", since=NOW + 10))
    assert await identities.get("web-1") == code("c-8812", "Mina Kim")
    assert await identities.conversations_of("c-8812") == ["web-1"]


async def test_a_customer_proof_replaces_an_order_proof(identities: IdentityStore) -> None:
    await identities.record("web-1", order("10421"))
    await identities.record("web-1", code("c-8812", since=NOW + 10))
    # No field of the order proof survives the replacement.
    assert await identities.get("web-1") == Identity("code", "c-8812", None, None, NOW + 10)
    assert await identities.conversations_of("c-8812") == ["web-1"]


async def test_unlink_forgets_one_conversation_and_keeps_the_customers_others(identities: IdentityStore) -> None:
    await identities.record("web-1", code("c-8812"))
    await identities.record("telegram-7", code("c-8812"))
    await identities.unlink("web-1")
    assert await identities.get("web-1") is None
    assert await identities.get("telegram-7") == code("c-8812")
    assert await identities.conversations_of("c-8812") == ["telegram-7"]
    # Unlinking a conversation that proved nothing is harmless.
    await identities.unlink("web-unknown")
    assert await identities.conversations_of("c-8812") == ["telegram-7"]


async def test_limits_count_a_proven_customer_and_otherwise_the_conversation(identities: IdentityStore) -> None:
    await identities.record("web-1", code("c-8812"))
    await identities.record("web-2", order("10421"))
    assert await identities.subject("web-1") == "customer:c-8812"
    assert await identities.subject("web-2") == "web-2"
    assert await identities.subject("web-3") == "web-3"


async def test_detach_unlinks_and_marks_the_conversation_forgotten(
    identities: IdentityStore, redis: fakeredis.FakeAsyncRedis
) -> None:
    await identities.record("web-1", code("c-8812"))
    await identities.record("web-2", code("c-8812"))
    assert not await identities.detached("web-1")
    await identities.detach("web-1")
    assert await identities.detached("web-1")
    assert not await identities.detached("web-2")
    assert await identities.get("web-1") is None
    assert await identities.get("web-2") == code("c-8812")
    assert await identities.conversations_of("c-8812") == ["web-2"]
    assert DETACHED_SECONDS - 5 < await redis.ttl("identity:detached:web-1") <= DETACHED_SECONDS
