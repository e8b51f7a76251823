"""Custom actions. Each one only names itself and runs logic from a plain module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import callbacks, empathy, faq, handoff, identity, order_flows, session
from actions.language import conversation_language
from actions.locale import locale_for
from actions.replies import Outcome, Reply, response_texts, send, send_in_language, send_outcome
from actions.runtime import STORE_TIMEZONE, flows_for, language_of, services, turn_of, verified_order_of
from support.language import LANGUAGE_SLOT

# Custom payload that tells the gateway to delete the conversation's transcript.
ERASE_REQUEST = {"erase_conversation": True}
# The language is set anew by every session start, from the gateway's metadata or the old session's.
CARRIED_OVER_SLOTS = ("customer_name", "email", "order_number", "customer_id", "identity_proof")


def _slot_events(outcome: Outcome) -> list[EventType]:
    return [SlotSet(name, value) for name, value in outcome.slots.items()]


class ActionSessionStart(Action):
    """Starts a session: privacy notice for newcomers, profile slots for returning customers."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        carried = [SlotSet(k, tracker.get_slot(k)) for k in CARRIED_OVER_SLOTS if tracker.get_slot(k) is not None]
        metadata = tracker.get_slot("session_started_metadata")
        outcome = await session.start_session(
            services().profiles, tracker.sender_id, metadata, datetime.now(STORE_TIMEZONE)
        )
        language = conversation_language(metadata, language_of(tracker), "")
        send_in_language(dispatcher, domain, outcome.replies, language)
        slots = [SlotSet(LANGUAGE_SLOT, language), *carried, *_slot_events(outcome)]
        return [SessionStarted(), *slots, ActionExecuted("action_listen")]


class ActionSetLanguage(Action):
    """Keeps the language slot on the conversation's language (a custom slot mapping, run on every message)."""

    def name(self) -> str:
        return "action_set_language"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        message = tracker.latest_message
        language = conversation_language(message.get("metadata"), language_of(tracker), message.get("text") or "")
        return [SlotSet(LANGUAGE_SLOT, language)] if language != language_of(tracker) else []


class ActionIdentifyCustomer(Action):
    """Fills the customer's slots from the store login the gateway verified (a custom slot mapping)."""

    def name(self) -> str:
        return "action_identify_customer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = services()
        metadata = tracker.latest_message.get("metadata")
        slots = await session.identify(metadata, tracker.current_slot_values(), s.store, s.profiles, tracker.sender_id)
        return [SlotSet(k, v) for k, v in slots.items()]


class ActionGreetCustomer(Action):
    """Greets a signed-in customer by name with their recent orders, before they type anything."""

    def name(self) -> str:
        return "action_greet_customer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        locale = locale_for(language_of(tracker))
        send(dispatcher, (session.greet_customer(tracker.current_slot_values(), services().store, locale),))
        return []


class ActionForgetDevice(Action):
    """Forgets who the customer is on this device, without deleting their data."""

    def name(self) -> str:
        return "action_forget_device"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        outcome = await session.forget_device(services().profiles, tracker.sender_id)
        send_outcome(dispatcher, outcome)
        return _slot_events(outcome)


class ActionAnswerFaq(Action):
    """Answers with the FAQ's current text from the knowledge files."""

    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        faq_id = faq.predicted_faq_id(tracker.latest_message)
        entry = services().knowledge.current().get(faq_id, language_of(tracker)) if faq_id else None
        if entry is None:
            dispatcher.utter_message(response="utter_faq_unavailable")
        else:
            alternatives = faq.runner_up_ids(tracker.latest_message, entry.id)
            dispatcher.utter_message(**faq.answer_message(entry, alternatives))
        return []


class ActionAskOrderNumber(Action):
    """Asks for the order number, offering a known customer's recent orders."""

    def name(self) -> str:
        return "action_ask_order_number"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        outcome = await services().verifier.ask_order_number(
            turn_of(tracker),
            locale_for(language_of(tracker)),
            response_texts(domain, "utter_mail_", language_of(tracker)),
        )
        send_outcome(dispatcher, outcome)
        return []


class ActionAskReturnFormConfirmation(Action):
    """Asks to confirm a return, naming what it costs."""

    def name(self) -> str:
        return "action_ask_return_form_confirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = verified_order_of(tracker)
        if order is not None:
            reason = tracker.get_slot("return_reason") or "other"
            send(dispatcher, (flows_for(tracker).ask_return_confirmation(order, reason),))
        return []


def _finish_flow(outcome: Outcome, dispatcher: CollectingDispatcher) -> list[EventType]:
    send(dispatcher, outcome.replies)
    return _slot_events(outcome)


async def _unverified(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[EventType]:
    """A flow whose form ended without a proven order: it ran out of attempts."""
    if await services().verifier.locked(turn_of(tracker)):
        send(dispatcher, (Reply("utter_verification_locked"),))
    return []


class ActionOrderStatus(Action):
    """Tells the status of a verified order and when it arrives."""

    def name(self) -> str:
        return "action_order_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = verified_order_of(tracker)
        if order is None:
            return await _unverified(tracker, dispatcher)
        return _finish_flow(Outcome((flows_for(tracker).status(order),)), dispatcher)


class ActionCancelOrder(Action):
    """Cancels a verified order once confirmed, or says why it can't."""

    def name(self) -> str:
        return "action_cancel_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = verified_order_of(tracker)
        if order is None:
            return await _unverified(tracker, dispatcher)
        outcome = flows_for(tracker).cancel(order, tracker.get_slot("confirmation"))
        return _finish_flow(outcome, dispatcher)


class ActionChangeAddress(Action):
    """Changes the delivery address of a verified order once confirmed."""

    def name(self) -> str:
        return "action_change_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = verified_order_of(tracker)
        if order is None:
            return await _unverified(tracker, dispatcher)
        outcome = flows_for(tracker).change_address(
            order, tracker.get_slot("new_address"), tracker.get_slot("confirmation")
        )
        return _finish_flow(outcome, dispatcher)


class ActionStartReturn(Action):
    """Books a return for a verified order once confirmed, or says why it can't."""

    def name(self) -> str:
        return "action_start_return"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        order = verified_order_of(tracker)
        if order is None:
            return await _unverified(tracker, dispatcher)
        outcome = flows_for(tracker).book_return(
            order, tracker.get_slot("return_reason"), tracker.get_slot("confirmation")
        )
        return _finish_flow(outcome, dispatcher)


class ActionStopFlow(Action):
    """Confirms that a stopped flow changed nothing and forgets its answers."""

    def name(self) -> str:
        return "action_stop_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_flow_stopped")
        return [SlotSet(k, v) for k, v in order_flows.clear_flow_slots().items()]


class ActionDeleteMyData(Action):
    """Erases the profile, and every linked one of a proven customer; the gateway erases their conversations."""

    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        s = services()
        conversations = await s.profiles.delete(tracker.sender_id)
        await s.verifier.codes.forget(tracker.sender_id)
        whole_customer = identity.proves_customer(tracker.current_slot_values())
        dispatcher.utter_message(response="utter_data_deleted_customer" if whole_customer else "utter_data_deleted")
        dispatcher.utter_message(json_message={**ERASE_REQUEST, "conversations": conversations})
        return [SlotSet("erase_requested", True)]


class ActionHandoff(Action):
    """Asks the gateway to hand the conversation to a person, with the reason."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        request = handoff.handoff_request(tracker.latest_message, tracker.active_loop_name)
        request["handoff"].update(await _agent_context(tracker))
        dispatcher.utter_message(response="utter_handoff")
        dispatcher.utter_message(json_message=request)
        return [SlotSet(k, v) for k, v in order_flows.clear_flow_slots().items()]


class ActionDefaultAskAffirmation(Action):
    """Offers the likeliest meanings of an unclear message as buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        labels = response_texts(domain, "utter_intent_label_", language_of(tracker))
        buttons = faq.suggestions(tracker.latest_message, services().knowledge.current(), language_of(tracker), labels)
        other = response_texts(domain, "utter_option_something_else", language_of(tracker)).get("", "")
        buttons.append({"title": other, "payload": "/deny"})
        send(dispatcher, (Reply("utter_did_you_mean", buttons=tuple(buttons)),))
        return []


class ActionDefaultFallback(Action):
    """Gives up gracefully after a second misunderstanding and offers a person."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


class ActionAcknowledgeFrustration(Action):
    """Names what went wrong, apologises and offers a person now."""

    def name(self) -> str:
        return "action_acknowledge_frustration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        assessment = empathy.assessment_of(tracker.events, language_of(tracker))
        send(dispatcher, (empathy.acknowledgement(assessment, set(domain.get("responses") or {})),))
        return [SlotSet(k, v) for k, v in empathy.frustration_slots(assessment).items()]


class ActionFrustrationHandoff(Action):
    """Hands an angry customer to a person ahead of the queue."""

    def name(self) -> str:
        return "action_frustration_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        assessment = empathy.assessment_of(tracker.events, language_of(tracker))
        request = empathy.priority_handoff(assessment, tracker.active_loop_name)
        request["handoff"].update(await _agent_context(tracker))
        dispatcher.utter_message(response="utter_handoff_frustration")
        dispatcher.utter_message(json_message=request)
        return [SlotSet(k, v) for k, v in empathy.frustration_slots(assessment).items()]


async def _agent_context(tracker: Tracker) -> dict[str, Any]:
    """What the agent sees with a handoff: the conversation's summary and who the customer is."""
    profile = await services().profiles.get(tracker.sender_id)
    slots = tracker.current_slot_values()
    return {
        "language": language_of(tracker),
        "summary": handoff.conversation_summary(tracker.events, slots),
        "customer": handoff.proven_card(slots, profile.name if profile else None, services().store),
    }


def _window_formats(tracker: Tracker, domain: DomainDict) -> callbacks.LabelFormats:
    language = language_of(tracker)
    return callbacks.label_formats(domain, language, locale_for(language))


class ActionAskCallbackEmail(Action):
    """Asks where to email the answer to a callback message, offering the email we know."""

    def name(self) -> str:
        return "action_ask_callback_email"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        send(dispatcher, (callbacks.ask_email(tracker.get_slot("email")),))
        return []


class ActionAskCallbackWindow(Action):
    """Offers the next callback windows inside support hours as buttons."""

    def name(self) -> str:
        return "action_ask_callback_window"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reply = callbacks.ask_window(callbacks.support_hours(), services().now(), _window_formats(tracker, domain))
        send(dispatcher, (reply,))
        return []


class ActionSubmitCallback(Action):
    """Confirms the callback and asks the gateway to schedule it."""

    def name(self) -> str:
        return "action_submit_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        answers = {slot: tracker.get_slot(slot) for slot in callbacks.CALLBACK_SLOTS}
        booking = callbacks.book(answers, callbacks.support_hours(), services().now(), _window_formats(tracker, domain))
        if booking is not None:
            send(dispatcher, (booking.reply,))
            dispatcher.utter_message(json_message=booking.request)
        return [SlotSet(k, v) for k, v in callbacks.clear_callback_slots().items()]


class ActionStopCallback(Action):
    """Confirms that no callback was booked and forgets the answers."""

    def name(self) -> str:
        return "action_stop_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_callback_stopped")
        return [SlotSet(k, v) for k, v in callbacks.clear_callback_slots().items()]
