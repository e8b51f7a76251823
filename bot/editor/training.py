"""Retraining after editors change phrasings, checked, then swapped into the running Rasa server.

One job runs at a time (a Redis lock, so across gateway instances too); edits made
meanwhile queue one more round behind it. A job whose training data has the live
model's fingerprint (``support/training_fingerprint.py``, recorded beside the model by
``make train`` and by every swap) ends at once as ``unchanged``: nothing to retrain,
check or swap. Otherwise it trains a candidate model with
Rasa's cache (only the parts whose data changed are retrained), measures its FAQ
accuracy on the held-out phrasings, refuses it if that drops by more than the
margin against the live model, and otherwise loads it through Rasa's HTTP API.
While Rasa loads, the gateways give Rasa more time instead of reporting it down,
so no message fails during the swap. A failed job leaves the live model untouched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.observability.metrics import GatewayMetrics
from bot.rasa import RasaClient
from bot.settings import PROJECT_ROOT, Settings
from bot.store.training import TrainingStore
from knowledge import KnowledgeBase
from support.language import languages
from support.training_fingerprint import forget_fingerprint, record_fingerprint, trained_on, training_fingerprint

logger = logging.getLogger(__name__)
LIVE_MODEL = "maru.tar.gz"
# Components Rasa reports as trained in a full training of this project's config (for the progress bar).
TRAINING_STEPS = 10
# Longer than a gateway's ordinary wait for Rasa, so messages already on their way finish first.
SWAP_GRACE_SECONDS = 5.0
# The job's last state and log line when the live model was trained on the data as it is now.
UNCHANGED = "unchanged"
NOTHING_TO_RETRAIN = "nothing to retrain: the live model was trained on the training data as it is now"


class TrainingFailed(RuntimeError):
    """Training, the check or the swap did not succeed; the live model stays."""


class ModelRefused(TrainingFailed):
    """The candidate's FAQ accuracy dropped by more than the margin; the live model stays."""


@dataclass
class Trainer:
    """Runs retraining jobs for the editor pages."""

    store: TrainingStore
    rasa: RasaClient
    project_root: Path
    models_dir: Path
    accuracy_margin: float
    owner: str
    # Jobs are counted by outcome (a metrics object of its own for the command line).
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)

    @classmethod
    def for_settings(
        cls,
        settings: Settings,
        store: TrainingStore,
        rasa: RasaClient,
        project_root: Path = PROJECT_ROOT,
        metrics: GatewayMetrics | None = None,
    ) -> Trainer:
        """The trainer of this process (its owner name marks the lock it holds)."""
        return cls(
            store=store,
            rasa=rasa,
            project_root=project_root,
            models_dir=settings.models_dir,
            accuracy_margin=settings.retrain_accuracy_margin,
            owner=f"{socket.gethostname()}:{os.getpid()}",
            metrics=metrics or GatewayMetrics(),
        )

    async def request(self, editor: str) -> str:
        """Starts a job, or queues one behind the running job; returns ``started`` or ``queued``."""
        if not await self.store.claim(self.owner):
            await self.store.queue_behind()
            return "queued"
        asyncio.get_running_loop().create_task(self._rounds(editor))
        return "started"

    async def run(self, editor: str) -> dict[str, str] | None:
        """Runs a job to its end in the caller (the command line); None while another job holds the lock."""
        if not await self.store.claim(self.owner):
            return None
        await self._rounds(editor)
        return await self.store.state()

    async def _rounds(self, editor: str) -> None:
        try:
            await self._job(editor)
            while await self.store.take_pending():
                await self._job(editor)
        finally:
            await self.store.release()

    async def _job(self, editor: str) -> None:
        await self.store.reset(state="training", progress=0, editor=editor, started=time.time())
        # Next to the live model: where Rasa can read it too (a volume shared with it in docker-compose).
        candidate = self.models_dir / "candidates" / f"candidate-{int(time.time())}.tar.gz"
        try:
            # Taken before training: an edit saved while Rasa reads the files makes the queued round train.
            fingerprint = await asyncio.to_thread(training_fingerprint, self.project_root)
            if await asyncio.to_thread(trained_on, self.models_dir / LIVE_MODEL, fingerprint):
                await self.store.log(NOTHING_TO_RETRAIN)
                await self.store.update(state=UNCHANGED, progress=100, finished=time.time())
                self.metrics.retrained(UNCHANGED)
                return
            await self._train(candidate)
            await self.store.update(state="checking", progress=90)
            cases = await asyncio.to_thread(held_out_digest, self.project_root)
            await self._check(candidate, cases)
            await self.store.update(state="swapping", progress=95)
            await self._swap(candidate, fingerprint)
            await self.store.update(state="done", progress=100, finished=time.time())
            self.metrics.retrained("done")
        except Exception as error:
            # Whatever went wrong, the job must end and the editor page must show why.
            logger.exception("retraining failed")
            self.metrics.retrained("refused" if isinstance(error, ModelRefused) else "failed")
            await self.store.log(f"FAILED: {error}")
            await self.store.update(state="failed", error=str(error) or type(error).__name__, finished=time.time())
        finally:
            candidate.unlink(missing_ok=True)  # the live model is a copy of it; a refused one is not kept

    async def _train(self, candidate: Path) -> None:
        rasa = str(Path(sys.executable).parent / "rasa")
        # No --force: Rasa's cache keeps the parts whose inputs did not change.
        command = [
            rasa,
            "train",
            "--out",
            str(candidate.parent),
            "--fixed-model-name",
            candidate.name[: -len(".tar.gz")],
        ]
        process = await self._run(command)
        if process.returncode != 0:
            raise TrainingFailed(f"training failed (exit {process.returncode}); see the log")

    async def _run(self, command: list[str]) -> asyncio.subprocess.Process:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        process = await asyncio.create_subprocess_exec(
            *command, cwd=self.project_root, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
        )
        assert process.stdout is not None
        done = 0
        async for raw in process.stdout:
            line = raw.decode(errors="replace").rstrip()
            if "Finished training component" in line:
                done += 1
                await self.store.update(progress=min(85, round(85 * done / TRAINING_STEPS)))
            if line and "it/s" not in line:
                await self.store.log(line)
        await process.wait()
        return process

    async def _check(self, candidate: Path, cases: str) -> None:
        """Refuses the candidate if its FAQ accuracy drops by more than the margin in any language."""
        before = await self._measured(self.models_dir / LIVE_MODEL, cases)
        after = await self._measured(candidate, cases)
        for language in languages().codes:
            await self.store.update(accuracy_before=before[language], accuracy_after=after[language])
            if after[language] < before[language] - self.accuracy_margin:
                raise ModelRefused(
                    f"refused: FAQ accuracy on {language} held-out phrasings would drop from {before[language]:.1%} "
                    f"to {after[language]:.1%} (allowed drop {self.accuracy_margin:.1%})"
                )

    async def _measured(self, model: Path, cases: str) -> dict[str, float]:
        """A model's accuracy per language, measured once per model and held-out set.

        The live model was a candidate before, so its figures are usually known.
        """
        key = await asyncio.to_thread(accuracy_key, model, cases)
        known = {language: await self.store.known_accuracy(f"{key}:{language}") for language in languages().codes}
        if all(value is not None for value in known.values()):
            for language, value in known.items():
                await self.store.log(
                    f"{model.name}: FAQ accuracy on {language} held-out phrasings {value:.1%} (measured before)"
                )
            return {language: float(value or 0.0) for language, value in known.items()}
        measured = await self._accuracies(model)
        for language, value in measured.items():
            await self.store.remember_accuracy(f"{key}:{language}", value)
        return measured

    async def _accuracies(self, model: Path) -> dict[str, float]:
        # One process loads the model once for every language, at low priority: customers chatting
        # with the live model meanwhile come first.
        command = ["nice", "-n", str(CHECK_NICENESS), sys.executable, "-m", "scripts.check_model", str(model)]
        process = await asyncio.create_subprocess_exec(
            *command, cwd=self.project_root, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        output, errors = await process.communicate()
        if process.returncode != 0:
            for line in errors.decode(errors="replace").splitlines()[-5:]:
                await self.store.log(line)
            raise TrainingFailed(f"could not evaluate {model.name}; see the log")
        figures = json.loads(output.decode().strip().splitlines()[-1])
        accuracies = {language: float(figures[language]["faq_retrieval_accuracy"]) for language in figures}
        for language, value in accuracies.items():
            await self.store.log(f"{model.name}: FAQ accuracy on {language} held-out phrasings {value:.1%}")
        return accuracies

    async def _swap(self, candidate: Path, fingerprint: str) -> None:
        await self.store.set_swapping(True)
        try:
            await asyncio.sleep(SWAP_GRACE_SECONDS)
            await self.rasa.load_model(candidate)
            await asyncio.to_thread(make_live, candidate, self.models_dir / LIVE_MODEL, fingerprint)
        finally:
            await self.store.set_swapping(False)
        await self.store.log(f"live model is now {candidate.name}")


# The model checks run below the live Rasa server's priority (nice), so a chatting customer is served first.
CHECK_NICENESS = 10


def make_live(candidate: Path, live: Path, fingerprint: str) -> None:
    """Makes the loaded candidate the model every later start loads, with the fingerprint of its data.

    The old record goes first, so a copy cut short leaves a model that is retrained, never one
    taken for another.
    """
    forget_fingerprint(live)
    shutil.copyfile(candidate, live)
    record_fingerprint(live, fingerprint)


def held_out_digest(project_root: Path) -> str:
    """Names the held-out phrasings a model is measured on (the core intents', the FAQs' and the blind sets)."""
    digest = hashlib.sha256()
    test_sets = sorted((project_root / "tests" / "nlu").glob("core_held_out*.yml"))
    test_sets += sorted((project_root / "tests" / "data" / "nlu").glob("faq_blind_*.yml"))
    for test_set in test_sets:
        digest.update(test_set.read_bytes())
    for faq in KnowledgeBase.load(project_root / "data" / "knowledge"):
        digest.update(json.dumps([faq.language, faq.id, faq.held_out]).encode())
    return digest.hexdigest()


def accuracy_key(model: Path, cases: str) -> str:
    """Names a measurement: the model's bytes and the digest of the held-out phrasings."""
    return f"{hashlib.sha256(model.read_bytes()).hexdigest()}:{cases}"
