from typing import Any

import pytest

from frustration.dialogue import Assessment, CustomerTurn, Level, assess, customer_turns
from frustration.scoring import TurnScore, conversation_score, dialogue_signals, lexicon_for, score_turn, text_signals

LEXICON = lexicon_for("en")


def names(text: str) -> set[str]:
    return {s.name for s in text_signals(text, LEXICON)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("this is the THIRD TIME I ASK!!!", {"repetition", "shouting", "punctuation"}),
        ("useless bot, get me a real person", {"bot_criticism"}),
        ("I'll leave a 1-star review and buy elsewhere", {"threat_review", "threat_to_leave"}),
        ("you are idiots", {"insult"}),
        ("my parcel is late, can you check?", set()),
        ("not angry, just asking about the warranty", set()),
        ("my mum said 'this is useless' about her old kettle", set()),
        ("does the AIR PURIFIER M2 have an LED display", set()),
        ("my clumsy cat broke the stupid lamp shade", set()),
    ],
)
def test_text_signals(text: str, expected: set[str]) -> None:
    assert names(text) == expected


def test_abuse_is_flagged_and_reasons_are_plain_words() -> None:
    scored = score_turn(text_signals("stupid bot. this is bullshit", LEXICON))
    assert scored.abuse
    assert scored.reasons == ["insults the bot or staff", "swears"]
    assert scored.score == 1.0


def test_the_same_question_again_and_repeated_misunderstanding() -> None:
    found = dialogue_signals(
        "where is my kettle order",
        earlier_customer=["where is my kettle order?"],
        earlier_bot=["I'm not sure I understood. Did you mean one of these?", "Sorry, I still didn't get that."],
        lexicon=LEXICON,
    )
    assert {s.name for s in found} == {"repetition", "going_in_circles"}


def test_conversation_score_rises_and_decays() -> None:
    angry = score_turn(text_signals("this is ridiculous, third time I ask", LEXICON))
    calm = TurnScore(0.0, ())
    rising = conversation_score(conversation_score(0.0, angry, LEXICON), angry, LEXICON)
    assert rising == pytest.approx(2 * angry.score)
    assert conversation_score(rising, calm, LEXICON) == pytest.approx(rising - 0.2)


def turn(text: str, *actions: str) -> CustomerTurn:
    return CustomerTurn(text, tuple(text_signals(text, LEXICON)), actions)


def test_conversation_escalates_from_acknowledgement_to_handoff() -> None:
    first = [turn("this is ridiculous, third time i ask where my parcel is", "action_answer_faq")]
    assert assess(first, LEXICON).level is Level.ACKNOWLEDGE
    second = [*first, turn("THIS IS USELESS!!! I WANT A PERSON")]
    assessment = assess(second, LEXICON)
    assert assessment.level is Level.HANDOFF
    assert assessment.reasons[:2] == ["says the bot isn't helping", "writes in capitals"]


def test_calm_complaints_stay_calm() -> None:
    calm = [turn("my parcel is late, can you check?"), turn("the kettle arrived dented, what can I do")]
    assert assess(calm, LEXICON) == Assessment(0.0, Level.CALM, TurnScore(0.0, ()), [])


def test_abuse_hands_over_at_once() -> None:
    assert assess([turn("you are idiots")], LEXICON).level is Level.HANDOFF


def test_customer_turns_read_the_nlu_score_or_score_the_text() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "ok", "parse_data": {"frustration": {"signals": ["profanity"], "score": 0.55}}},
        {"event": "action", "name": "action_answer_faq"},
        {"event": "user", "text": "useless bot", "parse_data": {}},
        {"event": "user", "text": '/request_human{"handoff_reason": "frustration"}'},
    ]
    turns = customer_turns(events, LEXICON)
    assert [(t.text, [s.name for s in t.signals], t.bot_actions) for t in turns] == [
        ("ok", ["profanity"], ("action_answer_faq",)),
        ("useless bot", ["bot_criticism"], ()),
        ("", [], ()),
    ]


def test_a_reported_late_order_and_a_form_loop_count_as_signals() -> None:
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "where is my order"},
        {"event": "bot", "text": "late", "metadata": {"utter_action": "utter_order_status_late"}},
        {"event": "user", "text": "hmm ok"},
    ]
    late = assess(customer_turns(events, LEXICON), LEXICON)
    assert [s.name for s in late.latest.signals] == ["late_order"]

    asked = [
        event
        for text in ("cancel it", "10421", "it is 10421")
        for event in ({"event": "user", "text": text}, {"event": "slot", "name": "requested_slot", "value": "email"})
    ]
    loop = assess(customer_turns([*asked, {"event": "user", "text": "mina@example.com"}], LEXICON), LEXICON)
    assert "going_in_circles" in {s.name for s in loop.latest.signals}
