"""Ingesting a large media file takes bounded memory, whatever its size.

A child process stores a generated stream with the media store and reports its peak RSS
(`ru_maxrss`, and the kernel's VmHWM) and the digests; the parent hashes the same stream
independently with hashlib and compares.

Linux carries `ru_maxrss` across exec: a process spawned directly by pytest would report the
pytest worker's own peak if that is larger. So the child is started from /bin/sh, which forks
it: a forked process starts with a fresh maximum, taken from the small shell.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.s3fixtures import S3Server

MiB = 1 << 20
GiB = 1 << 30
PEAK_RSS_LIMIT = 100 * 1000 * 1000  # bytes ("100 MB")
CHILD_TIMEOUT = 900


def media_chunks(total: int, seed: int) -> Iterator[bytes]:
    """`total` bytes in 1 MiB chunks: a pseudo-random block, rotated and stamped per chunk.

    Not random content, but no two chunks are equal, so a store that dropped, repeated or
    reordered chunks would produce other digests.
    """
    import random

    block = 1 << 20
    base = random.Random(seed).randbytes(block)
    sent = 0
    index = 0
    while sent < total:
        shift = (index * 4099) % block
        rotated = base[shift:] + base[:shift]
        chunk = index.to_bytes(8, "big") + rotated[8:]
        chunk = chunk[: min(block, total - sent)]
        yield chunk
        sent += len(chunk)
        index += 1


_CHILD_MAIN = """
import json
import os
import resource
import sys

params = json.loads(sys.argv[1])
if params["backend"] == "local":
    from lawtrail.evidence.store import LocalMediaStore

    store = LocalMediaStore(params["root"])
else:
    from lawtrail.evidence.s3 import S3MediaStore

    store = S3MediaStore(
        params["bucket"],
        params["prefix"],
        endpoint_url=params["endpoint"],
        access_key=os.environ["TEST_S3_ACCESS_KEY"],
        secret_key=os.environ["TEST_S3_SECRET_KEY"],
    )
stored = store.put(media_chunks(params["size"], params["seed"]))
peak_after_put = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
problem = store.check(stored.sha256, stored.sm3, stored.size)
with open("/proc/self/status") as status:
    hwm = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(
    json.dumps(
        {
            "sha256": stored.sha256,
            "sm3": stored.sm3,
            "size": stored.size,
            "created": stored.created,
            "location": stored.location,
            "check": None if problem is None else problem.message,
            "peak_after_put_kib": peak_after_put,
            "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "vm_hwm_kib": hwm,
        }
    )
)
"""

CHILD_SCRIPT = (
    "from __future__ import annotations\n" + inspect.getsource(media_chunks) + _CHILD_MAIN
)


def expected_digests(size: int, seed: int) -> tuple[str, str, int]:
    sha256 = hashlib.sha256()
    sm3 = hashlib.new("sm3")
    total = 0
    for chunk in media_chunks(size, seed):
        sha256.update(chunk)
        sm3.update(chunk)
        total += len(chunk)
    return sha256.hexdigest(), sm3.hexdigest(), total


def run_child(params: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    started = time.monotonic()
    result = subprocess.run(
        # `"$@"; exit $?` keeps the shell from exec-ing the child itself (see the docstring).
        [
            "/bin/sh",
            "-c",
            '"$@"; exit $?',
            "sh",
            sys.executable,
            "-c",
            CHILD_SCRIPT,
            json.dumps(params),
        ],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, f"child failed:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    report["seconds"] = time.monotonic() - started
    return report


def require_free_space(path: Path, needed: int) -> None:
    free = shutil.disk_usage(path).free
    if free < needed:
        pytest.fail(
            f"not enough disk space for the bounded-memory test in {path}: "
            f"{free / GiB:.1f} GiB free, {needed / GiB:.1f} GiB needed",
            pytrace=False,
        )


def test_media_chunks_vary_and_have_the_requested_size() -> None:
    chunks = list(media_chunks(3 * MiB + 5, seed=7))
    assert [len(c) for c in chunks] == [MiB, MiB, MiB, 5]
    assert len(set(chunks[:3])) == 3
    assert list(media_chunks(3 * MiB + 5, seed=7)) == chunks


def test_storing_2_gb_locally_takes_less_than_100_mb_of_memory(tmp_path: Path) -> None:
    size = 2 * GiB
    require_free_space(tmp_path, 3 * GiB)
    root = tmp_path / "media"
    try:
        report = run_child({"backend": "local", "root": str(root), "size": size, "seed": 2024})
        sha256, sm3, total = expected_digests(size, seed=2024)

        print(
            f"2 GiB local ingest + check: {report['seconds']:.1f} s, "
            f"peak RSS {report['peak_kib'] / 1024:.1f} MiB "
            f"(after put {report['peak_after_put_kib'] / 1024:.1f} MiB, "
            f"VmHWM {report['vm_hwm_kib'] / 1024:.1f} MiB)"
        )
        assert (report["sha256"], report["sm3"], report["size"]) == (sha256, sm3, total)
        assert total == size
        assert report["created"] is True
        assert report["check"] is None
        stored = root / "sha256" / sha256[:2] / sha256[2:4] / sha256
        assert stored.stat().st_size == size
        assert report["peak_kib"] * 1024 < PEAK_RSS_LIMIT, report
        assert report["vm_hwm_kib"] * 1024 < PEAK_RSS_LIMIT, report
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_storing_256_mb_on_s3_takes_less_than_100_mb_of_memory(s3_server: S3Server) -> None:
    size = 256 * MiB
    require_free_space(s3_server.data_dir, 1 * GiB)
    client = s3_server.client()
    bucket = s3_server.new_bucket_name("mem")
    client.create_bucket(Bucket=bucket)
    try:
        report = run_child(
            {
                "backend": "s3",
                "bucket": bucket,
                "prefix": "evidence",
                "endpoint": s3_server.endpoint_url,
                "size": size,
                "seed": 2025,
            },
            env={
                "TEST_S3_ACCESS_KEY": s3_server.access_key,
                "TEST_S3_SECRET_KEY": s3_server.secret_key,
            },
        )
        sha256, sm3, total = expected_digests(size, seed=2025)

        print(
            f"256 MiB S3 ingest + check: {report['seconds']:.1f} s, "
            f"peak RSS {report['peak_kib'] / 1024:.1f} MiB "
            f"(after put {report['peak_after_put_kib'] / 1024:.1f} MiB, "
            f"VmHWM {report['vm_hwm_kib'] / 1024:.1f} MiB)"
        )
        assert (report["sha256"], report["sm3"], report["size"]) == (sha256, sm3, total)
        assert report["check"] is None
        assert report["location"] == f"s3://{bucket}/evidence/sha256/{sha256}"
        keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == [f"evidence/sha256/{sha256}"]
        assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
        head = client.head_object(Bucket=bucket, Key=keys[0])
        assert head["ContentLength"] == size
        assert head["Metadata"]["sm3"] == sm3
        assert report["peak_kib"] * 1024 < PEAK_RSS_LIMIT, report
        assert report["vm_hwm_kib"] * 1024 < PEAK_RSS_LIMIT, report
    finally:
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
