"""Text as the project stores it: plain, normalised Unicode with no control or invisible formatting characters.

Whatever a customer, an agent or an editor writes is stored this way, and shown
as text everywhere; the characters removed here are the ones that can hide or
reorder what a reader sees (bidirectional overrides, zero-width characters,
terminal escapes), none of which a real message needs.
"""

from __future__ import annotations

import unicodedata

# Kept: line breaks and tabs; the joiners inside emoji and some scripts' words; the tag characters
# of subdivision flag emoji.
KEPT = frozenset("\n\t\u200c\u200d")
TAGS = range(0xE0020, 0xE0080)


def plain_text(text: str) -> str:
    """The text in NFC with Unix line breaks, without control and invisible formatting characters."""
    unified = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(character for character in unified if not _hidden(character))


def _hidden(character: str) -> bool:
    if character in KEPT or ord(character) in TAGS:
        return False
    # Not "Cn" (unassigned): emoji newer than this Python's Unicode tables are unassigned to it.
    return unicodedata.category(character) in ("Cc", "Cf", "Cs")
