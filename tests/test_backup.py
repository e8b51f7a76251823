import hashlib
import io
import json
import socket
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scripts.backup import (
    BackupError,
    FileEntry,
    Listener,
    Manifest,
    answering,
    archive_name,
    describe,
    differences,
    extract,
    pack,
    pack_copied,
    rdb_redis_version,
    redis_version_of,
)

# The first bytes of an RDB file written by Redis 7.0.15 (format 10), then its next auxiliary field.
RDB_HEAD = b"REDIS0010\xfa\x09redis-ver\x067.0.15\xfa\x0aredis-bits\xc0\x40"
CREATED = datetime(2026, 12, 7, 8, 46, 0, tzinfo=timezone.utc)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """Files with the layout of an archive, as copied out of a docker compose stack."""
    source = tmp_path / "copied"
    (source / "redis" / "appendonlydir").mkdir(parents=True)
    (source / "redis" / "dump.rdb").write_bytes(RDB_HEAD)
    (source / "redis" / "appendonlydir" / "appendonly.aof.manifest").write_text("file appendonly.aof.1.base.rdb\n")
    (source / "knowledge" / "en").mkdir(parents=True)
    (source / "knowledge" / "en" / "shipping.yml").write_text("faqs: []\n")
    (source / "changes.jsonl").write_text('{"id": "c1"}\n')
    return source


def test_describe_lists_every_file_below_a_directory_with_its_sha256_and_size(copied: Path) -> None:
    assert describe(copied) == {
        "changes.jsonl": FileEntry(sha(b'{"id": "c1"}\n'), 13),
        "knowledge/en/shipping.yml": FileEntry(sha(b"faqs: []\n"), 9),
        "redis/appendonlydir/appendonly.aof.manifest": FileEntry(sha(b"file appendonly.aof.1.base.rdb\n"), 31),
        "redis/dump.rdb": FileEntry(sha(RDB_HEAD), len(RDB_HEAD)),
    }


def test_the_manifest_is_json_with_time_version_and_files_and_reads_back_the_same() -> None:
    manifest = Manifest("2026-12-07T08:46:00Z", "7.0.15", {"changes.jsonl": FileEntry("ab" * 32, 13)})
    assert json.loads(manifest.to_json()) == {
        "format": 1,
        "created": "2026-12-07T08:46:00Z",
        "redis_version": "7.0.15",
        "files": {"changes.jsonl": {"sha256": "ab" * 32, "bytes": 13}},
    }
    assert Manifest.from_json(manifest.to_json()) == manifest


@pytest.mark.parametrize("text", ["not json", "{}", '{"format": 2}', '{"format": 1, "created": "x", "files": []}'])
def test_an_unreadable_manifest_is_refused(text: str) -> None:
    with pytest.raises(BackupError, match="manifest"):
        Manifest.from_json(text)


def test_differences_name_each_missing_changed_and_extra_file(copied: Path) -> None:
    manifest = Manifest("2026-12-07T08:46:00Z", "7.0.15", describe(copied))
    assert differences(copied, manifest) == []
    (copied / "changes.jsonl").write_text('{"id": "c2"}\n')  # same size, other content
    (copied / "redis" / "dump.rdb").unlink()
    (copied / "knowledge" / "en" / "stray.yml").write_text("")
    assert differences(copied, manifest) == [
        "missing: redis/dump.rdb",
        "sha256 differs: changes.jsonl",
        "not in the manifest: knowledge/en/stray.yml",
    ]


def test_the_redis_version_is_read_from_the_rdb_header(tmp_path: Path) -> None:
    rdb = tmp_path / "dump.rdb"
    rdb.write_bytes(RDB_HEAD)
    assert rdb_redis_version(rdb) == "7.0.15"
    rdb.write_bytes(b"*2\r\n$6\r\nSELECT\r\n")  # an AOF, not an RDB
    with pytest.raises(BackupError, match="is not an RDB file"):
        rdb_redis_version(rdb)


def test_the_redis_version_comes_from_an_aof_base_without_an_rdb_and_is_unknown_without_either(copied: Path) -> None:
    (copied / "redis" / "dump.rdb").rename(copied / "redis" / "appendonlydir" / "appendonly.aof.1.base.rdb")
    assert redis_version_of(copied / "redis") == "7.0.15"
    assert redis_version_of(copied / "nothing") == "unknown"


def test_archives_are_named_by_their_utc_time() -> None:
    assert archive_name(CREATED) == "maru-backup-20261207T084600Z.tar.gz"


def test_an_archive_unpacks_to_exactly_the_files_packed_with_the_manifest_first(copied: Path, tmp_path: Path) -> None:
    path, manifest = pack(copied, tmp_path / "backups", CREATED, "7.0.15")
    assert path == tmp_path / "backups" / "maru-backup-20261207T084600Z.tar.gz"
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no partial file left
    with tarfile.open(path) as archive:
        assert archive.getnames()[0] == "manifest.json"
    assert extract(path, tmp_path / "out") == manifest
    assert describe(tmp_path / "out") == describe(copied)
    with pytest.raises(BackupError, match="already exists"):
        pack(copied, tmp_path / "backups", CREATED, "7.0.15")


def test_unpacking_into_an_existing_directory_is_refused(copied: Path, tmp_path: Path) -> None:
    path, _ = pack(copied, tmp_path, CREATED, "7.0.15")
    (tmp_path / "out").mkdir()
    with pytest.raises(BackupError, match="already exists; unpack into a new directory"):
        extract(path, tmp_path / "out")


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_a_member_outside_the_directory_is_refused_before_it_is_written(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "evil.tar.gz", {"../escaped.txt": b"x"})
    with pytest.raises(BackupError, match=r"is damaged: unexpected member '\.\./escaped\.txt'"):
        extract(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_an_archive_without_a_manifest_is_refused(tmp_path: Path) -> None:
    archive = write_archive(tmp_path / "plain.tar.gz", {"knowledge/en/shipping.yml": b"faqs: []\n"})
    with pytest.raises(BackupError, match=r"has no manifest\.json: it is not a backup made by this script"):
        extract(archive, tmp_path / "out")


def test_files_already_copied_out_are_packed_with_the_version_of_their_rdb(copied: Path, tmp_path: Path) -> None:
    made = pack_copied(copied, tmp_path / "backups")
    assert made.manifest.redis_version == "7.0.15"
    assert made.manifest.files == describe(copied)
    assert made.bytes == made.path.stat().st_size
    (copied / "models").mkdir()
    with pytest.raises(
        BackupError, match=r"should hold redis/, knowledge/ and changes.jsonl only \(found \['models'\]\)"
    ):
        pack_copied(copied, tmp_path / "backups")


def test_answering_finds_the_listeners_something_accepts_connections_on() -> None:
    with socket.socket() as listening, socket.socket() as closed:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        closed.bind(("127.0.0.1", 0))  # bound, not listening: refuses connections
        up = Listener("Redis", "127.0.0.1", listening.getsockname()[1])
        down = Listener("gateway", "127.0.0.1", closed.getsockname()[1])
        assert answering([up, down]) == [up]
