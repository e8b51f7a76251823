"""Writes dates, amounts and payment methods the way each language does (data/locale.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from actions.store import Order
from support.locale import locale_settings, write_date


@dataclass(frozen=True)
class Locale:
    """Formatting rules of one language."""

    date_format: str
    money_format: str
    payment_methods: dict[str, str]
    item_separator: str
    # The weekdays' names (Monday first) where the system's English ones won't do.
    weekdays: tuple[str, ...] = ()

    def day(self, value: date | None) -> str:
        """A date as customers read it, e.g. 'Tue 24 Nov' or '11월 24일 (화)'."""
        return write_date(value, self.date_format, self.weekdays) if value else ""

    def money(self, amount: int) -> str:
        """An amount in won, e.g. '₩89,000'."""
        return self.money_format.format(amount=amount)

    def payment(self, method: str) -> str:
        """The name of a payment method."""
        return self.payment_methods.get(method, method)

    def items(self, order: Order) -> str:
        """The item names of an order in one line."""
        return self.item_separator.join(item.name for item in order.items)


@lru_cache(maxsize=4)
def locale_for(language: str) -> Locale:
    """The locale of a language, falling back to English."""
    entry = locale_settings(language)
    entry["weekdays"] = tuple(entry.get("weekdays") or ())
    return Locale(**entry)
