"""Grouping the questions the bot could not answer."""

from __future__ import annotations

from bot.editor.inbox import Group, group_questions


def test_near_identical_questions_are_grouped_with_their_total() -> None:
    questions = [
        ("do you ship to the moon", 1),
        ("where is my parcel", 4),
        ("where is my parcel?", 2),
        ("Where is my parcel", 1),
        ("can i pay with bitcoin", 3),
    ]
    assert group_questions(questions, dismissed=set()) == [
        Group("where is my parcel", 7, ["where is my parcel?", "Where is my parcel"]),
        Group("can i pay with bitcoin", 3),
        Group("do you ship to the moon", 1),
    ]


def test_dismissed_wordings_are_left_out() -> None:
    questions = [("can i pay with bitcoin", 3), ("do you ship to the moon", 1)]
    assert group_questions(questions, dismissed={"can i pay with bitcoin"}) == [Group("do you ship to the moon", 1)]


def test_korean_questions_are_grouped_whatever_their_spacing() -> None:
    questions = [("배송 언제 와요?", 3), ("배송언제와요", 2), ("배송 언제와요??", 1), ("환불 언제 돼요?", 2)]
    groups = group_questions(questions, set())
    assert [(g.text, g.count) for g in groups] == [("배송 언제 와요?", 6), ("환불 언제 돼요?", 2)]
