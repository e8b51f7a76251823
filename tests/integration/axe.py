"""axe-core in a Playwright page: inject it, run it, return the violations (shared by the browser tests).

axe.min.js comes from the ``axe-playwright-python`` wheel (pinned in constraints.txt), so nothing is
fetched at run time. The pages' Content-Security-Policy allows no inline script: run axe in a
context made with ``bypass_csp=True``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import axe_playwright_python
from playwright.sync_api import Page

AXE_SCRIPT = Path(axe_playwright_python.__file__).resolve().parent / "axe.min.js"


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now: each rule's id, impact, help and the offending targets."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in found
    ]
