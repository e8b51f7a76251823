"""The demo store backend: customers and orders in SQLite, built from seed data.

Everything the assistant knows about orders goes through ``StoreBackend``, so a
real shop backend can replace ``SqliteStore`` without touching the actions.
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml

DEFAULT_SEED = Path(__file__).resolve().parent.parent / "data" / "store" / "seed.yml"

# Raised when the schema changes, so ``ensure`` rebuilds a database made by an older version.
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE customers (id TEXT UNIQUE NOT NULL, email TEXT PRIMARY KEY, name TEXT NOT NULL, phone TEXT);
CREATE TABLE orders (
    number TEXT PRIMARY KEY, email TEXT NOT NULL REFERENCES customers(email),
    status TEXT NOT NULL, placed_on TEXT NOT NULL, dispatched_on TEXT, delivered_on TEXT,
    shipping TEXT NOT NULL, region TEXT NOT NULL, payment TEXT NOT NULL,
    address TEXT NOT NULL, tracking TEXT);
CREATE TABLE items (
    order_number TEXT NOT NULL REFERENCES orders(number), name TEXT NOT NULL,
    price INTEGER NOT NULL, category TEXT NOT NULL, returnable INTEGER NOT NULL);
CREATE TABLE returns (
    id TEXT PRIMARY KEY, order_number TEXT NOT NULL REFERENCES orders(number),
    reason TEXT NOT NULL, created_on TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Item:
    """One line of an order."""

    name: str
    price: int
    category: str
    returnable: bool = True


@dataclass(frozen=True)
class Order:
    """An order as the customer service sees it."""

    number: str
    email: str
    status: str
    placed_on: date
    dispatched_on: date | None
    delivered_on: date | None
    shipping: str
    region: str
    payment: str
    address: str
    tracking: str | None
    items: tuple[Item, ...]

    @property
    def total(self) -> int:
        """The amount paid for the items, in won."""
        return sum(item.price for item in self.items)


@dataclass(frozen=True)
class Customer:
    """A customer account; ``id`` is the store's own, the one its login signs."""

    id: str
    email: str
    name: str
    phone: str | None = None


class StoreBackend(Protocol):
    """What the assistant needs from a shop backend."""

    def order(self, number: str) -> Order | None:
        """Returns the order with this number, if any."""

    def customer(self, email: str) -> Customer | None:
        """Returns the customer with this email, if any."""

    def customer_by_id(self, customer_id: str) -> Customer | None:
        """Returns the customer with this store id, if any."""

    def recent_orders(self, email: str, limit: int = 3) -> list[Order]:
        """Returns the customer's newest orders first."""

    def cancel(self, number: str) -> None:
        """Marks the order cancelled."""

    def change_address(self, number: str, address: str) -> None:
        """Sets a new delivery address."""

    def create_return(self, number: str, reason: str, today: date) -> str:
        """Books a return and returns its reference."""


class SqliteStore:
    """StoreBackend on a SQLite file."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise FileNotFoundError(f"store database {path} does not exist; run 'make setup'")
        self._path = path

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path)
        connection.row_factory = sqlite3.Row
        return connection

    def order(self, number: str) -> Order | None:
        """Returns the order with this number, if any."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM orders WHERE number = ?", (number,)).fetchone()
            return _order_from_row(db, row) if row else None

    def customer(self, email: str) -> Customer | None:
        """Returns the customer with this email (case-insensitive), if any."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM customers WHERE lower(email) = lower(?)", (email,)).fetchone()
            return _customer_from_row(row) if row else None

    def customer_by_id(self, customer_id: str) -> Customer | None:
        """Returns the customer with this store id, if any."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM customers WHERE id = ?", (customer_id,)).fetchone()
            return _customer_from_row(row) if row else None

    def recent_orders(self, email: str, limit: int = 3) -> list[Order]:
        """Returns the customer's newest orders first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT * FROM orders WHERE lower(email) = lower(?) ORDER BY placed_on DESC, number DESC LIMIT ?",
                (email, limit),
            ).fetchall()
            return [_order_from_row(db, row) for row in rows]

    def cancel(self, number: str) -> None:
        """Marks the order cancelled."""
        with self._connect() as db:
            db.execute("UPDATE orders SET status = 'cancelled' WHERE number = ?", (number,))

    def change_address(self, number: str, address: str) -> None:
        """Sets a new delivery address."""
        with self._connect() as db:
            db.execute("UPDATE orders SET address = ? WHERE number = ?", (address, number))

    def create_return(self, number: str, reason: str, today: date) -> str:
        """Books a return and returns its reference, like ``R-10433-7F2A``."""
        reference = f"R-{number}-{secrets.token_hex(2).upper()}"
        with self._connect() as db:
            db.execute(
                "INSERT INTO returns VALUES (?, ?, ?, ?)",
                (reference, number, reason, today.isoformat()),
            )
        return reference


def _customer_from_row(row: sqlite3.Row) -> Customer:
    return Customer(row["id"], row["email"], row["name"], row["phone"])


def _order_from_row(db: sqlite3.Connection, row: sqlite3.Row) -> Order:
    items = db.execute(
        "SELECT name, price, category, returnable FROM items WHERE order_number = ?",
        (row["number"],),
    ).fetchall()
    return Order(
        number=row["number"],
        email=row["email"],
        status=row["status"],
        placed_on=date.fromisoformat(row["placed_on"]),
        dispatched_on=_optional_date(row["dispatched_on"]),
        delivered_on=_optional_date(row["delivered_on"]),
        shipping=row["shipping"],
        region=row["region"],
        payment=row["payment"],
        address=row["address"],
        tracking=row["tracking"],
        items=tuple(Item(i["name"], i["price"], i["category"], bool(i["returnable"])) for i in items),
    )


def _optional_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def build_database(path: Path, today: date, seed_path: Path = DEFAULT_SEED) -> SqliteStore:
    """Creates the database at ``path`` from the seed file, dated relative to ``today``."""
    seed = yaml.safe_load(seed_path.read_text(encoding="utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    with sqlite3.connect(temporary) as db:
        db.executescript(SCHEMA)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        for customer in seed["customers"]:
            db.execute(
                "INSERT INTO customers VALUES (?, ?, ?, ?)",
                (customer["id"], customer["email"], customer["name"], customer.get("phone")),
            )
        for order in seed["orders"]:
            _insert_order(db, order, today)
    db.close()
    temporary.replace(path)
    return SqliteStore(path)


def _insert_order(db: sqlite3.Connection, order: dict[str, Any], today: date) -> None:
    def days_ago(key: str) -> str | None:
        return (today - timedelta(days=order[key])).isoformat() if key in order else None

    db.execute(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            order["number"],
            order["email"],
            order["status"],
            days_ago("placed_days_ago"),
            days_ago("dispatched_days_ago"),
            days_ago("delivered_days_ago"),
            order["shipping"],
            order["region"],
            order["payment"],
            order["address"],
            order.get("tracking"),
        ),
    )
    for item in order["items"]:
        db.execute(
            "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
            (order["number"], item["name"], item["price"], item["category"], item.get("returnable", True)),
        )


def is_current(path: Path) -> bool:
    """Whether a database exists at ``path`` with the current schema."""
    if not path.exists():
        return False
    with sqlite3.connect(path) as db:
        version = db.execute("PRAGMA user_version").fetchone()[0]
    db.close()
    return bool(version == SCHEMA_VERSION)


def main() -> None:
    """Command line: ``python -m actions.store seed|ensure PATH``."""
    parser = argparse.ArgumentParser(description="Demo store database")
    commands = parser.add_subparsers(dest="command", required=True)
    seed = commands.add_parser("seed", help="(re)build the database from data/store/seed.yml")
    seed.add_argument("path", type=Path)
    ensure = commands.add_parser("ensure", help="build the database unless it exists with the current schema")
    ensure.add_argument("path", type=Path)
    arguments = parser.parse_args()
    if arguments.command == "ensure" and is_current(arguments.path):
        return
    build_database(arguments.path, date.today())
    print(f"demo store database written to {arguments.path}")


if __name__ == "__main__":
    main()
