"""Media ingest: MB/s of ``LocalMediaStore.put`` on a 1 GiB file.

``put`` reads the source once and, in the same pass, hashes SHA-256 and SM3 in two threads and
writes the bytes to the store (then fsyncs and publishes). Baseline: ``hashlib.new("sm3")``
alone over the same file read in 1 MiB chunks (SM3 is the slower of the two digests, so it sets
the floor); SHA-256 alone, both digests without writing (``digest_stream``) and writing + fsync
without hashing are shown too, to tell where the time goes.

The page cache cannot be dropped here (no root), so the file is read once before timing and
every measure runs warm: they all read from memory and differ only in what they do with the
bytes. MB = 10^6 bytes.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lawtrail.evidence.hashing import digest_stream
from lawtrail.evidence.store import LocalMediaStore

CHUNK = 1 << 20
ROOT = Path(__file__).resolve().parents[1]


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def make_file(path: Path, size: int) -> None:
    with open(path, "wb") as out:
        for _ in range(size // CHUNK):
            out.write(os.urandom(CHUNK))
        out.flush()
        os.fsync(out.fileno())


def read_all(path: Path) -> None:
    with open(path, "rb") as src:
        while src.read(CHUNK):
            pass


def hash_file(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def copy_fsync(path: Path, target: Path) -> None:
    with open(path, "rb") as src, open(target, "wb") as out:
        while chunk := src.read(CHUNK):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    target.unlink()


def median_seconds(fn: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run(quick: bool = False) -> dict[str, Any]:
    size = (64 if quick else 1024) * CHUNK
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-media-") as tmp:
        folder = Path(tmp)
        source = folder / "source.bin"
        say(f"writing a {size / 2**30:.2f} GiB file of random bytes in {folder}")
        make_file(source, size)
        read_all(source)  # warm: every measure below reads from the page cache
        store = LocalMediaStore(folder / "store")
        expected_sha256 = hash_file(source, "sha256")
        expected_sm3 = hash_file(source, "sm3")

        def put() -> None:
            with open(source, "rb") as src:
                stored = store.put(src)
            assert (stored.sha256, stored.sm3, stored.size) == (expected_sha256, expected_sm3, size)
            assert stored.created
            # Unpublish so the next round does the full work again (no deduplication).
            store.path(stored.sha256).unlink()

        def digests() -> None:
            with open(source, "rb") as src:
                assert digest_stream(src).sm3 == expected_sm3

        times = {
            "read": median_seconds(lambda: read_all(source), rounds),
            "sha256": median_seconds(lambda: hash_file(source, "sha256"), rounds),
            "sm3": median_seconds(lambda: hash_file(source, "sm3"), rounds),
            "digest_stream": median_seconds(digests, rounds),
            "write_fsync": median_seconds(lambda: copy_fsync(source, folder / "copy.bin"), rounds),
            "put": median_seconds(put, rounds),
        }
        same_fs = os.stat(folder).st_dev == os.stat(ROOT).st_dev
    rates = {name: size / 1e6 / seconds for name, seconds in times.items()}
    say(", ".join(f"{name} {rate:,.0f} MB/s" for name, rate in rates.items()))
    return {"bytes": size, "rounds": rounds, "same_fs": same_fs, "times": times, "rates": rates}


def markdown(result: dict[str, Any]) -> str:
    rates, times = result["rates"], result["times"]
    gib = result["bytes"] / 2**30

    def row(label: str, name: str, bold: bool = False) -> str:
        rate, seconds = f"{rates[name]:,.0f}", f"{times[name]:.2f}"
        if bold:
            rate = f"**{rate}**"
        return f"| {label} | {rate} | {seconds} |"

    disk = "on the same disk as the repository" if result["same_fs"] else "on another disk"
    return "\n".join(
        [
            f"A {gib:.2f} GiB file of random bytes in a tmp dir {disk}, read once before timing "
            f"(all measures run warm from the page cache). Median of {result['rounds']} runs; "
            "MB = 10^6 bytes.",
            "",
            "| measure | MB/s | seconds |",
            "|---|---|---|",
            row("**`LocalMediaStore.put`** (SHA-256 + SM3 in two threads, write, fsync, "
                "publish)", "put", bold=True),
            row("baseline: `hashlib.new(\"sm3\")` alone, 1 MiB chunks", "sm3"),
            row("`hashlib.sha256` alone, 1 MiB chunks", "sha256"),
            row("`digest_stream` (both digests, two threads, no write)", "digest_stream"),
            row("write + fsync alone (no hashing)", "write_fsync"),
            row("read alone (page cache)", "read"),
            f"| ratio put ÷ SM3 alone (speed) | {rates['put'] / rates['sm3']:.2f} | |",
        ]
    )  # fmt: skip
