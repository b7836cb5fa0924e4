"""Archive package: MB/s of ``archive.export_case`` and of the offline verifier on a case with
1 GiB of media (issue #5).

The case is an example case with four 256 MiB video files ingested into a local media store.
``export_case`` proves every entry against the signed checkpoint, copies every file into the
bag while hashing it with SHA-256 and SHA-512 (two threads), fsyncs it, and writes manifests,
tag manifests (SHA-256, SHA-512, SM3) and the signed bag note. ``verify_package`` reads every
file once, hashing SHA-256, SHA-512 and — for media and documents, against the ledger — SM3, in
parallel threads, then checks proofs, signatures and the case data.

Baseline: a plain copy of the same media files (read, write, fsync each file — what `cp` plus
`sync` does), the least an export must do. Like the media benchmark, everything runs warm from
the page cache (no root to drop it). MB = 10^6 bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks.bench_media import CHUNK, median_seconds, say
from lawtrail import archive, services
from lawtrail import verify as offline
from lawtrail.core.caseio import parse_case
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.evidence.store import LocalMediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tonghua-market" / "compliant-ex-officio-penalty.json"
MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"


def _chunks(count: int) -> Any:
    yield MP4_HEAD + os.urandom(CHUNK - len(MP4_HEAD))
    for _ in range(count - 1):
        yield os.urandom(CHUNK)


def copy_files(sources: list[Path], target: Path) -> None:
    target.mkdir()
    for source in sources:
        with open(source, "rb") as src, open(target / source.name, "wb") as out:
            while chunk := src.read(CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())


def run(quick: bool = False) -> dict[str, Any]:
    files, file_mib = (2, 16) if quick else (4, 256)
    rounds = 1 if quick else 3
    now = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-archive-") as tmp:
        folder = Path(tmp)
        keys = KeyDirectory(folder / "keys")
        ledger = Ledger(
            Database(f"sqlite:///{folder / 'ledger.sqlite3'}"), keys, "lawtrail.local",
            clock=lambda: now,
        )  # fmt: skip
        store = LocalMediaStore(folder / "media")
        example = parse_case(json.loads(EXAMPLE.read_text("utf-8")))
        case = replace(example, records=tuple(replace(r, media=()) for r in example.records))
        services.do_import_case(ledger, case, now=now)
        say(f"ingesting {files} × {file_mib} MiB of video into {folder}")
        shas = []
        for i in range(files):
            ingested = services.do_ingest_media(
                ledger, store, case.agency, case.case_number, _chunks(file_mib), type="video",
                captured_at=now, uploader="张明", filename=f"执法记录仪-{i}.mp4", now=now,
            )  # fmt: skip
            shas.append(ingested.media.sha256)
        size = files * file_mib * CHUNK
        sources = [store.path(sha) for sha in shas]
        bags, copies = iter(range(1_000)), iter(range(1_000))

        def export() -> None:
            dest = folder / f"bag-{next(bags)}"
            archive.export_case(ledger, store, keys, case.agency, case.case_number, dest, now=now)

        def verify() -> None:
            result = offline.verify_package(folder / "bag-0")
            assert not result.problems, result.problems  # (keys not pinned here: not verified)

        def copy() -> None:
            target = folder / f"copy-{next(copies)}"
            copy_files(sources, target)
            shutil.rmtree(target)

        copy()  # warm the page cache with the store's files
        times = {"copy": median_seconds(copy, rounds)}
        times["export"] = median_seconds(export, rounds)
        times["verify"] = median_seconds(verify, rounds)
        bag_files = sum(1 for p in (folder / "bag-0").rglob("*") if p.is_file())
        same_fs = os.stat(folder).st_dev == os.stat(ROOT).st_dev
        ledger.db.close()
    rates = {name: size / 1e6 / seconds for name, seconds in times.items()}
    say(", ".join(f"{name} {rate:,.0f} MB/s" for name, rate in rates.items()))
    return {
        "bytes": size,
        "files": files,
        "bag_files": bag_files,
        "rounds": rounds,
        "same_fs": same_fs,
        "times": times,
        "rates": rates,
    }


def markdown(result: dict[str, Any]) -> str:
    rates, times = result["rates"], result["times"]
    gib = result["bytes"] / 2**30
    disk = "on the same disk as the repository" if result["same_fs"] else "on another disk"

    def row(label: str, name: str) -> str:
        return (
            f"| {label} | **{rates[name]:,.0f}** | {times[name]:.2f} | "
            f"{rates[name] / rates['copy']:.2f} |"
        )

    return "\n".join(
        [
            f"An example case (tonghua-market) with {result['files']} video files, "
            f"{gib:.2f} GiB in all, in a local media store in a tmp dir {disk}; the bag has "
            f"{result['bag_files']} files. Median of {result['rounds']} runs, warm page cache; "
            "MB/s = media bytes (10^6) per second.",
            "",
            "| measure | MB/s | seconds | ratio to the copy |",
            "|---|---|---|---|",
            row("`lawtrail export` (`archive.export_case`: proofs, copy + SHA-256/SHA-512, "
                "fsync, manifests, signed note, four-property report)", "export"),
            row("`lawtrail-verify` (`verify.verify_package`: SHA-256 + SHA-512 + SM3 of every "
                "file, proofs, signatures, case data)", "verify"),
            f"| baseline: plain copy of the same files (read, write, fsync) | "
            f"{rates['copy']:,.0f} | {times['copy']:.2f} | 1.00 |",
        ]
    )  # fmt: skip
