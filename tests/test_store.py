from datetime import date
from pathlib import Path

import pytest

from actions.store import SqliteStore
from tests.conftest import TODAY


def test_orders_are_dated_relative_to_the_build_day(store: SqliteStore) -> None:
    order = store.order("10433")
    assert order is not None
    assert order.placed_on == date(2026, 11, 6)
    assert order.dispatched_on == date(2026, 11, 7)
    assert order.delivered_on == date(2026, 11, 9)
    assert [item.name for item in order.items] == ["Electric kettle 1.7 L", "Linen tea towels (set of 3)"]
    assert order.total == 54000


def test_unknown_order_is_none(store: SqliteStore) -> None:
    assert store.order("99999") is None


def test_customer_lookup_ignores_case(store: SqliteStore) -> None:
    customer = store.customer("Mina.Kim@Example.com")
    assert customer is not None
    assert customer.name == "Mina Kim"


def test_recent_orders_are_newest_first(store: SqliteStore) -> None:
    assert [order.number for order in store.recent_orders("mina.kim@example.com")] == ["10421", "10433"]


def test_cancel_and_change_address_persist(store: SqliteStore) -> None:
    store.cancel("10488")
    store.change_address("10563", "5 Dongseong-ro, Jung-gu, Daegu")
    assert store.order("10488").status == "cancelled"  # type: ignore[union-attr]
    assert store.order("10563").address == "5 Dongseong-ro, Jung-gu, Daegu"  # type: ignore[union-attr]


def test_return_reference_names_the_order(store: SqliteStore) -> None:
    reference = store.create_return("10433", "damaged", TODAY)
    assert reference.startswith("R-10433-")
    assert len(reference) == len("R-10433-7F2A")


def test_missing_database_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make setup"):
        SqliteStore(tmp_path / "absent.sqlite3")
