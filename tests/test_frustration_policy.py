from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.frustration_policy import ACKNOWLEDGE_ACTION, HANDOFF_ACTION, FrustrationPolicy

ANGRY = "this is ridiculous, third time i ask where my parcel is"


@pytest.fixture
def policy(tmp_path: Path) -> FrustrationPolicy:
    config = FrustrationPolicy.get_default_config()
    return FrustrationPolicy(config, LocalModelStorage(tmp_path), Resource("p"), ExecutionContext(GraphSchema({}), "p"))


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("web-1", [ActionExecuted("action_listen"), *events])


def test_abstains_on_calm_messages(policy: FrustrationPolicy) -> None:
    assert policy.next_action(tracker(UserUttered("my parcel is late, can you check?"))) is None


def test_acknowledges_after_the_bot_has_answered(policy: FrustrationPolicy) -> None:
    assert policy.next_action(tracker(UserUttered(ANGRY))) is None
    answered = tracker(UserUttered(ANGRY), ActionExecuted("action_answer_faq"))
    assert policy.next_action(answered) == ACKNOWLEDGE_ACTION
    acknowledged = tracker(UserUttered(ANGRY), ActionExecuted("action_answer_faq"), ActionExecuted(ACKNOWLEDGE_ACTION))
    assert policy.next_action(acknowledged) == "action_listen"


def test_hands_over_instead_of_answering_when_it_escalates(policy: FrustrationPolicy) -> None:
    first = [UserUttered(ANGRY), ActionExecuted("action_answer_faq"), ActionExecuted(ACKNOWLEDGE_ACTION)]
    escalated = tracker(*first, ActionExecuted("action_listen"), UserUttered("THIS IS USELESS!!! I WANT A PERSON"))
    assert policy.next_action(escalated) == HANDOFF_ACTION


def test_does_not_acknowledge_twice_in_a_row(policy: FrustrationPolicy) -> None:
    first = [UserUttered(ANGRY), ActionExecuted("action_answer_faq"), ActionExecuted(ACKNOWLEDGE_ACTION)]
    again = tracker(*first, ActionExecuted("action_listen"), UserUttered("this is annoying"), ActionExecuted("utter_x"))
    assert policy.next_action(again) is None


def test_no_apology_after_a_handoff_the_customer_asked_for(policy: FrustrationPolicy) -> None:
    angry = UserUttered(ANGRY)
    assert policy.next_action(tracker(angry, ActionExecuted("action_answer_faq"))) == ACKNOWLEDGE_ACTION
    assert policy.next_action(tracker(angry, ActionExecuted("action_handoff"))) is None


@pytest.mark.parametrize("intent", ["stop", "request_human"])
def test_stop_and_asking_for_a_person_mid_form_are_left_to_their_rules(policy: FrustrationPolicy, intent: str) -> None:
    said = UserUttered(ANGRY, intent={"name": intent, "confidence": 0.9})
    assert policy.next_action(tracker(said, ActionExecuted("action_deactivate_loop"))) is None
    assert policy.next_action(tracker(said, ActionExecuted("action_answer_faq"))) is None
