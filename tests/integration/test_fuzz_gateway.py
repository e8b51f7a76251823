"""Hypothesis-generated input on every route and socket of a gateway of its own: no 5xx and nothing unhandled.

The strategies are ``scripts/fuzz_gateway.py``'s, with a fixed number of cases per target and
derandomized, so every run sends the same cases. The gateway has its own log (read for
tracebacks afterwards), its own Telegram double and a metrics token, so the fuzzed chats'
replies never reach the other tests' double.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.fuzz_gateway import Fuzz, log_problems, run_target, targets
from tests.integration.stack import ROOT, STORE_LOGIN_SECRET, TELEGRAM_SECRET, Stack, free_port
from tests.integration.telegram_double import BotApiDouble

pytestmark = pytest.mark.integration
NAME = "gateway-fuzz"
AGENT, EDITOR, PASSWORD = "fuzz_agent", "fuzz_editor", "integration-password"
KNOWLEDGE = ROOT / "data" / "knowledge"
# Cases per target: about 60 s in all on a 2-core machine (a socket frame waits for Rasa's turn).
EXAMPLES = {
    "POST /web/session": 180,
    "web socket frames": 60,
    "web socket handshake": 90,
    "socket routes, plain HTTP": 120,
    "console API (agent)": 220,
    "editor API (editor)": 90,
    "editor notices (invalid)": 150,
    "dashboard API and exports": 150,
    "Telegram webhook": 180,
    "Telegram webhook, wrong secret": 120,
    "GET /metrics": 120,
    "POST /console/login": 120,
}


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[tuple[str, Path]]:
    """The fuzzed gateway's URL and its log file."""
    double = BotApiDouble()
    double.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stack.add_user(AGENT, "agent", "Fuzz Agent", PASSWORD)
    stack.add_user(EDITOR, "editor", "Fuzz Editor", PASSWORD)
    stack.start_gateway(
        name=NAME, GATEWAY_PORT=str(port), PUBLIC_URL=url, TELEGRAM_API_URL=double.url, METRICS_TOKEN="fuzz-metrics"
    )
    yield url, stack.workdir / f"{NAME}.log"
    stack.stop(NAME)
    double.stop()


@pytest.mark.usefixtures("browser_queue_left_as_found")
def test_generated_input_gets_no_server_error_and_no_unhandled_exception(
    gateway: tuple[str, Path], tmp_path: Path
) -> None:
    url, log = gateway
    knowledge = {path: path.read_bytes() for path in KNOWLEDGE.glob("*/*.yml")}
    log_offset = log.stat().st_size
    failures = tmp_path / "failures.jsonl"
    with Fuzz(url, (AGENT, PASSWORD), (EDITOR, PASSWORD), TELEGRAM_SECRET, STORE_LOGIN_SECRET, failures) as fuzz:
        notices = fuzz.http["editor"].get("/editor/api/notices").json()
        found = targets(fuzz)
        for target in found:
            run_target(fuzz, target, EXAMPLES[target.name], derandomize=True)
        assert fuzz.http["editor"].get("/editor/api/notices").json() == notices

    assert {t.name: t.tally.failures for t in found} == dict.fromkeys(EXAMPLES, 0), failures.read_text()[:5000]
    assert {t.name: t.tally.cases for t in found} == EXAMPLES
    assert log_problems(log, log_offset) == []
    assert {path: path.read_bytes() for path in KNOWLEDGE.glob("*/*.yml")} == knowledge
