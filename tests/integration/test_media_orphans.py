"""Orphaned uploads (issue #18): an upload killed mid-way leaves its bytes under the store's
`incoming/` — a `.part` file locally, an unfinished multipart upload (and maybe an incoming
object) on S3. `lawtrail media cleanup` and the server at start remove them once they are older
than the grace period, and never touch stored evidence nor an upload still in progress.

The uploads here are real `lawtrail media ingest` processes reading from a FIFO: the test feeds
part of a video, waits until the bytes are in the store, and SIGKILLs the process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lawtrail import web_cli
from lawtrail.evidence.store import LocalMediaStore
from tests.builders import run_lawtrail
from tests.s3fixtures import S3Server

ROOT = Path(__file__).resolve().parents[2]
CASE_FILE = ROOT / "examples" / "luanchuan-stats" / "compliant-false-statistics-penalty.json"
MiB = 1 << 20
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
WAIT_S = 120.0

pytestmark = pytest.mark.slow


def video(size: int, seed: int) -> bytes:
    return MP4_HEADER + random.Random(seed).randbytes(size - len(MP4_HEADER))


def wait_for(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def import_case(env: dict[str, str], tmp_path: Path) -> str:
    case = json.loads(CASE_FILE.read_text("utf-8"))
    for record in case["records"]:
        record.pop("media", None)  # illustrative digests: no files behind them
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case, ensure_ascii=False), "utf-8")
    imported = run_lawtrail(env, "ledger", "import", str(case_file))
    assert imported.returncode == 0, imported.stderr
    return str(case["case_number"])


def ingest_args(path: Path, case_number: str) -> list[str]:
    return [
        "media", "ingest", str(path), "--agency", "luanchuan-stats", "--case", case_number,
        "--type", "video", "--captured-at", "2026-11-20T09:00:00+08:00", "--uploader", "王强",
    ]  # fmt: skip


def media_entries(env: dict[str, str]) -> int:
    """The ledger's media entries (what was acknowledged as stored), via `lawtrail verify`."""
    result = run_lawtrail(
        env, "verify", "--media", "--format", "json", "--allow-unpinned", "--allow-unwitnessed"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return int(json.loads(result.stdout)["logs"][0]["media_checked"])


class KilledUpload:
    """`lawtrail media ingest` reading a video from a FIFO; `feed` writes part of it."""

    def __init__(self, env: dict[str, str], tmp_path: Path, case_number: str) -> None:
        self.fifo = tmp_path / "VID_0002.MP4"
        os.mkfifo(self.fifo)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lawtrail", *ingest_args(self.fifo, case_number)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._writer: Any = None

    def feed(self, data: bytes) -> None:
        if self._writer is None:
            self._writer = open(self.fifo, "wb")  # noqa: SIM115 - closed by kill()
        self._writer.write(data)
        self._writer.flush()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.communicate(timeout=WAIT_S)
        assert self.proc.returncode == -signal.SIGKILL
        if self._writer is not None:
            # The reader is dead: the FIFO's unread bytes have nowhere to go.
            with contextlib.suppress(BrokenPipeError):
                self._writer.close()


@pytest.fixture
def killed_upload() -> Iterator[list[KilledUpload]]:
    started: list[KilledUpload] = []
    yield started
    for upload in started:
        if upload.proc.poll() is None:
            upload.proc.kill()
            upload.proc.communicate(timeout=WAIT_S)


def cleanup(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = run_lawtrail(env, "media", "cleanup", "--format", "json", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_a_sigkilled_local_upload_leaves_a_part_file_that_cleanup_removes_evidence_untouched(
    sqlite_url: str, tmp_path: Path, killed_upload: list[KilledUpload]
) -> None:
    media_dir = tmp_path / "media"
    env = {
        "DATABASE_URL": sqlite_url,
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
        "LAWTRAIL_MEDIA_STORE": media_dir.as_uri(),
    }
    case_number = import_case(env, tmp_path)
    evidence = tmp_path / "VID_0001.MP4"
    evidence.write_bytes(video(3 * MiB, seed=1))
    assert run_lawtrail(env, *ingest_args(evidence, case_number)).returncode == 0
    store = LocalMediaStore(media_dir)
    sha = hashlib.sha256(evidence.read_bytes()).hexdigest()
    stored = store.path(sha)
    stored_before = (stored.read_bytes(), stored.stat().st_mtime_ns, stored.stat().st_ino)

    upload = KilledUpload(env, tmp_path, case_number)
    killed_upload.append(upload)
    upload.feed(video(4 * MiB, seed=2))  # of a longer file: the process waits for the rest
    incoming = media_dir / "incoming"

    def parts() -> list[Path]:
        return sorted(incoming.glob("*.part"))

    wait_for("the partial file", lambda: bool(parts()) and parts()[0].stat().st_size >= 3 * MiB)
    upload.kill()
    [partial] = parts()
    assert partial.stat().st_size >= 3 * MiB  # the killed upload's bytes are left behind
    assert media_entries(env) == 1  # nothing of it registered; the earlier file still is

    # Within the grace period (default 24 h) it counts as an upload in progress: kept.
    assert cleanup(env)["orphans"] == []
    assert partial.exists()
    # A dry run lists it and keeps it.
    listed = cleanup(env, "--older-than", "0", "--dry-run")["orphans"]
    assert [(o["kind"], o["location"], o["removed"]) for o in listed] == [
        ("partial_file", partial.as_uri(), False)
    ]
    assert partial.exists()
    # Once it is older than the grace period, the cleanup removes it — and only it.
    old = time.time() - 2 * 86400
    os.utime(partial, (old, old))
    os.utime(stored, (old, old))  # evidence as old as the orphan is still never touched
    stored_before = (stored.read_bytes(), stored.stat().st_mtime_ns, stored.stat().st_ino)
    text = run_lawtrail(env, "media", "cleanup")
    assert text.returncode == 0, text.stderr
    assert "已清理" in text.stdout and "未完成上传的临时文件" in text.stdout
    assert "已删除" in text.stdout
    assert parts() == []
    assert (stored.read_bytes(), stored.stat().st_mtime_ns, stored.stat().st_ino) == stored_before
    assert sorted(p.name for p in (media_dir / "sha256").rglob("*") if p.is_file()) == [sha]
    assert media_entries(env) == 1  # `verify --media` re-hashed the evidence: intact


def test_cleanup_spares_an_upload_in_progress_and_refuses_a_bad_duration(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path / "media")
    fresh = store.root / "incoming" / f"{'a' * 32}.part"
    fresh.write_bytes(b"still arriving")
    not_ours = store.root / "incoming" / "notes.txt"  # not a name `put` makes: left alone
    not_ours.write_bytes(b"x")
    old = time.time() - 3600
    os.utime(not_ours, (old, old))
    assert store.remove_orphans(60) == []
    assert fresh.exists() and not_ours.exists()
    env = {"LAWTRAIL_MEDIA_STORE": store.url}
    bad = run_lawtrail(env, "media", "cleanup", "--older-than", "soon")
    assert bad.returncode == 2
    assert "--older-than 的值 'soon' 无效" in bad.stderr


def test_the_server_removes_old_orphans_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LocalMediaStore(tmp_path / "media")
    kept = store.put([video(MiB, seed=3)])
    old_part = store.root / "incoming" / f"{'b' * 32}.part"
    new_part = store.root / "incoming" / f"{'c' * 32}.part"
    old_part.write_bytes(b"left by a crash")
    new_part.write_bytes(b"another server's upload in progress")
    old = time.time() - 7200
    os.utime(old_part, (old, old))
    monkeypatch.setenv("LAWTRAIL_MEDIA_STORE", store.url)
    monkeypatch.setenv("LAWTRAIL_ORPHAN_GRACE", "3600")
    web_cli.remove_orphans_at_start()
    assert not old_part.exists()
    assert new_part.exists()
    assert store.check(kept.sha256, kept.sm3, kept.size) is None
    assert "未完成上传的临时文件" in capsys.readouterr().err
    # An unreachable store is a warning, never a server that does not start.
    monkeypatch.setenv("LAWTRAIL_MEDIA_STORE", "s3://no-such-bucket?endpoint=http://127.0.0.1:9")
    monkeypatch.setenv("LAWTRAIL_S3_ACCESS_KEY", "k")
    monkeypatch.setenv("LAWTRAIL_S3_SECRET_KEY", "s")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    web_cli.remove_orphans_at_start()
    assert "警告：启动时未能清理中断的上传" in capsys.readouterr().err


def test_a_sigkilled_s3_upload_leaves_multipart_parts_that_cleanup_aborts(
    s3_server: S3Server, sqlite_url: str, tmp_path: Path, killed_upload: list[KilledUpload]
) -> None:
    store = s3_server.new_store("orphans")
    bucket = store.bucket
    env = {
        "DATABASE_URL": sqlite_url,
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
        **s3_server.env(store),
    }
    client = s3_server.client()
    case_number = import_case(env, tmp_path)
    evidence = tmp_path / "VID_0001.MP4"
    evidence.write_bytes(video(2 * MiB, seed=1))
    assert run_lawtrail(env, *ingest_args(evidence, case_number)).returncode == 0
    sha = hashlib.sha256(evidence.read_bytes()).hexdigest()
    etag_before = client.head_object(Bucket=bucket, Key=store.key(sha))["ETag"]

    def uploads() -> list[dict[str, Any]]:
        found = client.list_multipart_uploads(Bucket=bucket, Prefix="lawtrail/incoming/")
        return list(found.get("Uploads", []))

    def uploaded_parts() -> int:
        return sum(
            len(
                client.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"]).get(
                    "Parts", []
                )
            )
            for u in uploads()
        )

    upload = KilledUpload(env, tmp_path, case_number)
    killed_upload.append(upload)
    upload.feed(video(9 * MiB, seed=2))  # > one 8 MiB part: the first part is sent
    wait_for("an uploaded part", lambda: uploaded_parts() >= 1)
    upload.kill()
    [left] = uploads()
    assert uploaded_parts() == 1
    # Also an incoming object whose put died between its upload and its deletion.
    stray = "lawtrail/incoming/" + "d" * 32
    client.put_object(Bucket=bucket, Key=stray, Body=b"left by a crash")
    assert media_entries(env) == 1

    assert cleanup(env)["orphans"] == []  # within the 24 h grace period: in progress
    assert len(uploads()) == 1
    removed = cleanup(env, "--older-than", "0")["orphans"]
    assert sorted((o["kind"], o["removed"]) for o in removed) == [
        ("incoming_object", True),
        ("multipart_upload", True),
    ]
    multipart = next(o for o in removed if o["kind"] == "multipart_upload")
    assert left["UploadId"] in multipart["location"]
    assert multipart["size"] == 8 * MiB
    assert uploads() == []
    listed = client.list_objects_v2(Bucket=bucket, Prefix="lawtrail/")
    assert [o["Key"] for o in listed.get("Contents", [])] == [store.key(sha)]
    assert client.head_object(Bucket=bucket, Key=store.key(sha))["ETag"] == etag_before
    assert media_entries(env) == 1  # the evidence re-hashed from S3: intact
