"""Checks that the customer may see an order: a real order number and its email."""

from __future__ import annotations

import re
from typing import Any

from actions.locale import Locale
from actions.replies import Outcome, Reply
from actions.store import Order, StoreBackend

ORDER_NUMBER = re.compile(r"(?<!\d)(1\d{4})(?!\d)")
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
ECHO_LIMIT = 40
FAILURES_BEFORE_OFFERING_A_PERSON = 2


def parse_order_number(raw: Any) -> str | None:
    """Finds a five-digit order number in what the customer typed ('#10421', 'order 10421')."""
    match = ORDER_NUMBER.search(str(raw or ""))
    return match.group(1) if match else None


def check_order_number(raw: Any, known_email: str | None, failures: float, store: StoreBackend) -> Outcome:
    """Accepts an existing order number; a known email that doesn't own it is asked again."""
    number = parse_order_number(raw)
    if number is None:
        reply = Reply("utter_order_number_invalid", {"value": str(raw)[:ECHO_LIMIT]})
        return Outcome((reply,), {"order_number": None})
    order = store.order(number)
    if order is None:
        failures += 1
        replies = [Reply("utter_order_not_found", {"order_number": number})]
        if failures >= FAILURES_BEFORE_OFFERING_A_PERSON:
            replies.append(Reply("utter_order_not_found_again"))
        return Outcome(tuple(replies), {"order_number": None, "order_lookup_failures": failures})
    slots: dict[str, Any] = {"order_number": number}
    if known_email and known_email.lower() != order.email.lower():
        slots["email"] = None
    return Outcome((), slots)


def check_email(raw: Any, order_number: str | None, store: StoreBackend) -> Outcome:
    """Accepts the email the order was placed with."""
    email = str(raw or "").strip().strip("<>").lower()
    if not EMAIL.match(email):
        return Outcome((Reply("utter_email_invalid", {"value": str(raw)[:ECHO_LIMIT]}),), {"email": None})
    order = store.order(order_number) if order_number else None
    if order is not None and order.email.lower() != email:
        return Outcome((Reply("utter_email_mismatch", {"order_number": order_number}),), {"email": None})
    return Outcome((), {"email": email})


def ask_order_number(email: str | None, store: StoreBackend, locale: Locale) -> Reply:
    """Asks for the order number, offering a known customer's recent orders as buttons."""
    orders = store.recent_orders(email) if email else []
    if not orders:
        return Reply("utter_ask_order_number")
    buttons = tuple(
        {
            "title": f"#{order.number} · {locale.items(order)}",
            "payload": f'/inform{{"order_number": "{order.number}"}}',
        }
        for order in orders
    )
    return Reply("utter_ask_order_number_known", buttons=buttons)


def verified_order(order_number: str | None, email: str | None, store: StoreBackend) -> Order | None:
    """The order if both its number and its email were given and match."""
    order = store.order(order_number) if order_number else None
    if order is None or not email or order.email.lower() != email.lower():
        return None
    return order
