"""How dates are written in each language (data/locale.yml), for the gateway and the actions alike."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LOCALE_FILE = Path(__file__).resolve().parent.parent / "data" / "locale.yml"


@lru_cache(maxsize=1)
def _locales() -> dict[str, dict[str, Any]]:
    return dict(yaml.safe_load(LOCALE_FILE.read_text(encoding="utf-8")))


def locale_settings(language: str) -> dict[str, Any]:
    """A language's entry of data/locale.yml, English for a language without one."""
    locales = _locales()
    return dict(locales.get(language, locales["en"]))


def write_date(value: date, date_format: str, weekdays: tuple[str, ...] | list[str] = ()) -> str:
    """``strftime`` with the weekday (``%a``) named from ``weekdays`` when given."""
    if weekdays:
        date_format = date_format.replace("%a", weekdays[value.weekday()])
    return value.strftime(date_format)


def write_moment(value: datetime, language: str) -> str:
    """A date and time as the language writes them: 'Tue 8 Dec 09:00', '12월 8일 (화) 09:00'."""
    settings = locale_settings(language)
    return f"{write_date(value, settings['date_format'], settings.get('weekdays') or ())} {value:%H:%M}"
