"""Backups of what the assistant keeps: Redis (RDB snapshot and AOF), the knowledge files and the editors' change log.

``backup`` asks the running Redis for a snapshot (BGSAVE, then waits for LASTSAVE to move) and a compacted AOF
(BGREWRITEAOF), copies both from its data directory, copies the knowledge files and the change log under the
editors' lock, and packs everything into one timestamped tar.gz with a manifest: the time, the Redis version and
every file's size and sha256.

``restore`` unpacks an archive into a work directory and checks every file against the manifest, refusing a damaged
archive before anything is touched. It refuses too while Redis, the gateway, Rasa or the action server answer, and
stops nothing it did not start. It proves the Redis files load in a private redis-server of its own (which also
writes the AOF when the archive has only the RDB) and stops it; then it moves the current Redis files, knowledge
files and change log aside (``<work dir>/previous``, the layout of an archive, so a restore can be undone) and puts
the archive's in their place. The next ``make run`` starts Redis on them. See docs/operations.md.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse

import redis

from knowledge.base import KNOWLEDGE_DIR
from knowledge.editing import lock_path

ROOT = Path(__file__).resolve().parent.parent
FORMAT = 1
MANIFEST = "manifest.json"
# Where each part lives inside an archive (and inside a work directory's "previous").
REDIS = "redis"
RDB = "dump.rdb"
AOF_DIR = "appendonlydir"
KNOWLEDGE = "knowledge"
CHANGELOG = "changes.jsonl"
WAIT_SECONDS = 300.0
POLL_SECONDS = 0.05


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class FileEntry:
    """One file of an archive."""

    sha256: str
    bytes: int


@dataclass(frozen=True)
class Manifest:
    """What an archive holds: when it was made, by which Redis, and every file with its hash."""

    created: str
    redis_version: str
    files: dict[str, FileEntry]

    def to_json(self) -> str:
        """The manifest as stored in the archive."""
        files = {path: {"sha256": e.sha256, "bytes": e.bytes} for path, e in sorted(self.files.items())}
        document = {"format": FORMAT, "created": self.created, "redis_version": self.redis_version, "files": files}
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """A manifest read back; BackupError if it is not one."""
        try:
            document = json.loads(text)
            if document["format"] != FORMAT:
                raise BackupError(f"manifest format {document['format']} is not {FORMAT}")
            files = {path: FileEntry(str(e["sha256"]), int(e["bytes"])) for path, e in document["files"].items()}
            return cls(str(document["created"]), str(document["redis_version"]), files)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"the manifest is not readable: {error!r}") from error

    @property
    def has_aof(self) -> bool:
        """Whether the archive holds Redis's AOF directory (else only the RDB, or no Redis files)."""
        return any(path.startswith(f"{REDIS}/{AOF_DIR}/") for path in self.files)

    def count(self, prefix: str) -> int:
        """How many files lie below ``prefix``."""
        return sum(path.startswith(f"{prefix}/") for path in self.files)


@dataclass(frozen=True)
class Backup:
    """A finished backup."""

    path: Path
    manifest: Manifest
    bytes: int
    seconds: float


@dataclass(frozen=True)
class Listener:
    """A process that must be stopped before a restore, by the address it listens on."""

    name: str
    host: str
    port: int


@dataclass(frozen=True)
class Restored:
    """A finished restore."""

    manifest: Manifest
    keys: int
    previous: Path


def sha256_of(path: Path) -> str:
    """The file's sha256, hex."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe(directory: Path) -> dict[str, FileEntry]:
    """Every file below ``directory`` by its relative POSIX path, with its hash and size."""
    return {
        path.relative_to(directory).as_posix(): FileEntry(sha256_of(path), path.stat().st_size)
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def differences(directory: Path, manifest: Manifest) -> list[str]:
    """How the files below ``directory`` differ from the manifest; empty when they match exactly."""
    found = describe(directory)
    missing = [f"missing: {path}" for path in sorted(manifest.files.keys() - found.keys())]
    extra = [f"not in the manifest: {path}" for path in sorted(found.keys() - manifest.files.keys())]
    changed = [
        f"sha256 differs: {path}"
        for path in sorted(manifest.files.keys() & found.keys())
        if found[path] != manifest.files[path]
    ]
    return missing + changed + extra


def rdb_redis_version(path: Path) -> str:
    """The version of the Redis that wrote an RDB file, from its first auxiliary field (``redis-ver``)."""
    # "REDIS" and 4 format digits, then AUX (0xFA) and two strings, each after a one-byte length (short strings).
    head = path.read_bytes()[:64]
    if len(head) < 12 or not head.startswith(b"REDIS") or head[9] != 0xFA:
        raise BackupError(f"{path} is not an RDB file written by Redis 3.2 or later")
    key_end = 11 + head[10]
    value_end = key_end + 1 + head[key_end]
    if head[11:key_end] != b"redis-ver" or value_end > len(head):
        raise BackupError(f"{path} does not start with the Redis version (redis-ver)")
    return head[key_end + 1 : value_end].decode()


def archive_name(created: datetime) -> str:
    """The archive's file name for its UTC creation time."""
    return f"maru-backup-{created:%Y%m%dT%H%M%SZ}.tar.gz"


def pack(source: Path, backup_dir: Path, created: datetime, redis_version: str) -> tuple[Path, Manifest]:
    """Writes ``source``'s files and their manifest into a new archive in ``backup_dir``.

    The archive appears under its final name only once complete.
    """
    manifest = Manifest(created.strftime("%Y-%m-%dT%H:%M:%SZ"), redis_version, describe(source))
    backup_dir.mkdir(parents=True, exist_ok=True)
    final = backup_dir / archive_name(created)
    if final.exists():
        raise BackupError(f"{final} already exists")
    partial = final.with_name(final.name + ".partial")
    with tarfile.open(partial, "w:gz") as archive:
        text = manifest.to_json().encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mtime, info.mode = len(text), int(created.timestamp()), 0o644
        archive.addfile(info, io.BytesIO(text))
        for path in manifest.files:
            archive.add(source / path, arcname=path, recursive=False)
    os.replace(partial, final)
    return final, manifest


def extract(archive_path: Path, destination: Path) -> Manifest:
    """Unpacks the archive into ``destination`` and checks every file against its manifest.

    Raises BackupError, naming what is wrong, if the archive cannot be read, a member is not a plain
    relative file, or the files differ from the manifest in any way.
    """
    if not archive_path.is_file():
        raise BackupError(f"no archive at {archive_path}")
    try:
        destination.mkdir(parents=True)
    except FileExistsError as error:
        raise BackupError(f"{destination} already exists; unpack into a new directory") from error
    manifest_text: str | None = None
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            for member in archive:
                parts = PurePosixPath(member.name).parts
                if member.isdir():
                    continue
                if not member.isfile() or PurePosixPath(member.name).is_absolute() or ".." in parts:
                    raise BackupError(f"{archive_path} is damaged: unexpected member {member.name!r}")
                content = archive.extractfile(member)
                assert content is not None  # a regular file always has content
                if member.name == MANIFEST:
                    manifest_text = content.read().decode()
                    continue
                target = destination.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    shutil.copyfileobj(content, out)
    except (OSError, EOFError, tarfile.TarError, UnicodeDecodeError) as error:
        raise BackupError(f"{archive_path} is damaged or not a backup: {error}") from error
    if manifest_text is None:
        raise BackupError(f"{archive_path} has no {MANIFEST}: it is not a backup made by this script")
    manifest = Manifest.from_json(manifest_text)
    problems = differences(destination, manifest)
    if problems:
        raise BackupError(f"{archive_path} is damaged; nothing was restored:\n  " + "\n  ".join(problems))
    return manifest


@contextmanager
def editors_lock(knowledge_dir: Path) -> Iterator[None]:
    """The knowledge editors' lock (``knowledge.editing``): no edit is half copied, or lost under a restore."""
    with lock_path(knowledge_dir).open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def wait_until(done: Callable[[], bool], what: str, seconds: float = WAIT_SECONDS) -> None:
    """Polls ``done`` until it is true; BackupError after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise BackupError(f"{what} did not finish within {seconds:.0f} s")
        time.sleep(POLL_SECONDS)


def save_snapshot(client: redis.Redis) -> None:
    """BGSAVE, and waits until LASTSAVE shows it finished."""
    before = client.lastsave()
    # LASTSAVE counts whole seconds: a save finishing in the second of the last one would not move it.
    wait_until(lambda: client.time()[0] > before.timestamp(), "the server clock")
    # Scheduled instead of refused while an AOF rewrite runs; it starts when that ends.
    started = client.bgsave(schedule=True) == "Background saving started"

    def saved() -> bool:
        nonlocal started
        info = client.info("persistence")
        if client.lastsave() > before:
            return True
        if info["rdb_bgsave_in_progress"]:
            started = True
        elif started:
            raise BackupError(f"Redis could not save a snapshot ({info['rdb_last_bgsave_status']}); see its log")
        return False

    wait_until(saved, "Redis's BGSAVE")


def rewrite_aof(client: redis.Redis) -> None:
    """BGREWRITEAOF, so the AOF copied is one base file and a short tail; waits until it finished."""
    wait_until(lambda: not client.info("persistence")["aof_rewrite_in_progress"], "an AOF rewrite already running")
    rewrites = client.info("persistence")["aof_rewrites"]
    client.bgrewriteaof()

    def rewritten() -> bool:
        info = client.info("persistence")
        if info["aof_rewrites"] <= rewrites or info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]:
            return False
        if info["aof_last_bgrewrite_status"] != "ok":
            raise BackupError(f"Redis could not rewrite its AOF ({info['aof_last_bgrewrite_status']}); see its log")
        return True

    wait_until(rewritten, "Redis's BGREWRITEAOF")


def copy_aof(source: Path, destination: Path, attempts: int = 5) -> None:
    """Copies Redis 7's multi-part AOF directory, again if Redis replaced its files meanwhile."""
    manifest = next(source.glob("*.manifest"), None)
    if manifest is None:
        raise BackupError(f"{source} has no AOF manifest: Redis 7 or later is needed")
    for _ in range(attempts):
        before = manifest.read_bytes()
        shutil.rmtree(destination, ignore_errors=True)
        try:
            shutil.copytree(source, destination)
        except (FileNotFoundError, shutil.Error):
            continue  # a rewrite deleted a file while it was copied
        if manifest.read_bytes() == before:
            return
    raise BackupError(f"Redis kept rewriting {source} while it was copied; try again")


def snapshot_redis(client: redis.Redis, destination: Path, data_dir: Path | None = None) -> None:
    """Saves Redis's RDB and (with AOF on) its AOF directory into ``destination``.

    Args:
        client: the running Redis.
        destination: created; receives ``dump.rdb`` and ``appendonlydir``.
        data_dir: Redis's data directory; by default the one it reports (``CONFIG GET dir``).
    """
    config = client.config_get("*")
    directory = data_dir or Path(config["dir"])
    destination.mkdir(parents=True)
    save_snapshot(client)
    shutil.copy2(directory / config["dbfilename"], destination / RDB)
    if config["appendonly"] == "yes":
        if not config.get("appenddirname"):
            raise BackupError("Redis 7 or later is needed (multi-part AOF in its own directory)")
        rewrite_aof(client)
        copy_aof(directory / config["appenddirname"], destination / AOF_DIR)


def copy_knowledge(knowledge_dir: Path, changelog: Path, destination: Path) -> None:
    """Copies the knowledge files and the change log as one consistent state, under the editors' lock."""
    with editors_lock(knowledge_dir):
        shutil.copytree(knowledge_dir, destination / KNOWLEDGE)
        if changelog.exists():
            shutil.copy2(changelog, destination / CHANGELOG)


def redis_version_of(redis_files: Path) -> str:
    """The Redis version that wrote the files: from the RDB, else from an RDB-format AOF base; else "unknown"."""
    for rdb in [redis_files / RDB, *sorted((redis_files / AOF_DIR).glob("*.base.rdb"))]:
        if rdb.is_file():
            return rdb_redis_version(rdb)
    return "unknown"


def create_backup(
    redis_url: str, knowledge_dir: Path, changelog: Path, backup_dir: Path, redis_dir: Path | None = None
) -> Backup:
    """Backs up the running Redis, the knowledge files and the change log into a new archive in ``backup_dir``."""
    started = time.monotonic()
    created = datetime.now(timezone.utc)
    backup_dir.mkdir(parents=True, exist_ok=True)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        client.ping()
    except redis.ConnectionError as error:
        raise BackupError(f"Redis does not answer at {redis_url}: a backup needs it running ({error})") from error
    with tempfile.TemporaryDirectory(dir=backup_dir, prefix=".staging-") as staging:
        try:
            snapshot_redis(client, Path(staging) / REDIS, redis_dir)
        finally:
            client.close()
        copy_knowledge(knowledge_dir, changelog, Path(staging))
        path, manifest = pack(Path(staging), backup_dir, created, redis_version_of(Path(staging) / REDIS))
    return Backup(path, manifest, path.stat().st_size, time.monotonic() - started)


def pack_copied(source: Path, backup_dir: Path) -> Backup:
    """Packs files already copied out (docker compose, or a restore's ``previous``) into a new archive.

    ``source`` has the layout of an archive: ``redis/dump.rdb``, ``redis/appendonlydir/``, ``knowledge/``,
    ``changes.jsonl``.
    """
    started = time.monotonic()
    unexpected = sorted(p.name for p in source.iterdir() if p.name not in (REDIS, KNOWLEDGE, CHANGELOG))
    if unexpected or not (source / KNOWLEDGE).is_dir():
        raise BackupError(f"{source} should hold {REDIS}/, {KNOWLEDGE}/ and {CHANGELOG} only (found {unexpected})")
    version = redis_version_of(source / REDIS)
    path, manifest = pack(source, backup_dir, datetime.now(timezone.utc), version)
    return Backup(path, manifest, path.stat().st_size, time.monotonic() - started)


def answering(listeners: list[Listener]) -> list[Listener]:
    """The listeners something accepts connections on."""
    found = []
    for listener in listeners:
        try:
            socket.create_connection((listener.host, listener.port), timeout=0.5).close()
            found.append(listener)
        except OSError:
            pass
    return found


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prove_redis_loads(redis_files: Path, has_aof: bool, log: Path) -> int:
    """Starts a private redis-server on the files, as ``make run`` would, and stops it; returns the keys it loaded.

    Without an AOF, Redis is started from the RDB and turns AOF on, which writes the AOF directory from the data
    (Redis 7 started with AOF on and no AOF directory would start empty).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise BackupError("redis-server is not installed; run 'make setup'")
    redis_files.mkdir(exist_ok=True)
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(redis_files.resolve()),
               "--dbfilename", RDB, "--appenddirname", AOF_DIR, "--appendonly", "yes" if has_aof else "no",
               "--appendfsync", "everysec", "--save", "", "--logfile", str(log.resolve())]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port, socket_connect_timeout=1)

    def loaded() -> bool:
        if process.poll() is not None:
            tail = "\n    ".join(log.read_text(errors="replace").splitlines()[-5:])
            raise BackupError(f"Redis could not load the backup's files; its log ({log}):\n    {tail}")
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.BusyLoadingError):
            return False

    try:
        wait_until(loaded, "loading the Redis files")
        if not has_aof:
            client.config_set("appendonly", "yes")
            wait_until(lambda: _aof_written(client.info("persistence")), "writing the AOF")
        return sum(int(db["keys"]) for db in client.info("keyspace").values())
    finally:
        client.close()
        process.terminate()  # we started it; SIGTERM is Redis's clean shutdown (AOF flushed and fsynced)
        process.wait(timeout=60)


def _aof_written(info: dict[str, Any]) -> bool:
    """Whether the rewrite that turning AOF on starts has finished; BackupError if it failed."""
    if not info["aof_rewrites"] or info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"]:
        return False
    if info["aof_last_bgrewrite_status"] != "ok":
        raise BackupError(f"Redis could not write the AOF ({info['aof_last_bgrewrite_status']})")
    return True


def _move_aside(path: Path, aside: Path) -> None:
    if path.exists():
        aside.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), str(aside))


def _put(source: Path, target: Path) -> None:
    if source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), str(target))


def restore_backup(
    archive_path: Path,
    knowledge_dir: Path,
    changelog: Path,
    redis_dir: Path,
    work_dir: Path,
    must_be_stopped: list[Listener],
) -> Restored:
    """Restores an archive; see the module's docstring.

    Args:
        archive_path: the archive.
        knowledge_dir: the knowledge directory to replace.
        changelog: the change log to replace.
        redis_dir: Redis's data directory (``var/redis`` for ``make run``).
        work_dir: a new directory for this restore; the replaced files stay in its ``previous``.
        must_be_stopped: processes that write what is restored; the restore refuses while any answers.
    """
    work_dir.mkdir(parents=True)
    unpacked, previous = work_dir / "archive", work_dir / "previous"
    try:
        manifest = extract(archive_path, unpacked)
        running = answering(must_be_stopped)
        if running:
            names = ", ".join(f"{r.name} ({r.host}:{r.port})" for r in running)
            raise BackupError(
                f"the archive is intact, but these still answer: {names}. Stop the gateway, Rasa, the action server and"
                " Redis first (`make run`: Ctrl-C; under a running supervisord: supervisorctl stop gateway rasa"
                " actions redis, see docs/operations.md); the restore stops nothing itself"
            )
        keys = prove_redis_loads(unpacked / REDIS, manifest.has_aof, work_dir / "redis-check.log")
    except BackupError:
        shutil.rmtree(work_dir)  # nothing was touched yet
        raise
    # Whatever the archive lacks is moved aside too: the restored state is the archive's, exactly.
    for name in (RDB, AOF_DIR):
        _move_aside(redis_dir / name, previous / REDIS / name)
        _put(unpacked / REDIS / name, redis_dir / name)
    with editors_lock(knowledge_dir):
        _move_aside(knowledge_dir, previous / KNOWLEDGE)
        _put(unpacked / KNOWLEDGE, knowledge_dir)
        _move_aside(changelog, previous / CHANGELOG)
        _put(unpacked / CHANGELOG, changelog)
    shutil.rmtree(unpacked)
    return Restored(manifest, keys, previous)


def _listeners(env: dict[str, str]) -> list[Listener]:
    """The processes of ``make run`` by the addresses scripts/lib.sh gives them."""
    redis_url = urlparse(env.get("REDIS_URL", "redis://127.0.0.1:6390/0"))
    rasa_url = urlparse(env.get("RASA_URL", "http://127.0.0.1:5005"))
    gateway_host = env.get("GATEWAY_HOST", "127.0.0.1")
    return [
        Listener("Redis", redis_url.hostname or "127.0.0.1", redis_url.port or 6379),
        Listener("gateway", "127.0.0.1" if gateway_host == "0.0.0.0" else gateway_host,
                 int(env.get("GATEWAY_PORT", "8000"))),
        Listener("Rasa", rasa_url.hostname or "127.0.0.1", rasa_url.port or 5005),
        Listener("action server", "127.0.0.1", int(env.get("ACTIONS_PORT", "5055"))),
    ]  # fmt: skip


def _summary(manifest: Manifest) -> str:
    redis_files = "RDB + AOF" if manifest.has_aof else ("RDB" if f"{REDIS}/{RDB}" in manifest.files else "no files")
    changelog = "the change log" if CHANGELOG in manifest.files else "no change log"
    return f"Redis {manifest.redis_version} ({redis_files}), {manifest.count(KNOWLEDGE)} knowledge files, {changelog}"


def main(argv: list[str] | None = None) -> int:
    """The command line: ``backup`` and ``restore``."""
    env = dict(os.environ)
    paths = argparse.ArgumentParser(add_help=False)
    paths.add_argument("--knowledge-dir", type=Path, default=KNOWLEDGE_DIR)
    paths.add_argument(
        "--changelog", type=Path, default=Path(env.get("KNOWLEDGE_CHANGELOG") or ROOT / "var/knowledge/changes.jsonl")
    )
    parser = argparse.ArgumentParser(
        prog="python -m scripts.backup", description="Back up or restore Redis, the knowledge files and the change log."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    backup = commands.add_parser("backup", parents=[paths], help="make a new archive (BACKUP_DIR, else var/backups)")
    backup.add_argument("--redis-url", default=env.get("REDIS_URL", "redis://127.0.0.1:6390/0"))
    backup.add_argument("--redis-dir", type=Path, help="Redis's data directory (default: the one Redis reports)")
    backup.add_argument("--backup-dir", type=Path, default=Path(env.get("BACKUP_DIR") or ROOT / "var/backups"))
    backup.add_argument(
        "--from-dir", type=Path, help="pack files already copied out (redis/, knowledge/, changes.jsonl)"
    )
    restore = commands.add_parser("restore", parents=[paths], help="restore an archive, with everything stopped")
    restore.add_argument("archive", help="the archive (make restore FILE=...)")
    restore.add_argument("--redis-dir", type=Path, default=ROOT / "var/redis")
    restore.add_argument(
        "--work-dir", type=Path, help="where the replaced files are kept (default: var/restores/<time>)"
    )
    restore.add_argument("--extract-to", type=Path, help="only check the archive and unpack it there (docker compose)")
    args = parser.parse_args(argv)
    try:
        if args.command == "restore":
            if not args.archive:
                raise BackupError("which archive? make restore FILE=var/backups/maru-backup-<time>.tar.gz")
            args.archive = Path(args.archive)
        if args.command == "backup":
            made = (
                pack_copied(args.from_dir, args.backup_dir)
                if args.from_dir
                else create_backup(args.redis_url, args.knowledge_dir, args.changelog, args.backup_dir, args.redis_dir)
            )
            print(f"Backed up {_summary(made.manifest)}:")
            print(f"  {made.path}  {made.bytes:,} bytes, {len(made.manifest.files)} files, {made.seconds:.2f} s")
        elif args.extract_to:
            manifest = extract(args.archive, args.extract_to)
            print(
                f"{args.archive} is intact ({manifest.created}: {_summary(manifest)}); unpacked into {args.extract_to}"
            )
        else:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            done = restore_backup(
                args.archive,
                args.knowledge_dir,
                args.changelog,
                args.redis_dir,
                args.work_dir or ROOT / "var" / "restores" / stamp,
                _listeners(env),
            )
            print(f"Restored the backup of {done.manifest.created}: {_summary(done.manifest)}.")
            print(f"  Redis loaded {done.keys:,} keys from the files now in {args.redis_dir}.")
            print("  Start everything again: `make run` (or supervisorctl start redis actions rasa gateway).")
            print(f"  What was there before is in {done.previous}. To undo this restore, pack it, then restore that:")
            print(f"    python -m scripts.backup backup --from-dir {done.previous}")
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
