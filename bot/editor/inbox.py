"""The editors' inbox of questions the bot could not answer, near-identical ones grouped."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from knowledge.validation import normalise

# Token-set similarity at which two questions count as the same ("where is my parcel" / "where's my parcel?").
SAME_QUESTION = 85.0


@dataclass
class Group:
    """Near-identical questions: the most asked wording, how often all of them came up, and the others."""

    text: str
    count: int
    variants: list[str] = field(default_factory=list)


def group_questions(questions: list[tuple[str, int]], dismissed: set[str]) -> list[Group]:
    """Groups near-identical questions, most frequent first; dismissed wordings are left out."""
    groups: list[Group] = []
    for text, count in sorted(questions, key=lambda item: (-item[1], item[0])):
        if text in dismissed:
            continue
        home = next((g for g in groups if _similar(g.text, text)), None)
        if home is None:
            groups.append(Group(text, count))
        else:
            home.count += count
            home.variants.append(text)
    return sorted(groups, key=lambda g: (-g.count, g.text))


def _similar(first: str, second: str) -> bool:
    # normalise: Korean spacing varies ("배송 언제 와요" / "배송언제와요"), so it is dropped between Hangul.
    return fuzz.token_set_ratio(_comparable(first), _comparable(second)) >= SAME_QUESTION


def _comparable(text: str) -> str:
    return normalise(text.strip(" ?!.~")).rstrip("?!.~ ")
