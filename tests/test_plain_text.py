"""What is stored of a text: normalised, without control or invisible characters, otherwise untouched."""

from __future__ import annotations

import unicodedata

import pytest

from support.plain_text import plain_text


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("where is my order?", "where is my order?"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("bell\x07 and escape\x1b[31mred\x1b[0m", "bell and escape[31mred[0m"),
        ("null\x00byte and del\x7f", "nullbyte and del"),
        ("form\x0cfeed\x0b and \x1fseparator\x85", "formfeed and separator"),
        ("invoice\u202egnp.exe", "invoicegnp.exe"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("family 👨\u200d👩\u200d👧 and tab\there", "family 👨\u200d👩\u200d👧 and tab\there"),
        (
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
            "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
        ),
        ('=HYPERLINK("x")', '=HYPERLINK("x")'),
        ("배송 언제 와요?", "배송 언제 와요?"),
    ],
)
def test_stored_text(written: str, stored: str) -> None:
    assert plain_text(written) == stored


def test_decomposed_hangul_is_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "환불해 주세요")
    assert decomposed != "환불해 주세요"
    assert plain_text(decomposed) == "환불해 주세요"


def test_characters_newer_than_pythons_unicode_tables_are_kept() -> None:
    assert plain_text("\U0001fae0 melting") == "\U0001fae0 melting"


def test_spaces_of_other_scripts_are_kept() -> None:
    assert plain_text("a\u00a0b\u3000c") == "a\u00a0b\u3000c"
