"""Acts on a frustrated conversation: acknowledges it, or hands over with priority.

It reads the turn scores that ``FrustrationScorer`` stored in the tracker, scores the
conversation (``frustration.dialogue``) and otherwise abstains, leaving the dialogue
to the other policies. The acknowledgement follows the bot's own reply to the turn;
the handoff replaces it.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from frustration.dialogue import Level, assess, customer_turns
from frustration.scoring import lexicon_for
from support.language import LANGUAGE_SLOT, languages

ACKNOWLEDGE_ACTION = "action_acknowledge_frustration"
HANDOFF_ACTION = "action_frustration_handoff"
DEACTIVATE_LOOP = "action_deactivate_loop"
# "Stop" and "a person, please" are answered by their own rules; an apology first would get in the way.
CLEAR_REQUESTS = ("stop", "request_human")
# The customer already got a person this turn; an apology on top would only repeat it.
PERSON_ALREADY_COMING = ("action_handoff", ACKNOWLEDGE_ACTION, HANDOFF_ACTION)
LISTEN = "action_listen"
TURNS_BETWEEN_ACKNOWLEDGEMENTS = 2


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class FrustrationPolicy(Policy):
    """Predicts the acknowledgement or the priority handoff when the thresholds are passed."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Above RulePolicy (6), so its rare predictions win."""
        return {"priority": 7}

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the thresholds are in data/frustration/."""
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """The action to take, or all zeros to abstain."""
        action = self.next_action(tracker)
        probabilities = self._default_predictions(domain)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)

    def next_action(self, tracker: DialogueStateTracker) -> str | None:
        """Which action the conversation's frustration calls for now, if any."""
        lexicon = lexicon_for(tracker.get_slot(LANGUAGE_SLOT) or languages().default)
        relevant = (UserUttered, ActionExecuted, BotUttered, SlotSet)
        events = [e.as_dict() for e in tracker.applied_events() if isinstance(e, relevant)]
        turns = customer_turns(events, lexicon)
        if not turns:
            return None
        latest = tracker.latest_action_name
        this_turn = turns[-1].bot_actions
        if latest in (ACKNOWLEDGE_ACTION, HANDOFF_ACTION):
            return LISTEN
        intent = (tracker.latest_message.intent or {}).get("name") if tracker.latest_message else None
        if intent == "stop" or any(action in this_turn for action in PERSON_ALREADY_COMING):
            return None
        level = assess(turns, lexicon).level
        recent = {a for t in turns[-TURNS_BETWEEN_ACKNOWLEDGEMENTS - 1 : -1] for a in t.bot_actions}
        if level is Level.HANDOFF and latest == LISTEN and HANDOFF_ACTION not in recent:
            return HANDOFF_ACTION
        acknowledged = recent & {ACKNOWLEDGE_ACTION, HANDOFF_ACTION}
        waiting_for_its_rule = intent in CLEAR_REQUESTS or latest in (LISTEN, DEACTIVATE_LOOP)
        if level is Level.CALM or waiting_for_its_rule or not this_turn or acknowledged:
            return None
        return ACKNOWLEDGE_ACTION
