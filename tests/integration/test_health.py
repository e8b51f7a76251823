"""GET /health for a load balancer: each dependency on its own, 200 only when all are up, the same JSON either way."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.stack import RASA_TOKEN, Stack, free_port, rasa_headers

pytestmark = pytest.mark.integration
DEPENDENCY_KEYS = {"up", "latency_ms", "error"}


def shape(report: dict[str, Any]) -> dict[str, Any]:
    """The report's keys, and each dependency's."""
    return {"top": sorted(report), **{name: sorted(dep) for name, dep in report["dependencies"].items()}}


def test_every_dependency_is_reported_with_rasa_s_loaded_model(stack: Stack) -> None:
    response = httpx.get(f"{stack.gateway_url}/health", timeout=5)
    report = response.json()
    status = httpx.get(f"{stack.rasa_url}/status", headers=rasa_headers(), timeout=5).json()
    assert (response.status_code, report["status"]) == (200, "ok")
    assert (report["redis"], report["rasa"], report["actions"]) == (True, True, True)
    dependencies = report["dependencies"]
    assert {name: set(dep) for name, dep in dependencies.items()} == {
        "redis": DEPENDENCY_KEYS,
        "rasa": DEPENDENCY_KEYS | {"model_id", "model_file"},
        "actions": DEPENDENCY_KEYS,
    }
    assert all(dep["up"] and dep["error"] is None and 0 < dep["latency_ms"] < 1000 for dep in dependencies.values())
    assert (dependencies["rasa"]["model_id"], dependencies["rasa"]["model_file"]) == (
        status["model_id"],
        status["model_file"],
    )
    assert RASA_TOKEN not in response.text


def test_a_dead_action_server_or_rasa_gives_503_with_the_same_report(stack: Stack) -> None:
    healthy = httpx.get(f"{stack.gateway_url}/health", timeout=5).json()
    port = free_port()
    stack.start_gateway(
        name="gateway-dead-deps",
        GATEWAY_PORT=str(port),
        TELEGRAM_TOKEN="",
        ACTIONS_URL=f"http://127.0.0.1:{free_port()}",
        RASA_URL=f"http://127.0.0.1:{free_port()}",
    )
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5)
    finally:
        stack.stop("gateway-dead-deps")
    report = response.json()
    assert (response.status_code, report["status"]) == (503, "degraded")
    assert (report["redis"], report["rasa"], report["actions"]) == (True, False, False)
    assert shape(report) == shape(healthy)
    rasa, actions = report["dependencies"]["rasa"], report["dependencies"]["actions"]
    assert (rasa["latency_ms"], rasa["model_id"], rasa["model_file"]) == (None, None, None)
    assert rasa["error"] == "RasaUnavailable: Rasa /status failed: ConnectError"
    assert (actions["latency_ms"], actions["error"]) == (None, "ConnectError: All connection attempts failed")
