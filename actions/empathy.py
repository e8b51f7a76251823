"""What the assistant says to a frustrated customer, chosen by what frustrated them."""

from __future__ import annotations

from typing import Any

from actions.replies import Reply
from frustration.dialogue import Assessment, assess, customer_turns
from frustration.scoring import lexicon_for

GENERAL = "utter_empathy_general"


def assessment_of(events: list[dict[str, Any]], language: str) -> Assessment:
    """The conversation's frustration from the tracker's events."""
    lexicon = lexicon_for(language)
    return assess(customer_turns(events, lexicon), lexicon)


def acknowledgement(assessment: Assessment, responses: set[str]) -> Reply:
    """The empathy message that names the strongest reason, e.g. a late order or repetition."""
    for signal in sorted(assessment.latest.signals, key=lambda s: -s.weight):
        name = f"utter_empathy_{signal.name}"
        if name in responses:
            return Reply(name)
    return Reply(GENERAL)


def frustration_slots(assessment: Assessment) -> dict[str, Any]:
    """The score and reasons kept in the tracker for agents (and to hold back surveys)."""
    return {"frustration_score": assessment.score, "frustration_reasons": assessment.reasons}


def priority_handoff(assessment: Assessment, active_loop: str | None) -> dict[str, Any]:
    """The handoff request for the gateway: reason, priority and what the agent should know."""
    return {
        "handoff": {
            "reason": "frustration",
            "priority": True,
            "interrupted_flow": active_loop,
            "frustration": {"score": assessment.score, "reasons": assessment.reasons},
        }
    }
