import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions.callbacks import phone_ending
from actions.verification import mask_email
from bot.redaction import AllowList, allowed, redact
from bot.settings import PROJECT_ROOT
from knowledge import KnowledgeBase

DOMAIN: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111 1111 1111 1111 please", "card [card] please"),
        ("4111-1111-1111-1111", "[card]"),
        ("order 10421 and 1234 5678 9012 3456", "order 10421 and 1234 5678 9012 3456"),  # fails Luhn
        ("write to mina.kim@example.com today", "write to [email] today"),
        ("call me on 010-2345-6789", "call me on [phone]"),
        ("+82 10 2345 6789 works", "[phone] works"),
        ("order #10421 arrived on 2026-11-18", "order #10421 arrived on 2026-11-18"),
        ("<b>hi</b>", "<b>hi</b>"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Resident registration numbers: the hyphenated form on its date alone (no check digit since 2020).
        ("주민번호 900101-1234567 입니다", "주민번호 [rrn] 입니다"),
        ("제 주민등록번호는 9001011234568이에요", "제 주민등록번호는 [rrn]이에요"),  # check digit 8 holds
        ("9001011234569", "9001011234569"),  # no hyphen and a wrong check digit: not one
        ("871340-1234567", "871340-1234567"),  # month 13: not a date
        ("950230-2123457", "950230-2123457"),  # 30 February
        ("000229-3123456", "[rrn]"),  # 29 February 2000, born in the 2000s
        # Business registration numbers with their check digit.
        ("사업자등록번호 123-45-67891 입니다", "사업자등록번호 [business_no] 입니다"),
        ("123-45-67890", "123-45-67890"),
        # Account numbers after a bank's name, with an account word next to them.
        ("국민은행 123456-01-123456 으로 보내주세요", "국민은행 [account] 으로 보내주세요"),
        ("환불은 신한 110-123-456789 계좌로요", "환불은 신한 [account] 계좌로요"),
        ("카카오뱅크 3333011234567", "카카오뱅크 [account]"),
        ("refund to KB bank account 123-456-789012", "refund to KB bank account [account]"),
        ("우리 택배 601234567890 언제 와요", "우리 택배 601234567890 언제 와요"),  # "our parcel": a tracking number
        ("주문 10421번 배송 언제 와요?", "주문 10421번 배송 언제 와요?"),
        # Korean phone numbers in every common form.
        ("제 번호는 010-9876-5432이에요", "제 번호는 [phone]이에요"),
        ("01098765432로 연락주세요", "[phone]로 연락주세요"),
        ("+82 10-9876-5432", "[phone]"),
    ],
)
def test_korean_personal_numbers_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_allow_list_comes_from_the_support_data() -> None:
    assert allowed() == AllowList(
        phones=frozenset({"+8215880123", "+821012345678", "+8221234567", "+14155550123"}),
        emails=frozenset({"help@maru.example", "name@example.com"}),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call us on 1588-0123", "call us on 1588-0123"),
        ("call us on 15880123", "call us on 15880123"),
        ("call us on +82 1588 0123", "call us on +82 1588 0123"),
        ("write to HELP@Maru.Example", "write to HELP@Maru.Example"),
        ("like 010-1234-5678 or name@example.com", "like 010-1234-5678 or name@example.com"),
        # Only those: other numbers and addresses in the same message still go.
        ("1588-0123 or me on 010-9876-5432", "1588-0123 or me on [phone]"),
        ("help@maru.example or jiwoo.kang@example.com", "help@maru.example or [email]"),
        ("help@maru.example.org", "[email]"),
        ("1588-0124", "[phone]"),
    ],
)
def test_the_stores_own_contact_details_stay(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_without_an_allow_list_everything_is_redacted() -> None:
    assert redact("call 1588-0123 or write to help@maru.example", AllowList()) == "call [phone] or write to [email]"


def test_an_allow_list_file_is_read_in_both_blocks(tmp_path: Path) -> None:
    path = tmp_path / "contacts.yml"
    path.write_text(
        "public_contacts:\n  phones: ['02-3456-7890']\n  emails: [Shop@Example.org]\n"
        "format_examples:\n  phones: ['+44 20 7946 0958']\n"
    )
    allow = AllowList.load(path)
    assert allow == AllowList(frozenset({"+82234567890", "+442079460958"}), frozenset({"shop@example.org"}))
    assert redact("02 3456 7890, shop@example.org", allow) == "02 3456 7890, shop@example.org"


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("public_contacts:\n  phones: ['1588']\n", "not a valid phone number: '1588'"),
        ("public_contacts:\n  phones: ['call us']\n", "not a phone number: 'call us'"),
        ("public_contacts:\n  emails: ['help at maru']\n", "not an email address: ['help at maru']"),
    ],
)
def test_an_allow_list_entry_that_could_never_match_is_refused(tmp_path: Path, content: str, error: str) -> None:
    path = tmp_path / "contacts.yml"
    path.write_text(content)
    with pytest.raises(ValueError, match=f"^{re.escape(f'{path}: {error}')}$"):
        AllowList.load(path)


def test_no_response_of_the_bot_loses_a_contact_detail_to_redaction() -> None:
    texts = [
        str(variation["text"])
        for variations in DOMAIN["responses"].values()
        for variation in variations
        if variation.get("text")
    ]
    changed = [text for text in texts if redact(text) != text]
    assert changed == []


def test_no_knowledge_answer_or_canned_reply_loses_a_contact_detail_to_redaction() -> None:
    answers = [faq.answer for faq in KnowledgeBase.load(PROJECT_ROOT / "data" / "knowledge")]
    canned = yaml.safe_load((PROJECT_ROOT / "data" / "support" / "canned.yml").read_text(encoding="utf-8"))
    replies = [str(reply["text"]) for language in canned.values() for reply in language]
    assert [text for text in [*answers, *replies] if redact(text) != text] == []


def test_the_callback_confirmations_are_stored_as_the_customer_reads_them() -> None:
    phone = DOMAIN["responses"]["utter_callback_booked_phone"][0]["text"]
    email = DOMAIN["responses"]["utter_callback_booked_message_email"][0]["text"]
    confirmations = [
        phone.format(phone_end=phone_ending("+821098765432"), window="Today 14:00–16:00"),
        email.format(masked_email=mask_email("jiwoo.kang@example.com"), window="Tomorrow 09:00–11:00"),
    ]
    assert [redact(text) for text in confirmations] == [
        "Booked. We'll call you on the number ending in 5432 in this time window: Today 14:00–16:00 (KST). "
        "You don't need to keep this chat open.",
        "Booked. Someone from our team will reply here in this chat in this time window: Tomorrow 09:00–11:00 (KST), "
        "and also email the answer to ji•••@example.com in case the chat is closed.",
    ]
