"""The order forms' proof of who the customer is, before an order is shown or changed.

An order number and an email are each only checked for their form when typed.
Once both are known they are checked together, and every mismatch (no such
order, another customer's order, no such account) gets the same answer after
the same work, so a stranger learns nothing from trying. An email alone never
lists orders: the customer gets a one-time code at that address instead, or
is asked for the order number when mail is not configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from actions.identity import (
    CODE_DIGITS,
    PROOF_CODE,
    PROOF_ORDER,
    Attempts,
    CodeCheck,
    LoginCodes,
    customer_slots,
    identity_signal,
    proves_customer,
)
from actions.locale import Locale
from actions.profiles import ProfileStore
from actions.replies import Outcome, Reply
from actions.store import Order, StoreBackend
from support.mail import Mailer, MailFailed

ORDER_NUMBER = re.compile(r"(?<!\d)(1\d{4})(?!\d)")
EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")
LOGIN_CODE = re.compile(rf"\d{{{CODE_DIGITS}}}")
ECHO_LIMIT = 40
VERIFICATION_SLOTS = ("order_number", "email")


def parse_order_number(raw: Any) -> str | None:
    """Finds a five-digit order number in what the customer typed ('#10421', 'order 10421')."""
    match = ORDER_NUMBER.search(str(raw or ""))
    return match.group(1) if match else None


def check_order_number(raw: Any) -> Outcome:
    """Accepts anything shaped like an order number, or takes a one-time code typed in its place.

    Whether the order exists is checked only together with the email.
    """
    if LOGIN_CODE.fullmatch(str(raw or "").strip()):
        return Outcome((), {"order_number": None, "login_code": str(raw).strip()})
    number = parse_order_number(raw)
    if number is None:
        return Outcome((Reply("utter_order_number_invalid", {"value": str(raw)[:ECHO_LIMIT]}),), {"order_number": None})
    return Outcome((), {"order_number": number})


def check_email(raw: Any) -> Outcome:
    """Accepts anything shaped like an email address, in lower case."""
    email = str(raw or "").strip().strip("<>").lower()
    if not EMAIL.match(email):
        return Outcome((Reply("utter_email_invalid", {"value": str(raw)[:ECHO_LIMIT]}),), {"email": None})
    return Outcome((), {"email": email})


def verified_order(order_number: str | None, email: str | None, store: StoreBackend) -> Order | None:
    """The order if both its number and its email were given and match."""
    order = store.order(order_number) if order_number else None
    if order is None or not email or order.email.lower() != email.lower():
        return None
    return order


def mask_email(email: str) -> str:
    """An address shown so its owner recognises it but nobody else learns it: 'mi•••@example.com'.

    The first two characters before the @ stay, but never all of them:
    'ab@example.org' shows 'a•••@example.org', 'a@example.org' shows '•••@example.org'.
    """
    local, _, domain = email.rpartition("@")
    return f"{local[: min(2, len(local) - 1)]}•••@{domain}"


def order_buttons(orders: list[Order], locale: Locale) -> tuple[dict[str, str], ...]:
    """One button per order, choosing it by number."""
    return tuple(
        {
            "title": f"#{order.number} · {locale.items(order)}",
            "payload": f'/inform{{"order_number": "{order.number}"}}',
        }
        for order in orders
    )


@dataclass(frozen=True)
class Turn:
    """The conversation as one verification step sees it."""

    sender_id: str
    origin: str
    slots: dict[str, Any]
    changed: frozenset[str]
    # The entities the customer typed in their latest message.
    typed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Verifier:
    """Checks proofs, counts attempts and sends one-time codes."""

    store: StoreBackend
    profiles: ProfileStore
    attempts: Attempts
    codes: LoginCodes
    mailer: Mailer | None

    async def locked(self, turn: Turn) -> bool:
        """True when this conversation or its origin may not try again for now."""
        if verified_order(turn.slots.get("order_number"), turn.slots.get("email"), self.store) is not None:
            return False
        return await self.attempts.exhausted(turn.sender_id, turn.origin)

    async def after_answers(self, turn: Turn) -> Outcome:
        """Checks a typed code, or the order number and email once both are known."""
        code = turn.slots.get("login_code")
        if "login_code" in turn.changed and code:
            return await self._check_code(turn, str(code))
        number, email = turn.slots.get("order_number"), turn.slots.get("email")
        if not (number and email and turn.changed & set(VERIFICATION_SLOTS)):
            return Outcome()
        if await self.attempts.exhausted(turn.sender_id, turn.origin):
            # Not even looked up; the form ends and its flow action says why.
            return Outcome((), self._cleared(turn))
        order = verified_order(number, email, self.store)
        if order is not None:
            return self._order_proven(turn, order)
        await self.attempts.count(turn.sender_id, turn.origin)
        return Outcome((Reply("utter_order_not_verified"),), self._cleared(turn))

    async def ask_order_number(self, turn: Turn, locale: Locale, mail_texts: dict[str, str]) -> Outcome:
        """Offers a proven customer their orders, sends a code to a typed email, or asks for the number."""
        if proves_customer(turn.slots):
            customer = self.store.customer_by_id(str(turn.slots["customer_id"]))
            orders = self.store.recent_orders(customer.email) if customer else []
            if orders:
                return Outcome((Reply("utter_ask_order_number_known", buttons=order_buttons(orders, locale)),))
        email, mailer = turn.slots.get("email"), self.mailer
        if not email or mailer is None:
            return Outcome((Reply("utter_ask_order_number"),))
        masked = {"email": mask_email(str(email))}
        sent = await self.codes.sent(turn.sender_id)
        # A new code only for a new address, or when the customer types the address again.
        if sent is not None and sent.email == email and "email" not in turn.typed:
            if sent.live:
                return Outcome((Reply("utter_ask_order_number_or_code", masked),))
            return Outcome((Reply("utter_ask_order_number"),))
        if await self.attempts.exhausted(turn.sender_id, turn.origin):
            return Outcome((Reply("utter_ask_order_number"),))
        return await self._send_code(turn, mailer, str(email), mail_texts)

    async def _send_code(self, turn: Turn, mailer: Mailer, email: str, mail_texts: dict[str, str]) -> Outcome:
        # Sending a code counts as an attempt, so nobody can flood an address from the chat.
        await self.attempts.count(turn.sender_id, turn.origin)
        customer = self.store.customer(email)
        code = await self.codes.issue(turn.sender_id, email, customer.id if customer else None)
        # An address with no account gets a mail too, so the chat's answer and timing are the same.
        body = mail_texts["code" if customer else "no_account"].format(code=code)
        masked = {"email": mask_email(email)}
        try:
            await mailer.send(email, mail_texts["code_subject"].format(code=code), body)
        except MailFailed:
            await self.codes.forget(turn.sender_id)
            return Outcome((Reply("utter_code_not_sent", masked), Reply("utter_ask_order_number")))
        return Outcome((Reply("utter_code_sent", masked),))

    async def _check_code(self, turn: Turn, code: str) -> Outcome:
        result = await self.codes.check(turn.sender_id, code)
        cleared = {"login_code": None}
        customer = self.store.customer_by_id(result.customer_id) if result.customer_id else None
        if result.outcome is CodeCheck.PROVEN and customer is not None:
            await self.profiles.link(turn.sender_id, customer.id)
            slots = {**cleared, **customer_slots(customer, PROOF_CODE), "order_number": None}
            return Outcome(
                (Reply("utter_code_accepted", {"customer_name": customer.name}),),
                slots,
                (identity_signal(PROOF_CODE, customer),),
            )
        reply = {
            CodeCheck.WRONG: Reply("utter_code_wrong", {"tries_left": result.tries_left}),
            CodeCheck.EXPIRED: Reply("utter_code_expired"),
            CodeCheck.LOCKED: Reply("utter_code_locked"),
        }.get(result.outcome, Reply("utter_no_code_sent"))
        return Outcome((reply,), cleared)

    def _order_proven(self, turn: Turn, order: Order) -> Outcome:
        if proves_customer(turn.slots):
            return Outcome()
        return Outcome((), {"identity_proof": PROOF_ORDER}, (identity_signal(PROOF_ORDER, order_number=order.number),))

    @staticmethod
    def _cleared(turn: Turn) -> dict[str, Any]:
        # A proven customer keeps their own email; anyone else gives both again.
        if proves_customer(turn.slots):
            return {"order_number": None}
        return {"order_number": None, "email": None}
