"""Callbacks: time windows, phone and email checks, the form and its actions against tracker fixtures."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import actions, callbacks, forms
from actions.callbacks import LabelFormats, SupportHours, Window
from actions.locale import locale_for
from actions.replies import Outcome, Reply, response_text
from actions.runtime import Services
from support.hours import OpeningHours
from support.mail import Mailer, MailSettings
from tests.conftest import ROOT, load_tracker, sent

SEOUL = ZoneInfo("Asia/Seoul")
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
# data/support/handoff.yml as it is: Mon-Fri 09-18, Sat 10-14, Korean public holidays closed,
# three windows of two hours.
HOURS = SupportHours(
    opening=OpeningHours(
        timezone=SEOUL,
        hours={day: (time(9), time(18)) for day in range(5)} | {5: (time(10), time(14))},
        holiday_country="KR",
    ),
    window_hours=2,
    windows_offered=3,
)
FORMATS = LabelFormats(
    today="Today {start:%H:%M}–{end:%H:%M}",
    tomorrow="Tomorrow {start:%H:%M}–{end:%H:%M}",
    day="{day} {start:%H:%M}–{end:%H:%M}",
    date_format="%a %-d %b",
)
# Wednesday 18 November 2026, mid-morning (conftest's TODAY).
NOW = datetime(2026, 11, 18, 10, 10, tzinfo=SEOUL)
CLEARED = [
    SlotSet("callback_method", None),
    SlotSet("callback_phone", None),
    SlotSet("callback_email", None),
    SlotSet("callback_window", None),
]


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SEOUL)


def labels(now: datetime) -> list[str]:
    return [FORMATS.label(w, now.date()) for w in callbacks.windows(HOURS, now)]


def response(name: str, **values: Any) -> dict[str, Any]:
    return {"template": name, "response": name, **values}


@pytest.fixture
def clock(services: Services) -> Services:
    """The test services with the clock at NOW."""
    services.now = lambda: NOW
    return services


@pytest.fixture
def mail_configured(clock: Services) -> Services:
    """The test services with a mailer (never used: nothing here sends)."""
    clock.verifier = replace(clock.verifier, mailer=Mailer(MailSettings("127.0.0.1", 25, "help@maru.example")))
    return clock


# --- support hours and windows --------------------------------------------------------------


def test_support_hours_come_from_the_shared_file() -> None:
    assert SupportHours.load() == HOURS


def test_weekday_morning_starts_at_the_next_whole_hour_after_half_an_hour() -> None:
    assert callbacks.windows(HOURS, at(11, 18, 10, 10)) == [
        Window(at(11, 18, 11), at(11, 18, 13)),
        Window(at(11, 18, 13), at(11, 18, 15)),
        Window(at(11, 18, 15), at(11, 18, 17)),
    ]
    assert labels(at(11, 18, 10, 10)) == ["Today 11:00–13:00", "Today 13:00–15:00", "Today 15:00–17:00"]


def test_exactly_half_an_hour_before_a_whole_hour_starts_at_that_hour() -> None:
    assert labels(at(11, 18, 10, 30))[0] == "Today 11:00–13:00"


def test_before_opening_the_first_window_starts_at_opening() -> None:
    assert labels(at(11, 18, 6, 45)) == ["Today 09:00–11:00", "Today 11:00–13:00", "Today 13:00–15:00"]


def test_late_afternoon_continues_the_next_morning() -> None:
    assert labels(at(11, 18, 15, 20)) == ["Today 16:00–18:00", "Tomorrow 09:00–11:00", "Tomorrow 11:00–13:00"]


def test_a_window_never_crosses_closing_time() -> None:
    assert callbacks.windows(HOURS, at(11, 18, 16, 20))[0] == Window(at(11, 18, 17), at(11, 18, 18))
    assert labels(at(11, 18, 16, 20)) == ["Today 17:00–18:00", "Tomorrow 09:00–11:00", "Tomorrow 11:00–13:00"]


def test_too_close_to_closing_starts_the_next_working_day() -> None:
    assert labels(at(11, 18, 16, 40)) == ["Tomorrow 09:00–11:00", "Tomorrow 11:00–13:00", "Tomorrow 13:00–15:00"]


def test_friday_evening_offers_saturdays_short_hours_then_monday() -> None:
    assert labels(at(11, 20, 19, 5)) == ["Tomorrow 10:00–12:00", "Tomorrow 12:00–14:00", "Mon 23 Nov 09:00–11:00"]


def test_saturday_after_closing_skips_sunday() -> None:
    assert labels(at(11, 21, 14, 30)) == ["Mon 23 Nov 09:00–11:00", "Mon 23 Nov 11:00–13:00", "Mon 23 Nov 13:00–15:00"]


def test_korean_public_holiday_is_skipped() -> None:
    # Friday 25 December 2026 is Christmas Day, a public holiday in Korea.
    assert labels(at(12, 24, 17, 40)) == ["Sat 26 Dec 10:00–12:00", "Sat 26 Dec 12:00–14:00", "Mon 28 Dec 09:00–11:00"]


def test_window_times_are_korean_time_whatever_the_clock_zone() -> None:
    utc = datetime(2026, 11, 18, 1, 10, tzinfo=ZoneInfo("UTC"))
    assert callbacks.windows(HOURS, utc)[0].start.isoformat() == "2026-11-18T11:00:00+09:00"


def test_window_starting_at_a_time_ends_with_its_window() -> None:
    assert callbacks.window_starting(HOURS, at(11, 18, 17)) == Window(at(11, 18, 17), at(11, 18, 18))
    assert callbacks.window_starting(HOURS, at(11, 22, 10)) is None
    assert callbacks.window_starting(HOURS, at(11, 18, 18)) is None


# --- labels from the domain ------------------------------------------------------------------


def test_label_formats_come_from_the_domain_responses() -> None:
    assert callbacks.label_formats(DOMAIN, "en", locale_for("en")) == FORMATS


def test_korean_labels_name_the_weekday_in_korean() -> None:
    formats = callbacks.label_formats(DOMAIN, "ko", locale_for("ko"))
    monday = datetime(2026, 11, 23, 9, tzinfo=SEOUL)
    window = Window(monday, monday.replace(hour=11))
    assert formats.label(window, today=NOW.date()) == "11월 23일 (월) 09:00~11:00"
    assert formats.label(window, today=monday.date()) == "오늘 09:00~11:00"


def test_a_language_variation_of_a_label_is_preferred() -> None:
    domain = {
        "responses": {
            "utter_callback_window_label_today": [
                {"text": "Today {start:%H:%M}"},
                {"text": "오늘 {start:%H:%M}", "condition": [{"type": "slot", "name": "language", "value": "ko"}]},
            ]
        }
    }
    assert response_text(domain, "utter_callback_window_label_today", "ko") == "오늘 {start:%H:%M}"
    assert response_text(domain, "utter_callback_window_label_today", "en") == "Today {start:%H:%M}"
    assert response_text(domain, "utter_missing", "en") == ""


# --- choosing a window -----------------------------------------------------------------------


def test_window_question_offers_buttons_with_the_start_time() -> None:
    assert callbacks.ask_window(HOURS, NOW, FORMATS) == Reply(
        "utter_ask_callback_window",
        buttons=(
            {"title": "Today 11:00–13:00", "payload": '/inform{"callback_window": "2026-11-18T11:00:00+09:00"}'},
            {"title": "Today 13:00–15:00", "payload": '/inform{"callback_window": "2026-11-18T13:00:00+09:00"}'},
            {"title": "Today 15:00–17:00", "payload": '/inform{"callback_window": "2026-11-18T15:00:00+09:00"}'},
        ),
    )


def test_offered_window_is_accepted() -> None:
    assert callbacks.check_window("2026-11-18T13:00:00+09:00", HOURS, NOW, FORMATS) == Outcome(
        (), {"callback_window": "2026-11-18T13:00:00+09:00"}
    )


def test_the_same_time_in_another_zone_is_the_same_window() -> None:
    outcome = callbacks.check_window("2026-11-18T04:00:00+00:00", HOURS, NOW, FORMATS)
    assert outcome.slots == {"callback_window": "2026-11-18T13:00:00+09:00"}


def test_typed_label_is_accepted() -> None:
    outcome = callbacks.check_window("today 15:00-17:00", HOURS, NOW, FORMATS)
    assert outcome.slots == {"callback_window": "2026-11-18T15:00:00+09:00"}


def test_other_text_asks_again() -> None:
    assert callbacks.check_window("tomorrow morning", HOURS, NOW, FORMATS) == Outcome(
        (Reply("utter_callback_window_invalid"),), {"callback_window": None}
    )


def test_a_time_that_is_not_offered_asks_again() -> None:
    for start in ("2026-11-18T12:00:00+09:00", "2026-11-18T10:00:00+09:00", "2026-11-18T14:00:00"):
        outcome = callbacks.check_window(start, HOURS, NOW, FORMATS)
        assert outcome.slots == {"callback_window": None}
    assert callbacks.check_window("2026-11-18T12:00:00+09:00", HOURS, NOW, FORMATS).replies == (
        Reply("utter_callback_window_unavailable"),
    )


def test_a_button_pressed_a_little_later_still_books_until_a_quarter_hour_before() -> None:
    offered_at_ten = "2026-11-18T11:00:00+09:00"
    assert callbacks.check_window(offered_at_ten, HOURS, at(11, 18, 10, 45), FORMATS).slots == {
        "callback_window": offered_at_ten
    }
    assert callbacks.check_window(offered_at_ten, HOURS, at(11, 18, 10, 46), FORMATS).replies == (
        Reply("utter_callback_window_unavailable"),
    )


# --- phone numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("010-1234-5678", "+821012345678"),
        ("+82 10-1234-5678", "+821012345678"),
        ("01012345678", "+821012345678"),
        ("my number is 010 1234 5678, thanks", "+821012345678"),
        ("02-123-4567", "+8221234567"),
        ("+1 415 555 0123", "+14155550123"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_valid_numbers_are_kept_as_e164(typed: str, e164: str) -> None:
    assert callbacks.check_phone(typed) == Outcome((), {"callback_phone": e164})


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("call me maybe", "not_a_number"),
        ("", "not_a_number"),
        ("123", "too_short"),
        ("+82 1", "too_short"),
        ("010-1234-56789012", "too_long"),
        ("+1 415 555 01234567", "too_long"),
        ("+999 1234 5678", "country_code"),
        ("1234-5678", "invalid"),
        ("+82 10 1234", "invalid"),
    ],
)
def test_invalid_numbers_get_a_specific_answer(typed: str, problem: str) -> None:
    assert callbacks.check_phone(typed) == Outcome(
        (Reply(f"utter_callback_phone_{problem}"),), {"callback_phone": None}
    )


def test_every_phone_problem_has_a_response() -> None:
    problems = ("not_a_number", "too_short", "too_long", "country_code", "invalid")
    assert all(f"utter_callback_phone_{p}" in DOMAIN["responses"] for p in problems)


@pytest.mark.parametrize(
    ("phone", "ending"),
    [("+821012345678", "5678"), ("+14155550123", "0123"), ("+82 10-9876-5432", "5432")],
)
def test_a_confirmation_shows_only_the_last_four_digits(phone: str, ending: str) -> None:
    assert callbacks.phone_ending(phone) == ending


# --- email -----------------------------------------------------------------------------------


def test_email_is_checked_like_the_order_email() -> None:
    assert callbacks.check_email(" <Mina.Kim@Example.com> ") == Outcome((), {"callback_email": "mina.kim@example.com"})
    assert callbacks.check_email("mina at example") == Outcome(
        (Reply("utter_callback_email_invalid", {"value": "mina at example"}),), {"callback_email": None}
    )


def test_no_thanks_leaves_the_email_empty() -> None:
    assert callbacks.check_email("") == Outcome((), {"callback_email": ""})


def test_known_email_is_offered() -> None:
    assert callbacks.ask_email("mina.kim@example.com") == Reply(
        "utter_ask_callback_email_known", {"email": "mina.kim@example.com"}
    )
    assert callbacks.ask_email(None) == Reply("utter_ask_callback_email")


# --- what the form asks ----------------------------------------------------------------------


def test_channel_comes_from_the_metadata_then_the_sender() -> None:
    assert callbacks.channel_of("tg-4242", {"metadata": {"channel": "telegram"}}) == "telegram"
    assert callbacks.channel_of("web-7f3a9c", {"metadata": {"channel": "web"}}) == "web"
    assert callbacks.channel_of("web-7f3a9c", {}) == "web"
    assert callbacks.channel_of("tg-4242", {"metadata": None}) == "other"


@pytest.mark.parametrize(
    ("method", "channel", "slots"),
    [
        (None, "web", ["callback_method", "callback_window"]),
        ("phone", "web", ["callback_method", "callback_phone", "callback_window"]),
        ("phone", "telegram", ["callback_method", "callback_phone", "callback_window"]),
        ("message", "web", ["callback_method", "callback_email", "callback_window"]),
        ("message", "telegram", ["callback_method", "callback_window"]),
    ],
)
def test_form_asks_only_what_the_method_and_channel_need(method: str | None, channel: str, slots: list[str]) -> None:
    assert callbacks.required_slots(method, channel, mail=True) == slots


def test_without_mail_no_email_is_asked() -> None:
    assert callbacks.required_slots("message", "web", mail=False) == ["callback_method", "callback_window"]
    assert callbacks.required_slots("phone", "web", mail=False) == [
        "callback_method",
        "callback_phone",
        "callback_window",
    ]


# --- the booking -------------------------------------------------------------------------------


def test_phone_booking_confirms_and_asks_the_gateway() -> None:
    answers = {
        "callback_method": "phone",
        "callback_phone": "+821012345678",
        "callback_email": None,
        "callback_window": "2026-11-18T17:00:00+09:00",
    }
    booking = callbacks.book(answers, HOURS, NOW, FORMATS)
    assert booking == callbacks.Booking(
        Reply("utter_callback_booked_phone", {"window": "Today 17:00–18:00", "phone_end": "5678"}),
        {
            "callback": {
                "method": "phone",
                "phone": "+821012345678",
                "email": None,
                "window_start": "2026-11-18T17:00:00+09:00",
                "window_end": "2026-11-18T18:00:00+09:00",
                "window_label": "Today 17:00–18:00",
            }
        },
    )


def test_message_booking_without_email() -> None:
    answers = {"callback_method": "message", "callback_email": "", "callback_window": "2026-11-23T09:00:00+09:00"}
    booking = callbacks.book(answers, HOURS, NOW, FORMATS)
    assert booking is not None
    assert booking.reply == Reply("utter_callback_booked_message", {"window": "Mon 23 Nov 09:00–11:00"})
    assert booking.request["callback"] == {
        "method": "message",
        "phone": None,
        "email": None,
        "window_start": "2026-11-23T09:00:00+09:00",
        "window_end": "2026-11-23T11:00:00+09:00",
        "window_label": "Mon 23 Nov 09:00–11:00",
    }


def test_incomplete_answers_book_nothing() -> None:
    assert callbacks.book({"callback_method": "phone", "callback_window": NOW.isoformat()}, HOURS, NOW, FORMATS) is None
    assert callbacks.book({"callback_method": "message", "callback_window": "soon"}, HOURS, NOW, FORMATS) is None
    assert callbacks.book({"callback_method": None}, HOURS, NOW, FORMATS) is None


# --- the form's validation action ------------------------------------------------------------


async def test_method_question_comes_first(clock: Services) -> None:
    required = await forms.ValidateCallbackForm().required_slots(
        [], CollectingDispatcher(), load_tracker("callback_asking_method"), DOMAIN
    )
    assert required == ["callback_method", "callback_window"]


async def test_message_on_the_web_asks_for_an_email(mail_configured: Services) -> None:
    required = await forms.ValidateCallbackForm().required_slots(
        [], CollectingDispatcher(), load_tracker("callback_asking_email"), DOMAIN
    )
    assert required == ["callback_method", "callback_email", "callback_window"]


async def test_message_on_the_web_without_mail_skips_the_email(clock: Services) -> None:
    required = await forms.ValidateCallbackForm().required_slots(
        [], CollectingDispatcher(), load_tracker("callback_asking_email"), DOMAIN
    )
    assert required == ["callback_method", "callback_window"]


async def test_message_on_telegram_skips_the_email(clock: Services) -> None:
    required = await forms.ValidateCallbackForm().required_slots(
        [], CollectingDispatcher(), load_tracker("callback_telegram_message"), DOMAIN
    )
    assert required == ["callback_method", "callback_window"]


async def test_method_from_a_button_is_accepted(clock: Services) -> None:
    form, tracker = forms.ValidateCallbackForm(), load_tracker("callback_asking_method")
    assert await form.validate_callback_method("phone", CollectingDispatcher(), tracker, DOMAIN) == {
        "callback_method": "phone"
    }
    assert await form.validate_callback_method("fax", CollectingDispatcher(), tracker, DOMAIN) == {
        "callback_method": None
    }


async def test_too_long_number_is_refused_with_its_reason(clock: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateCallbackForm().validate_callback_phone(
        "010 1234 567890123", dispatcher, load_tracker("callback_asking_phone"), DOMAIN
    )
    assert slots == {"callback_phone": None}
    assert sent(dispatcher.messages) == [response("utter_callback_phone_too_long")]


async def test_valid_number_is_stored_as_e164(clock: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateCallbackForm().validate_callback_phone(
        "+82 10-1234-5678", dispatcher, load_tracker("callback_asking_phone"), DOMAIN
    )
    assert slots == {"callback_phone": "+821012345678"}
    assert dispatcher.messages == []


async def test_invalid_email_is_refused_with_the_way_out(clock: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateCallbackForm().validate_callback_email(
        "mina@", dispatcher, load_tracker("callback_asking_email"), DOMAIN
    )
    assert slots == {"callback_email": None}
    assert sent(dispatcher.messages) == [response("utter_callback_email_invalid", value="mina@")]


async def test_typed_window_that_is_not_offered_asks_again(clock: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateCallbackForm().validate_callback_window(
        "tomorrow morning", dispatcher, load_tracker("callback_asking_window"), DOMAIN
    )
    assert slots == {"callback_window": None}
    assert sent(dispatcher.messages) == [response("utter_callback_window_invalid")]


async def test_window_button_is_accepted(clock: Services) -> None:
    dispatcher = CollectingDispatcher()
    slots = await forms.ValidateCallbackForm().validate_callback_window(
        "2026-11-18T15:00:00+09:00", dispatcher, load_tracker("callback_asking_window"), DOMAIN
    )
    assert slots == {"callback_window": "2026-11-18T15:00:00+09:00"}
    assert dispatcher.messages == []


async def test_a_new_request_forgets_an_unfinished_one(clock: Services) -> None:
    dispatcher = CollectingDispatcher()
    events = await forms.ValidateCallbackForm().run(dispatcher, load_tracker("callback_restarted"), DOMAIN)
    assert events == [SlotSet("callback_method", None), SlotSet("callback_phone", None)]
    assert dispatcher.messages == []


def test_only_the_message_that_starts_the_form_starts_over() -> None:
    loop = {"name": "callback_form", "trigger_message": {"message_id": "a1"}}
    assert callbacks.starting_over(loop, {"message_id": "a1"})
    assert callbacks.starting_over(None, {"message_id": "b2"})
    assert not callbacks.starting_over(loop, {"message_id": "b2"})
    assert not callbacks.starting_over(loop, {})


# --- the actions ---------------------------------------------------------------------------------


async def run(action: Any, tracker_name: str, **slots: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, load_tracker(tracker_name, **slots), DOMAIN)
    return sent(dispatcher.messages), events


async def test_window_question_has_the_next_windows_as_buttons(clock: Services) -> None:
    messages, events = await run(actions.ActionAskCallbackWindow(), "callback_asking_window")
    assert messages == [
        response(
            "utter_ask_callback_window",
            buttons=[
                {"title": "Today 11:00–13:00", "payload": '/inform{"callback_window": "2026-11-18T11:00:00+09:00"}'},
                {"title": "Today 13:00–15:00", "payload": '/inform{"callback_window": "2026-11-18T13:00:00+09:00"}'},
                {"title": "Today 15:00–17:00", "payload": '/inform{"callback_window": "2026-11-18T15:00:00+09:00"}'},
            ],
        )
    ]
    assert events == []


async def test_email_question_offers_the_known_address(clock: Services) -> None:
    messages, events = await run(actions.ActionAskCallbackEmail(), "callback_asking_email")
    assert messages == [response("utter_ask_callback_email_known", email="mina.kim@example.com")]
    assert events == []
    messages, _ = await run(actions.ActionAskCallbackEmail(), "callback_asking_email", email=None)
    assert messages == [response("utter_ask_callback_email")]


async def test_phone_callback_is_confirmed_and_sent_to_the_gateway(clock: Services) -> None:
    messages, events = await run(actions.ActionSubmitCallback(), "callback_phone_complete")
    assert messages == [
        response("utter_callback_booked_phone", window="Today 14:00–16:00", phone_end="5678"),
        {
            "custom": {
                "callback": {
                    "method": "phone",
                    "phone": "+821012345678",
                    "email": None,
                    "window_start": "2026-11-18T14:00:00+09:00",
                    "window_end": "2026-11-18T16:00:00+09:00",
                    "window_label": "Today 14:00–16:00",
                }
            }
        },
    ]
    assert events == CLEARED


async def test_message_callback_with_email_is_confirmed_and_sent_to_the_gateway(clock: Services) -> None:
    messages, events = await run(actions.ActionSubmitCallback(), "callback_message_complete")
    assert messages == [
        response(
            "utter_callback_booked_message_email", window="Tomorrow 09:00–11:00", masked_email="mi•••@example.com"
        ),
        {
            "custom": {
                "callback": {
                    "method": "message",
                    "phone": None,
                    "email": "mina.kim@example.com",
                    "window_start": "2026-11-19T09:00:00+09:00",
                    "window_end": "2026-11-19T11:00:00+09:00",
                    "window_label": "Tomorrow 09:00–11:00",
                }
            }
        },
    ]
    assert events == CLEARED


async def test_stopping_books_nothing_and_forgets_the_answers(clock: Services) -> None:
    messages, events = await run(actions.ActionStopCallback(), "callback_stopped")
    assert messages == [response("utter_callback_stopped")]
    assert events == CLEARED
