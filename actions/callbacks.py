"""Callbacks: the time windows offered, the phone and email checks, and the request for the gateway.

A customer who would rather not wait for a person chooses a phone call or a message
back, leaves a number (or, on the web, optionally an email, when mail is configured), and
picks one of the next time windows inside support hours (``data/support/handoff.yml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneMetadata, PhoneNumber, PhoneNumberMatcher
from phonenumbers import PhoneNumberFormat as Format
from phonenumbers import ValidationResult as Possible

from actions import verification
from actions.locale import Locale
from actions.replies import Outcome, Reply, response_text
from support.hours import SUPPORT_FILE, OpeningHours, read_support_file, support_file
from support.locale import write_date

METHOD, PHONE, EMAIL, WINDOW = "callback_method", "callback_phone", "callback_email", "callback_window"
CALLBACK_SLOTS = (METHOD, PHONE, EMAIL, WINDOW)
METHODS = ("phone", "message")
# Numbers typed without a country code are Korean.
DEFAULT_REGION = "KR"
# Agents get at least this long before a window starts.
LEAD_TIME = timedelta(minutes=30)
# A window offered a little earlier can still be chosen until it is this close.
GRACE = timedelta(minutes=15)
LOOKAHEAD_DAYS = 21
WEB_SENDER_PREFIX = "web-"
LABEL_PREFIX = "utter_callback_window_label_"


@dataclass(frozen=True)
class SupportHours:
    """When agents can call or write back, from the support file shared with the gateway."""

    opening: OpeningHours
    window_hours: int
    windows_offered: int

    @classmethod
    def load(cls, path: Path = SUPPORT_FILE) -> SupportHours:
        """Reads the support file."""
        raw = read_support_file(path)
        callbacks = raw["callbacks"]
        return cls(OpeningHours.from_config(raw), int(callbacks["window_hours"]), int(callbacks["windows_offered"]))

    @property
    def timezone(self) -> ZoneInfo:
        """The support team's time zone."""
        return self.opening.timezone

    def opening_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """Opening and closing time on a day, or None when closed (no hours, or a public holiday)."""
        return self.opening.on(day)


@lru_cache(maxsize=1)
def support_hours() -> SupportHours:
    """The support hours (``SUPPORT_FILE``, by default data/support/handoff.yml), read once."""
    return SupportHours.load(support_file())


@dataclass(frozen=True)
class Window:
    """A time span in which an agent calls or writes back."""

    start: datetime
    end: datetime


def windows(hours: SupportHours, now: datetime) -> list[Window]:
    """The next windows: from the first whole hour at least 30 minutes away, never past closing time."""
    local = now.astimezone(hours.timezone)
    earliest = _next_whole_hour(local + LEAD_TIME)
    length = timedelta(hours=hours.window_hours)
    found: list[Window] = []
    for offset in range(LOOKAHEAD_DAYS):
        span = hours.opening_hours(earliest.date() + timedelta(days=offset))
        if span is None:
            continue
        start, closing = max(span[0], earliest), span[1]
        while start < closing and len(found) < hours.windows_offered:
            end = min(start + length, closing)
            found.append(Window(start, end))
            start = end
        if len(found) == hours.windows_offered:
            break
    return found


def window_starting(hours: SupportHours, start: datetime) -> Window | None:
    """The window that starts at ``start``, if support is open then."""
    local = start.astimezone(hours.timezone)
    span = hours.opening_hours(local.date())
    if span is None or not span[0] <= local < span[1]:
        return None
    return Window(local, min(local + timedelta(hours=hours.window_hours), span[1]))


@dataclass(frozen=True)
class LabelFormats:
    """How a window is named on its button, e.g. 'Today 14:00–16:00' or 'Mon 24 Nov 09:00–11:00'.

    The formats are domain responses (``utter_callback_window_label_today`` and so on) with
    ``{start}`` and ``{end}`` (datetimes, so ``{start:%H:%M}`` works) and ``{day}``, the date
    written as the language's locale writes dates.
    """

    today: str
    tomorrow: str
    day: str
    date_format: str
    weekdays: tuple[str, ...] = ()

    def label(self, window: Window, today: date) -> str:
        """The window's name as seen from ``today``."""
        day = window.start.date()
        template = self.today if day == today else self.tomorrow if day == today + timedelta(days=1) else self.day
        written = write_date(window.start, self.date_format, self.weekdays)
        return template.format(start=window.start, end=window.end, day=written)


def label_formats(domain: dict[str, Any], language: str, locale: Locale) -> LabelFormats:
    """The label formats in the conversation's language from the domain's responses and its locale."""
    return LabelFormats(
        today=response_text(domain, f"{LABEL_PREFIX}today", language),
        tomorrow=response_text(domain, f"{LABEL_PREFIX}tomorrow", language),
        day=response_text(domain, f"{LABEL_PREFIX}day", language),
        date_format=locale.date_format,
        weekdays=locale.weekdays,
    )


def ask_window(hours: SupportHours, now: datetime, formats: LabelFormats) -> Reply:
    """Asks for a window, with the next windows as buttons carrying their start time."""
    today = now.astimezone(hours.timezone).date()
    buttons = tuple(
        {
            "title": formats.label(window, today),
            "payload": f'/inform{{"{WINDOW}": "{window.start.isoformat()}"}}',
        }
        for window in windows(hours, now)
    )
    return Reply("utter_ask_callback_window", buttons=buttons)


def check_window(raw: Any, hours: SupportHours, now: datetime, formats: LabelFormats) -> Outcome:
    """Accepts the start of an offered window (a button), or a window's label typed out."""
    offered = {w.start: w for w in [*windows(hours, now - GRACE), *windows(hours, now)] if w.start > now}
    today = now.astimezone(hours.timezone).date()
    text = str(raw or "").strip()
    start = _parse_time(text)
    if start is None:
        typed = _plain(text)
        start = next((s for s, w in offered.items() if _plain(formats.label(w, today)) == typed), None)
        if start is None:
            return Outcome((Reply("utter_callback_window_invalid"),), {WINDOW: None})
    if start not in offered:
        return Outcome((Reply("utter_callback_window_unavailable"),), {WINDOW: None})
    return Outcome((), {WINDOW: offered[start].start.isoformat()})


def check_phone(raw: Any, region: str = DEFAULT_REGION) -> Outcome:
    """Accepts a valid phone number (mobile or landline, any country) and keeps it as E.164.

    Anything else gets a specific answer: not a number, too short, too long, an unknown
    country code, or not a valid number in its country.
    """
    text = str(raw or "").strip()
    found = next(iter(PhoneNumberMatcher(text, region, leniency=Leniency.VALID)), None)
    if found is not None:
        return Outcome((), {PHONE: phonenumbers.format_number(found.number, Format.E164)})
    return Outcome((Reply(f"utter_callback_phone_{phone_problem(text, region)}"),), {PHONE: None})


def phone_problem(text: str, region: str = DEFAULT_REGION) -> str:
    """What is wrong with a number that isn't valid: not_a_number, too_short, too_long, country_code or invalid."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as error:
        return {
            NumberParseException.INVALID_COUNTRY_CODE: "country_code",
            NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
            NumberParseException.TOO_SHORT_NSN: "too_short",
            NumberParseException.TOO_LONG: "too_long",
        }.get(error.error_type, "not_a_number")
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason in (Possible.TOO_SHORT, Possible.IS_POSSIBLE_LOCAL_ONLY):
        return "too_short"
    if reason == Possible.TOO_LONG:
        return "too_long"
    if reason == Possible.INVALID_COUNTRY_CODE:
        return "country_code"
    return _length_problem(number) or "invalid"


def phone_ending(phone: str) -> str:
    """The last four digits of a number, all a confirmation shows of it: '+821012345678' gives '5678'."""
    return "".join(char for char in phone if char.isdigit())[-4:]


def check_email(raw: Any) -> Outcome:
    """Accepts an email address (checked as for order verification); an empty value means 'no thanks'."""
    if raw == "":
        return Outcome((), {EMAIL: ""})
    email = str(raw or "").strip().strip("<>").lower()
    if not verification.EMAIL.match(email):
        return Outcome(
            (Reply("utter_callback_email_invalid", {"value": str(raw)[: verification.ECHO_LIMIT]}),), {EMAIL: None}
        )
    return Outcome((), {EMAIL: email})


def ask_email(known_email: str | None) -> Reply:
    """Asks where to email the answer, offering the address we already know as a button."""
    if not known_email:
        return Reply("utter_ask_callback_email")
    return Reply("utter_ask_callback_email_known", {"email": known_email})


def check_method(raw: Any) -> dict[str, Any]:
    """Accepts 'phone' or 'message'."""
    return {METHOD: raw if raw in METHODS else None}


def channel_of(sender_id: str, latest_message: dict[str, Any]) -> str:
    """The customer's channel: the gateway's ``channel`` metadata, else told by the sender id."""
    channel = (latest_message.get("metadata") or {}).get("channel")
    if isinstance(channel, str) and channel:
        return channel
    return "web" if sender_id.startswith(WEB_SENDER_PREFIX) else "other"


def required_slots(method: str | None, channel: str, mail: bool) -> list[str]:
    """What to ask: the number for a call; for a message on the web, an email in case the widget is closed.

    The email is asked only when ``mail`` is configured (SMTP_HOST): the gateway mails the answer then.
    """
    slots = [METHOD]
    if method == "phone":
        slots.append(PHONE)
    elif method == "message" and channel == "web" and mail:
        slots.append(EMAIL)
    return [*slots, WINDOW]


def starting_over(active_loop: dict[str, Any] | None, latest_message: dict[str, Any]) -> bool:
    """True while the form is being activated by the latest message.

    Rasa then validates the form's slots that are already filled, which can only be
    answers left from an earlier request that was never finished (the slots are filled
    only while the form is active).
    """
    trigger = (active_loop or {}).get("trigger_message") or {}
    latest = latest_message.get("message_id")
    return not (active_loop or {}).get("name") or (latest is not None and trigger.get("message_id") == latest)


def clear_callback_slots() -> dict[str, Any]:
    """Slot values that end a callback request."""
    return {slot: None for slot in CALLBACK_SLOTS}


@dataclass(frozen=True)
class Booking:
    """A confirmed callback: what the customer is told and what the gateway is asked to do."""

    reply: Reply
    request: dict[str, Any]


def book(slots: dict[str, Any], hours: SupportHours, now: datetime, formats: LabelFormats) -> Booking | None:
    """The confirmation and the gateway's ``callback`` payload, once the form has every answer."""
    method, phone, email = slots.get(METHOD), slots.get(PHONE) or None, slots.get(EMAIL) or None
    start = _parse_time(str(slots.get(WINDOW) or ""))
    window = window_starting(hours, start) if start else None
    if method not in METHODS or window is None or (method == "phone" and not phone):
        return None
    if method == "message":
        phone = None
    else:
        email = None
    label = formats.label(window, now.astimezone(hours.timezone).date())
    # The confirmation is stored in the transcript, where contact details are redacted: it shows
    # them masked. The gateway's request keeps them in full for the callback record.
    if phone:
        reply = Reply("utter_callback_booked_phone", {"window": label, "phone_end": phone_ending(phone)})
    elif email:
        masked = verification.mask_email(email)
        reply = Reply("utter_callback_booked_message_email", {"window": label, "masked_email": masked})
    else:
        reply = Reply("utter_callback_booked_message", {"window": label})
    request = {
        "callback": {
            "method": method,
            "phone": phone,
            "email": email,
            "window_start": window.start.isoformat(),
            "window_end": window.end.isoformat(),
            "window_label": label,
        }
    }
    return Booking(reply, request)


def _next_whole_hour(moment: datetime) -> datetime:
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _plain(text: str) -> str:
    return " ".join(text.replace("-", "–").replace("—", "–").casefold().split())


def _length_problem(number: PhoneNumber) -> str | None:
    """Too short or too long for every mobile and landline number of the number's country."""
    region = phonenumbers.region_code_for_country_code(number.country_code or 0)
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return None
    lengths = [
        length
        for desc in (metadata.fixed_line, metadata.mobile)
        if desc is not None
        for length in desc.possible_length or ()
        if length > 0
    ]
    digits = len(phonenumbers.national_significant_number(number))
    if lengths and digits < min(lengths):
        return "too_short"
    if lengths and digits > max(lengths):
        return "too_long"
    return None
