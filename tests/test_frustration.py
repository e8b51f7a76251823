import pytest

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
