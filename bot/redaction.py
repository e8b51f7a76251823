"""Removes personal numbers and contact details from text before it is stored.

Card numbers (Luhn), emails and phone numbers (``phonenumbers``, Korean by default), and
Korean identifiers: resident registration numbers (주민등록번호: a valid birth date, then
the digit for century and sex; without the hyphen its check digit too), business
registration numbers (사업자등록번호, 000-00-00000 with its check digit) and bank account
numbers written after a bank's name (``data/support/sensitive.yml``).

The store's own public phone numbers and emails, and the made-up examples the bot's
prompts show, stay: they are listed in ``data/support/public_contacts.yml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import phonenumbers
import yaml

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# 13 to 19 digits, optionally grouped by spaces or dashes, checked with Luhn below.
CARD_CANDIDATE = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
PHONE_REGION = "KR"
# YYMMDD, then the century-and-sex digit (1-8) and six digits; the hyphen is optional.
RRN_CANDIDATE = re.compile(r"(?<!\d)(\d{6})\s?(-?)\s?([1-8]\d{6})(?!\d)")
RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
BUSINESS_NUMBER_CANDIDATE = re.compile(r"(?<!\d)\d{3}[- ]\d{2}[- ]\d{5}(?!\d)")
BUSINESS_NUMBER_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)
SUPPORT_DIR = Path(__file__).resolve().parent.parent / "data" / "support"
PUBLIC_CONTACTS_FILE = SUPPORT_DIR / "public_contacts.yml"
SENSITIVE_FILE = SUPPORT_DIR / "sensitive.yml"
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


@dataclass(frozen=True)
class BankAccounts:
    """Account numbers written after a bank's name, with an account word next to them."""

    candidate: re.Pattern[str]
    account_words: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> BankAccounts:
        """Reads the bank names and account words of ``data/support/sensitive.yml``."""
        raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        names = sorted((re.escape(str(name)) for name in raw.get("bank_names") or []), key=len, reverse=True)
        prefix = rf"(?P<bank>(?:{'|'.join(names)})[^\d\n]{{0,16}}?)"
        candidate = re.compile(prefix + r"(?P<number>(?<!\d)\d(?:[ -]?\d){9,15})(?!\d)", re.IGNORECASE)
        return cls(candidate, tuple(str(word).casefold() for word in raw.get("account_words") or []))

    def redact(self, text: str) -> str:
        """The text with each account number replaced by [account]."""
        return self.candidate.sub(self._account_or_original, text)

    def _account_or_original(self, match: re.Match[str]) -> str:
        around = (match.group() + match.string[match.end() : match.end() + 8]).casefold()
        if any(word in around for word in self.account_words):
            return match.group("bank") + "[account]"
        return match.group()


@lru_cache(maxsize=1)
def bank_accounts() -> BankAccounts:
    """The bank names and account words of ``data/support/sensitive.yml``, read once."""
    return BankAccounts.load(SENSITIVE_FILE)


def redact(text: str, allow: AllowList | None = None) -> str:
    """The text with sensitive data replaced by [rrn], [business_no], [account], [card], [email] and [phone].

    Phone numbers and emails on the allow-list (by default ``allowed()``) stay as written.
    """
    allow = allowed() if allow is None else allow
    text = RRN_CANDIDATE.sub(_rrn_or_original, text)
    text = BUSINESS_NUMBER_CANDIDATE.sub(_business_number_or_original, text)
    text = bank_accounts().redact(text)
    text = CARD_CANDIDATE.sub(_card_or_original, text)
    text = EMAIL.sub(lambda match: match.group() if match.group().casefold() in allow.emails else "[email]", text)
    return _redact_phones(text, allow)


def _rrn_or_original(match: re.Match[str]) -> str:
    """A resident registration number: its birth date is a real day; written without the hyphen, its check digit holds.

    Numbers issued since October 2020 have no check digit, so the hyphenated form, which
    nothing else is written as, is redacted on its date alone.
    """
    birth, hyphen, rest = match.groups()
    digits = birth + rest
    if not _real_birth_date(birth, int(rest[0])):
        return match.group()
    weighted = sum(int(d) * w for d, w in zip(digits[:12], RRN_WEIGHTS, strict=True))
    if hyphen or (11 - weighted % 11) % 10 == int(digits[12]):
        return "[rrn]"
    return match.group()


def _real_birth_date(yymmdd: str, century_digit: int) -> bool:
    century = {1: 1900, 2: 1900, 3: 2000, 4: 2000, 5: 1900, 6: 1900, 7: 2000, 8: 2000}[century_digit]
    try:
        date(century + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


def _business_number_or_original(match: re.Match[str]) -> str:
    """A business registration number with a valid check digit (the ninth digit's weight 5 carries its tens)."""
    digits = re.sub(r"\D", "", match.group())
    total = sum(int(d) * w for d, w in zip(digits[:9], BUSINESS_NUMBER_WEIGHTS, strict=True))
    total += int(digits[8]) * 5 // 10
    return "[business_no]" if (10 - total % 10) % 10 == int(digits[9]) else match.group()


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
