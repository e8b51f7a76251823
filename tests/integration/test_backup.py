"""make backup / make restore: a real Redis with AOF written by the project's own stores, a copy of the knowledge."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import redis
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from redis import asyncio as aioredis

from addons.redis_stores import UrlRedisTrackerStore
from bot.store.callbacks import Callback, CallbackStore
from bot.store.feedback import RATINGS_STREAM, FeedbackStore, Scope
from bot.store.handoffs import Handoff, HandoffStore
from bot.store.transcripts import Entry, TranscriptStore
from knowledge import KnowledgeEditor
from scripts.backup import BackupError, Listener, create_backup, describe, free_port, main, restore_backup
from tests.integration.stack import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.from_dict({"slots": {"erase_requested": {"type": "bool", "mappings": [{"type": "custom"}]}}})
RECORD_EXP = 7_776_000  # endpoints.yml's tracker_store record_exp
TS = 1_796_600_000.0  # 2026-12-07 in Seoul
CONVERSATION = "web-7f3a"
CALLBACK = Callback(
    "", "tg-77", "telegram", "phone", "2026-12-08T09:00:00+09:00", "2026-12-08T11:00:00+09:00",
    "Tomorrow 09:00–11:00", 1_796_688_000.0, TS, phone="+821012345678", reason="damaged_item", language="ko",
)  # fmt: skip
HANDOFF = Handoff(
    CONVERSATION, "web", "customer_request", priority=False, queued_at=TS + 40,
    context={"summary": {"customer_said": ["my parcel never came"], "bot_said": ["Sorry about that."]}},
)  # fmt: skip


@dataclass
class Server:
    """redis-server on a data directory, started with the flags make run's supervisord gives it."""

    directory: Path
    appendonly: str = "yes"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed; run 'make setup'"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", self.appendonly, "--appendfsync", "everysec", "--save", ""],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: loaded(self.port), 10, "redis")

    def stop(self) -> None:
        """SIGTERM, the way supervisord stops it."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def loaded(port: int) -> bool:
    client = redis.Redis(port=port)
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.BusyLoadingError):
        return False
    finally:
        client.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "var" / "redis")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the repository's knowledge files (the real ones are never touched)."""
    return Path(shutil.copytree(ROOT / "data" / "knowledge", tmp_path / "data" / "knowledge"))


@pytest.fixture
def changelog(tmp_path: Path) -> Path:
    return tmp_path / "var" / "knowledge" / "changes.jsonl"


async def fill(url: str) -> Callback:
    """A queued handoff, a callback, two ratings, a conversation's transcript and its Rasa tracker."""
    client = aioredis.Redis.from_url(url)
    try:
        assert await HandoffStore(client).enqueue(HANDOFF)
        callback = await CallbackStore(client).create(CALLBACK)
        scope = Scope(CONVERSATION, "web", "en", TS + 300)
        await FeedbackStore(client).csat(scope, "agent", 3, "mina")
        await FeedbackStore(client).nps(scope, 9)
        transcripts = TranscriptStore(client)
        await transcripts.append(CONVERSATION, Entry("customer", "where is order 10421?", "web", TS))
        await transcripts.append(CONVERSATION, Entry("bot", "It left our warehouse yesterday.", "web", TS + 1))
    finally:
        await client.close(close_connection_pool=True)
    trackers = UrlRedisTrackerStore(DOMAIN, host=url, record_exp=RECORD_EXP)
    events = [
        ActionExecuted("action_listen"),
        UserUttered("where is order 10421?", {"name": "order_status"}),
        BotUttered("It left our warehouse yesterday."),
    ]
    await trackers.save(DialogueStateTracker.from_events(CONVERSATION, events, slots=DOMAIN.slots))
    trackers.red.close()
    return callback


async def value(client: aioredis.Redis, key: bytes) -> Any:
    """A key's value, whatever its type (DUMP's bytes depend on a hash's internal order)."""
    kind = (await client.type(key)).decode()
    read = {
        "string": client.get,
        "hash": client.hgetall,
        "list": lambda k: client.lrange(k, 0, -1),
        "zset": lambda k: client.zrange(k, 0, -1, withscores=True),
        "set": client.smembers,
        "stream": client.xrange,
    }
    return kind, await read[kind](key)


async def state(url: str) -> dict[str, Any]:
    """What the stores read back, and every key's value and expiry."""
    client = aioredis.Redis.from_url(url)
    try:
        feedback = FeedbackStore(client)
        read = {
            "queue": await HandoffStore(client).queued(),
            "callbacks": await CallbackStore(client).open(),
            "ratings": await feedback.records(RATINGS_STREAM, 0, 4e9),
            "counters": await feedback.daily_counters([date(2026, 12, 7)]),
            "transcript": await TranscriptStore(client).read(CONVERSATION),
            "keys": {key: (await value(client, key), await client.pexpiretime(key)) for key in await client.keys()},
        }
    finally:
        await client.close(close_connection_pool=True)
    tracker = await UrlRedisTrackerStore(DOMAIN, host=url, record_exp=RECORD_EXP).retrieve(CONVERSATION)
    read["tracker"] = [event.as_dict() for event in tracker.events] if tracker else None
    return read


def damage(knowledge: Path, changelog: Path) -> None:
    """An editor's bad day: a broken file, a deleted one, a stray one, a change logged after the backup."""
    (knowledge / "en" / "shipping.yml").write_text("faqs: [\n", encoding="utf-8")
    (knowledge / "ko" / "orders.yml").unlink()
    (knowledge / "en" / "stray.yml").write_text("faqs: []\n", encoding="utf-8")
    with changelog.open("a", encoding="utf-8") as log:
        log.write('{"id": "after-backup"}\n')


def backup_with_the_cli(server: Server, knowledge: Path, changelog: Path, backups: Path, capsys: Any) -> Path:
    """``python -m scripts.backup backup``; returns the archive it printed."""
    args = ["--redis-url", server.url, "--knowledge-dir", str(knowledge), "--changelog", str(changelog)]
    assert main(["backup", *args, "--backup-dir", str(backups)]) == 0
    printed = capsys.readouterr().out
    with capsys.disabled():
        print(f"\n{printed}", end="")  # the measurement: the archive's size and the time taken
    found = re.search(r"^  (\S+\.tar\.gz)  ([\d,]+) bytes, (\d+) files, ([\d.]+) s$", printed, re.MULTILINE)
    assert found, printed
    archive = Path(found[1])
    assert archive.parent == backups
    assert int(found[2].replace(",", "")) == archive.stat().st_size
    return archive


def test_backup_then_restore_brings_back_the_queue_callbacks_ratings_conversation_and_knowledge(
    server: Server, knowledge: Path, changelog: Path, tmp_path: Path, capsys: Any
) -> None:
    KnowledgeEditor(knowledge, changelog).edit_answer(
        "sora", "en", "shipping_cost", "Delivery is ₩3,000; free from ₩50,000."
    )
    callback = asyncio.run(fill(server.url))
    before = asyncio.run(state(server.url))
    files_before, changelog_before = describe(knowledge), changelog.read_bytes()
    assert [h.conversation for h in before["queue"]] == [CONVERSATION]
    assert before["callbacks"] == [callback]
    assert [(r["kind"], r["score"]) for r in before["ratings"]] == [("csat", "3"), ("nps", "9")]

    archive = backup_with_the_cli(server, knowledge, changelog, tmp_path / "backups", capsys)
    info = redis.Redis(port=server.port).info("server")
    with tarfile.open(archive) as opened:
        names = opened.getnames()
    assert names[0] == "manifest.json"
    assert {"redis/dump.rdb", "redis/appendonlydir/appendonly.aof.manifest", "changes.jsonl"} <= set(names)

    redis.Redis(port=server.port).flushall()
    damage(knowledge, changelog)
    stopped = [Listener("Redis", "127.0.0.1", server.port)]
    with pytest.raises(
        BackupError,
        match=rf"^the archive is intact, but these still answer: Redis \(127\.0\.0\.1:{server.port}\)\. Stop",
    ):
        restore_backup(archive, knowledge, changelog, server.directory, tmp_path / "restore", stopped)
    assert not (tmp_path / "restore").exists()
    assert (knowledge / "en" / "stray.yml").exists()  # nothing touched

    server.stop()
    restored = restore_backup(archive, knowledge, changelog, server.directory, tmp_path / "restore", stopped)
    server.start()

    after = asyncio.run(state(server.url))
    assert after == before
    assert after["queue"][0] == HANDOFF
    assert after["callbacks"] == [callback]
    assert after["tracker"] == before["tracker"]
    assert [e.text for e in after["transcript"]] == ["where is order 10421?", "It left our warehouse yesterday."]
    assert describe(knowledge) == files_before
    assert changelog.read_bytes() == changelog_before
    assert restored.manifest.redis_version == info["redis_version"]
    assert restored.keys == len(before["keys"])
    # The replaced files are kept, not deleted: the restore can be undone.
    previous = restored.previous
    assert (previous / "knowledge" / "en" / "stray.yml").read_text(encoding="utf-8") == "faqs: []\n"
    assert not (previous / "knowledge" / "ko" / "orders.yml").exists()
    assert changelog_before + b'{"id": "after-backup"}\n' == (previous / "changes.jsonl").read_bytes()
    assert (previous / "redis" / "appendonlydir" / "appendonly.aof.manifest").exists()
    assert sorted(p.name for p in restored.previous.parent.iterdir()) == ["previous", "redis-check.log"]


def rewritten(archive: Path, target: Path, change: str) -> Path:
    """A copy of the archive with one file's content changed and the manifest left as it was."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as copy:
        for member in source:
            content = source.extractfile(member)
            assert content is not None
            data = content.read()
            if member.name == change:
                data += b"# tampered\n"
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    return target


def test_a_tampered_or_truncated_archive_is_refused_and_nothing_is_touched(
    server: Server, knowledge: Path, changelog: Path, tmp_path: Path
) -> None:
    changelog.parent.mkdir(parents=True)
    changelog.write_text('{"id": "c1"}\n', encoding="utf-8")
    asyncio.run(fill(server.url))
    made = create_backup(server.url, knowledge, changelog, tmp_path / "backups")
    server.stop()
    tampered = rewritten(made.path, tmp_path / "tampered.tar.gz", "knowledge/en/shipping.yml")
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(made.path.read_bytes()[: made.bytes // 2])
    files, redis_files = describe(knowledge), describe(server.directory)

    with pytest.raises(BackupError) as refused:
        restore_backup(tampered, knowledge, changelog, server.directory, tmp_path / "restore", [])
    assert (
        str(refused.value)
        == f"{tampered} is damaged; nothing was restored:\n  sha256 differs: knowledge/en/shipping.yml"
    )
    with pytest.raises(BackupError, match=rf"^{re.escape(str(truncated))} is damaged or not a backup: "):
        restore_backup(truncated, knowledge, changelog, server.directory, tmp_path / "restore", [])

    assert describe(knowledge) == files
    assert describe(server.directory) == redis_files
    assert changelog.read_text(encoding="utf-8") == '{"id": "c1"}\n'
    assert not (tmp_path / "restore").exists()


def test_a_backup_of_a_redis_without_aof_is_restored_with_the_aof_make_run_loads(
    knowledge: Path, changelog: Path, tmp_path: Path
) -> None:
    plain = Server(tmp_path / "plain", appendonly="no")
    plain.start()
    try:
        asyncio.run(fill(plain.url))
        before = asyncio.run(state(plain.url))
        made = create_backup(plain.url, knowledge, changelog, tmp_path / "backups")
    finally:
        plain.stop()
    assert not made.manifest.has_aof
    assert "changes.jsonl" not in made.manifest.files

    target = Server(tmp_path / "var" / "redis")
    restored = restore_backup(made.path, knowledge, changelog, target.directory, tmp_path / "restore", [])
    target.start()  # with AOF on, as make run starts it
    try:
        assert asyncio.run(state(target.url)) == before
    finally:
        target.stop()
    assert restored.keys == len(before["keys"])
    assert (target.directory / "appendonlydir" / "appendonly.aof.manifest").exists()
