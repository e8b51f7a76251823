"""Canned replies for agents, from ``data/support/canned.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def canned_replies(path: Path, language: str, agent: str) -> list[dict[str, str]]:
    """The replies of a language with the agent's name filled in."""
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        {"title": str(item["title"]), "text": str(item["text"]).replace("{agent}", agent)}
        for item in raw.get(language) or []
    ]
