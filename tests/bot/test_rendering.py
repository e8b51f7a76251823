from bot.rendering import segments


def test_plain_text_is_one_segment() -> None:
    assert segments("Standard delivery costs ₩3,000.") == [{"text": "Standard delivery costs ₩3,000."}]


def test_links_bold_and_lists() -> None:
    text = "See **My orders**: [orders](https://maru.example/account/orders)\n\n- one\n- two"
    assert segments(text) == [
        {"text": "See "},
        {"text": "My orders", "bold": True},
        {"text": ": "},
        {"text": "orders", "href": "https://maru.example/account/orders"},
        {"break": True},
        {"text": "• "},
        {"text": "one"},
        {"break": True},
        {"text": "• "},
        {"text": "two"},
    ]


def test_html_stays_text_and_unsafe_links_lose_their_target() -> None:
    assert segments("<img src=x onerror=alert(1)>") == [{"text": "<img src=x onerror=alert(1)>"}]
    assert segments("[click](javascript:alert(1))") == [{"text": "[click](javascript:alert(1))"}]
    assert segments("[file](http://insecure.example)") == [{"text": "file"}]
