"""Turns answer text into safe display segments: plain text, bold, links and line breaks.

Parsing is markdown-it's; the widget builds DOM nodes from the segments and never
uses HTML, so nothing a customer or an editor types can run in a browser.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

SAFE_LINK_SCHEMES = ("https://", "mailto:", "tel:")
_parser = MarkdownIt("zero").enable(["link", "emphasis", "newline", "list"])


def segments(text: str) -> list[dict[str, Any]]:
    """The text as a list of ``{"text": ..., "bold"?: True, "href"?: url}`` and ``{"break": True}``."""
    result: list[dict[str, Any]] = []
    for block in _parser.parse(text):
        if block.type == "list_item_open":
            result.append({"text": "• "})
        elif block.type in ("paragraph_close", "list_item_close") and result and not block.hidden:
            result.append({"break": True})
        elif block.type == "inline":
            result += _inline(block.children or [])
    while result and result[-1].get("break"):
        result.pop()
    return result


def _inline(tokens: list[Token]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    bold, href = False, None
    for token in tokens:
        if token.type == "strong_open":
            bold = True
        elif token.type == "strong_close":
            bold = False
        elif token.type == "link_open":
            link = str(token.attrs.get("href", ""))
            href = link if link.startswith(SAFE_LINK_SCHEMES) else None
        elif token.type == "link_close":
            href = None
        elif token.type in ("softbreak", "hardbreak"):
            out.append({"break": True})
        elif token.type == "text" and token.content:
            out.append(_segment(token.content, bold, href))
    return out


def _segment(text: str, bold: bool, href: str | None) -> dict[str, Any]:
    segment: dict[str, Any] = {"text": text}
    if bold:
        segment["bold"] = True
    if href:
        segment["href"] = href
    return segment
