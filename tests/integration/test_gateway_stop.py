"""A gateway started from a shell with scripts/lib.sh and stopped by its pid file lets go of its port."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.integration.stack import ROOT, Stack, _accepts, free_port, wait_until

pytestmark = pytest.mark.integration
# As an operator runs a second gateway: the shared shell set-up, the gateway in the background, its pid kept.
START = 'source scripts/lib.sh && { python -m bot >"$1" 2>&1 & echo $! >"$2"; }'


def refuses(port: int) -> bool:
    """Whether nothing listens on the port any more."""
    try:
        _accepts(port)
    except OSError:
        return True
    return False


def test_a_gateway_stopped_by_its_pid_file_frees_its_port(stack: Stack, tmp_path: Path) -> None:
    port = free_port()
    pid_file = tmp_path / "gateway.pid"
    env = {**stack.env(), "GATEWAY_PORT": str(port)}
    log = tmp_path / "gateway.log"
    subprocess.run(["bash", "-c", START, "start", str(log), str(pid_file)], cwd=ROOT, env=env, check=True)
    health = f"http://127.0.0.1:{port}/health"
    wait_until(lambda: httpx.get(health, timeout=5).status_code in (200, 503), 30, "second gateway")

    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: refuses(port), 20, "the port to be free")
