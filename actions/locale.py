"""Writes dates, amounts and payment methods the way each language does (data/locale.yml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from actions.store import Order

LOCALE_FILE = Path(__file__).resolve().parent.parent / "data" / "locale.yml"


@dataclass(frozen=True)
class Locale:
    """Formatting rules of one language."""

    date_format: str
    money_format: str
    payment_methods: dict[str, str]
    item_separator: str

    def day(self, value: date | None) -> str:
        """A date as customers read it, e.g. 'Tue 24 Nov'."""
        return value.strftime(self.date_format) if value else ""

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
    locales = yaml.safe_load(LOCALE_FILE.read_text(encoding="utf-8"))
    return Locale(**locales.get(language, locales["en"]))
