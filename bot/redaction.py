"""Removes card numbers, emails and phone numbers from text before it is stored.

The store's own public phone numbers and emails, and the made-up examples the bot's
prompts show, stay: they are listed in ``data/support/public_contacts.yml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
import yaml

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 13 to 19 digits, optionally grouped by spaces or dashes, checked with Luhn below.
CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONE_REGION = "KR"
PUBLIC_CONTACTS_FILE = Path(__file__).resolve().parent.parent / "data" / "support" / "public_contacts.yml"
ALLOWED_BLOCKS = ("public_contacts", "format_examples")


@dataclass(frozen=True)
class AllowList:
    """Phone numbers (E.164) and emails (lower case) that are never redacted."""

    phones: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path = PUBLIC_CONTACTS_FILE) -> AllowList:
        """Reads the ``phones`` and ``emails`` of the file's ``public_contacts`` and ``format_examples``.

        Raises:
            ValueError: an entry is not a valid phone number or email, so it would never match.
        """
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        blocks = [raw.get(name) or {} for name in ALLOWED_BLOCKS]
        phones = [str(phone) for block in blocks for phone in block.get("phones") or []]
        emails = [str(email).strip() for block in blocks for email in block.get("emails") or []]
        if bad := [email for email in emails if not EMAIL.fullmatch(email)]:
            raise ValueError(f"{path}: not an email address: {bad}")
        return cls(frozenset(_e164(phone, path) for phone in phones), frozenset(e.casefold() for e in emails))


@lru_cache(maxsize=1)
def allowed() -> AllowList:
    """The allow-list of ``data/support/public_contacts.yml``, read once."""
    return AllowList.load()


def redact(text: str, allow: AllowList | None = None) -> str:
    """The text with sensitive data replaced by [card], [email] and [phone].

    Phone numbers and emails on the allow-list (by default ``allowed()``) stay as written.
    """
    allow = allowed() if allow is None else allow
    text = CARD_CANDIDATE.sub(_card_or_original, text)
    text = EMAIL.sub(lambda match: match.group() if match.group().casefold() in allow.emails else "[email]", text)
    return _redact_phones(text, allow)


def _card_or_original(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return "[card]" if _luhn_valid(digits) else match.group()


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _redact_phones(text: str, allow: AllowList) -> str:
    matches = list(phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID))
    for match in reversed(matches):
        if phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164) not in allow.phones:
            text = text[: match.start] + "[phone]" + text[match.end :]
    return text


def _e164(phone: str, path: Path) -> str:
    try:
        number = phonenumbers.parse(phone, PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise ValueError(f"{path}: not a phone number: {phone!r}") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{path}: not a valid phone number: {phone!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
