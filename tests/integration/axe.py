"""axe-core in a Playwright page: the accessibility rules a page breaks.

axe.min.js comes in the wheel of axe-playwright-python (pinned in constraints.txt); nothing is
downloaded. It is added as a script tag, which a strict Content-Security-Policy refuses: run it
in a browser context made with ``bypass_csp=True``.
"""

from __future__ import annotations

from typing import Any

from axe_playwright_python.base import AXE_FILE_PATH
from playwright.sync_api import Page


def violations(page: Page) -> list[dict[str, Any]]:
    """What ``axe.run()`` finds on the page as it is now: each rule's id and the elements (targets) breaking it."""
    page.add_script_tag(path=AXE_FILE_PATH)
    results: dict[str, Any] = page.evaluate("axe.run()")
    return [
        {"id": violation["id"], "targets": [node["target"] for node in violation["nodes"]]}
        for violation in results["violations"]
    ]
