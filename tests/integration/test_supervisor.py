"""`make run`'s supervisor, with the real scripts/supervisord.conf.

It starts every process, starts again one that is killed, and stops them all on SIGTERM
(what Ctrl-C on `make run` leads to).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from actions.store import build_database
from tests.integration.stack import MODEL, ROOT, Stack, wait_until

pytestmark = pytest.mark.integration
CONFIG = ROOT / "scripts" / "supervisord.conf"
PROGRAMS = ("redis", "actions", "rasa", "gateway")


class Supervised:
    """supervisord with the project's configuration, on free ports, in a scratch directory."""

    def __init__(self, workdir: Path) -> None:
        self.ports = Stack(workdir)
        build_database(workdir / "store.sqlite3", date.today())
        (workdir / "log").mkdir()
        (workdir / "redis").mkdir()
        venv_bin = str(Path(sys.executable).parent)
        self.env = {
            **self.ports.env(),
            "PATH": f"{venv_bin}:{os.environ['PATH']}",
            "MARU_ROOT": str(ROOT),
            "MARU_VAR": str(workdir),
            "REDIS_AUTOSTART": "true",
            "REDIS_PORT": str(self.ports.redis_port),
            "ACTIONS_PORT": str(self.ports.actions_port),
            "RASA_PORT": str(self.ports.rasa_port),
            "MODEL_DIR": str(MODEL.parent),
            "TELEGRAM_TOKEN": "",
        }
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "supervisord"), "-c", str(CONFIG)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def ctl(self, *args: str) -> str:
        command = [str(Path(sys.executable).parent / "supervisorctl"), "-c", str(CONFIG), *args]
        result = subprocess.run(command, cwd=ROOT, env=self.env, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program) or 0)

    def gateway_healthy(self) -> bool:
        return httpx.get(f"{self.ports.gateway_url}/health", timeout=3).status_code == 200


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    running = Supervised(tmp_path_factory.mktemp("supervised"))
    try:
        wait_until(running.gateway_healthy, 240, "the supervised stack")
        yield running
    finally:
        if running.process.poll() is None:
            running.process.terminate()
            running.process.wait(timeout=60)


@pytest.mark.parametrize("program", ["gateway", "actions", "redis"])
def test_a_killed_process_is_started_again(supervised: Supervised, program: str) -> None:
    before = supervised.pid(program)
    assert before > 0
    os.kill(before, signal.SIGKILL)
    wait_until(lambda: supervised.pid(program) not in (0, before), 30, f"{program} restarted")
    wait_until(supervised.gateway_healthy, 60, "the gateway healthy again")


def test_sigterm_stops_every_process(supervised: Supervised) -> None:
    pids = {program: supervised.pid(program) for program in PROGRAMS}
    assert all(pids.values()), pids
    supervised.process.send_signal(signal.SIGTERM)
    supervised.process.wait(timeout=60)
    still_running = [program for program, pid in pids.items() if Path(f"/proc/{pid}").exists()]
    assert still_running == []
