"""The evidence store on S3-compatible object storage (a real SeaweedFS server on loopback),
end to end: `lawtrail media ingest` into S3, `lawtrail verify --media` re-hashes the object and
names the file when one byte is flipped or the object is deleted."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from tests.builders import run_lawtrail

ROOT = Path(__file__).resolve().parents[2]
CASE_FILE = ROOT / "examples" / "luanchuan-stats" / "compliant-false-statistics-penalty.json"


def _problems(result: subprocess.CompletedProcess[str]) -> list[dict]:  # type: ignore[type-arg]
    return [p for p in json.loads(result.stdout)["problems"] if p["media"]]


def test_media_in_s3_verify_and_a_flipped_or_deleted_object_is_named(
    s3_server,
    sqlite_url: str,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    store = s3_server.new_store("evidence")
    bucket = store.bucket
    env = {
        "DATABASE_URL": sqlite_url,
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
        **s3_server.env(store),
    }
    case = json.loads(CASE_FILE.read_text("utf-8"))
    for record in case["records"]:
        record.pop("media", None)  # illustrative digests: no files behind them
    case_file = tmp_path / "case.json"
    case_file.write_text(json.dumps(case, ensure_ascii=False), "utf-8")
    assert run_lawtrail(env, "ledger", "import", str(case_file)).returncode == 0
    video = tmp_path / "VID_0001.MP4"
    video.write_bytes(os.urandom(12 * 1024 * 1024))  # > one 8 MiB part: a multipart upload
    ingested = run_lawtrail(
        env, "media", "ingest", str(video), "--agency", "luanchuan-stats",
        "--case", case["case_number"], "--type", "video",
        "--captured-at", "2026-11-20T09:00:00+08:00", "--uploader", "王强",
    )  # fmt: skip
    assert ingested.returncode == 0, ingested.stderr
    sha = hashlib.sha256(video.read_bytes()).hexdigest()
    assert sha in ingested.stdout

    ok = run_lawtrail(
        env, "verify", "--media", "--format", "json", "--allow-unpinned", "--allow-unwitnessed"
    )
    assert ok.returncode == 0, ok.stdout
    assert json.loads(ok.stdout)["logs"][0]["media_checked"] == 1

    client = s3_server.client()
    key = store.key(sha)
    data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    data[5_000_000] ^= 0x01
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data))
    flipped = run_lawtrail(env, "verify", "--media", "--format", "json")
    assert flipped.returncode == 1
    [problem] = _problems(flipped)
    assert (problem["code"], problem["media"]) == ("media_digest_mismatch", sha)

    client.delete_object(Bucket=bucket, Key=key)
    deleted = run_lawtrail(env, "verify", "--media", "--format", "json")
    assert deleted.returncode == 1
    [problem] = _problems(deleted)
    assert (problem["code"], problem["media"]) == ("media_missing", sha)
    untouched = run_lawtrail(env, "verify", "--allow-unpinned", "--allow-unwitnessed")
    assert untouched.returncode == 0  # the log itself is untouched
