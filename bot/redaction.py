"""Removes card numbers, emails and phone numbers from text before it is stored."""

from __future__ import annotations

import re

import phonenumbers

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 13 to 19 digits, optionally grouped by spaces or dashes, checked with Luhn below.
CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONE_REGION = "KR"


def redact(text: str) -> str:
    """The text with sensitive data replaced by [card], [email] and [phone]."""
    text = CARD_CANDIDATE.sub(_card_or_original, text)
    text = EMAIL.sub("[email]", text)
    return _redact_phones(text)


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


def _redact_phones(text: str) -> str:
    matches = list(phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=phonenumbers.Leniency.VALID))
    for match in reversed(matches):
        text = text[: match.start] + "[phone]" + text[match.end :]
    return text
