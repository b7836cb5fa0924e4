"""Ledger benchmarks: durable appends, full verification, inclusion proofs at 10^6 leaves.

Three sections of docs/performance.md, each with its own baseline (same machine, same run):

- ``ledger-append``: entries per second that ``Ledger.append`` makes durable on SQLite (WAL,
  synchronous=FULL, a file in a tmp dir) and on PostgreSQL (a fresh schema, dropped
  afterwards), one entry per call and 100 entries per call. Baseline: plain INSERTs of the same
  rows into a table with the same columns and primary key but no triggers, committed one by one
  or per 100, through the same connection settings. The baseline's rows are made before the
  clock starts, so the ratio counts everything the ledger adds (canonical JSON, hashing,
  subtree rows, head checks, triggers, the signed checkpoint).
- ``ledger-verify``: ``verify(ledger, keys, agency=…)`` over a log of 100,000 entries, cold
  (the parsed-entry cache emptied before each run, as in a ``lawtrail verify`` process), and the
  detailed pass alone (``fast_path=False``: what a log with a problem costs). Baseline: the leaf
  hashing alone, ``sha256(b"\\x00" + body)`` over the same bodies already in memory.
- ``ledger-proof``: ``inclusion_proof`` + ``merkle.verify_inclusion`` at 10^6 leaves, and how
  many database queries one proof takes. Baseline: recomputing the root from all 10^6 leaf
  hashes in memory (``merkle.root_from_leaf_hashes``) once.

The entries are real records from ``examples/`` (those whose ledger entry is closest to 600
bytes of canonical JSON), cycled.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from lawtrail.core import merkle
from lawtrail.core.canonical import canonical_bytes, ledger_entry
from lawtrail.core.caseio import parse_case, record_to_json
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.ledger import verify_fast
from lawtrail.ledger.db import SQLITE, Database, Params
from lawtrail.ledger.integrator import Integrator
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger, NewEntry
from lawtrail.ledger.verify import _claims_kept, verify

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "LAWTRAIL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
ORIGIN_BASE = "lawtrail.local"
AGENCY = "tonghua-market"
AT = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
TARGET_ENTRY_BYTES = 600
POOL_SIZE = 16

TRILLIAN_LEAVES_PER_S = 1_200
TESSERA_WRITES_PER_S = 2_900


def say(text: str) -> None:
    print(f"  {text}", flush=True)


# --------------------------------------------------------------------------- the entries


def sample_entries() -> list[NewEntry]:
    """The example records whose ledger entry is closest to TARGET_ENTRY_BYTES, as NewEntry."""
    origin = f"{ORIGIN_BASE}/{AGENCY}"
    scored: list[tuple[int, str, str, NewEntry]] = []
    for path in sorted((ROOT / "examples").glob("*/*.json")):
        case = parse_case(json.loads(path.read_text(encoding="utf-8")))
        for record in case.records:
            body = record_to_json(record)
            data = ledger_entry(
                origin=origin,
                index=123_456,
                recorded_at=AT,
                agency=AGENCY,
                case_number=case.case_number,
                type="record",
                body=body,
            )
            size = len(canonical_bytes(data))
            new = NewEntry(case.case_number, "record", record.id, body)
            scored.append((abs(size - TARGET_ENTRY_BYTES), case.case_number, record.id, new))
    scored.sort(key=lambda item: item[:3])
    return [item[3] for item in scored[:POOL_SIZE]]


def entries(pool: Sequence[NewEntry], start: int, count: int) -> list[NewEntry]:
    """`count` entries cycling through `pool`, each with its own record id and ref (as real
    records have: `lawtrail verify` holds the ref column to the id in the hashed body)."""
    out = []
    for i in range(start, start + count):
        new = pool[i % len(pool)]
        ref = f"{new.ref}-{i}"
        out.append(NewEntry(new.case_number, new.type, ref, {**new.body, "id": ref}))
    return out


def plain_rows(pool: Sequence[NewEntry], count: int) -> list[tuple[Any, ...]]:
    """The rows the ledger would store for entries 0…count-1 (same columns, same bytes)."""
    origin = f"{ORIGIN_BASE}/{AGENCY}"
    rows = []
    for seq, new in enumerate(entries(pool, 0, count)):
        data = ledger_entry(
            origin=origin,
            index=seq,
            recorded_at=AT,
            agency=AGENCY,
            case_number=new.case_number,
            type=new.type,
            body=new.body,
        )
        body = canonical_bytes(data)
        rows.append(
            (AGENCY, seq, data["recorded_at"], new.case_number, new.type, new.ref, body,
             merkle.leaf_hash(body))
        )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_url() -> Iterator[tuple[str, Path]]:
    """A SQLite URL in a fresh tmp dir (and the dir, for the key directory)."""
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}", Path(tmp)


def postgres_unavailable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL unreachable at {POSTGRES_URL}: {str(exc).strip()}"


@contextmanager
def postgres_url() -> Iterator[tuple[str, Path]]:
    """A PostgreSQL URL whose search_path is a new schema (dropped afterwards)."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with tempfile.TemporaryDirectory(prefix="lawtrail-bench-") as tmp:
            yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", Path(tmp)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def postgres_version() -> str:
    import psycopg

    with psycopg.connect(POSTGRES_URL) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0].split()[0]}" if row else "PostgreSQL"


def same_filesystem(path: str) -> bool:
    return os.stat(path).st_dev == os.stat(ROOT).st_dev


class CountingDatabase(Database):
    """A Database that counts the statements the ledger sends (one() and all() go through
    execute(); BEGIN and COMMIT do not) and, when `recording`, keeps them."""

    queries = 0
    recording: list[tuple[str, tuple[Any, ...]]] | None = None

    def execute(self, sql: str, params: Params = ()) -> Any:
        self.queries += 1
        if self.recording is not None:
            self.recording.append((sql, tuple(params)))
        return super().execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self.queries += 1
        super().executemany(sql, rows)


def new_ledger(db: Database, keys: Path, *, integrate_on_append: bool = True) -> Ledger:
    return Ledger(db, KeyDirectory(keys), ORIGIN_BASE, integrate_on_append=integrate_on_append)


def build_log(
    ledger: Ledger, pool: Sequence[NewEntry], total: int, batch: int, progress: int = 0
) -> float:
    """Append `total` entries in calls of `batch`; seconds taken. Prints every `progress`."""
    start = time.perf_counter()
    done = 0
    while done < total:
        count = min(batch, total - done)
        ledger.append(AGENCY, entries(pool, done, count))
        done += count
        if progress and (done % progress == 0 or done == total):
            elapsed = time.perf_counter() - start
            say(f"built {done:,}/{total:,} entries in {elapsed:.0f} s ({done / elapsed:,.0f}/s)")
    return time.perf_counter() - start


# --------------------------------------------------------------------------- 1. appends

PLAIN_TABLE = """
CREATE TABLE plain_entry (
    agency       TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    recorded_at  TEXT NOT NULL,
    case_number  TEXT NOT NULL,
    type         TEXT NOT NULL,
    ref          TEXT NOT NULL,
    body         {blob} NOT NULL,
    leaf_hash    {blob} NOT NULL,
    PRIMARY KEY (agency, seq)
)
"""
PLAIN_INSERT = (
    "INSERT INTO plain_entry (agency, seq, recorded_at, case_number, type, ref, body, leaf_hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def time_ledger_appends(
    url: str, keys: Path, pool: Sequence[NewEntry], total: int, batch: int, *, sequenced: bool
) -> tuple[float, float, int, float]:
    """Seconds for `total` entries appended `batch` per call (durable: each call commits),
    after one warm-up append; the statements sent per call; the checkpoints signed; and the
    seconds from the last append's commit until a signed checkpoint covered it. ``sequenced``:
    appends only sequence, and the integrator thread (its own connection, as in the server)
    signs in batches while they run."""
    with closing(CountingDatabase(url)) as db:
        ledger = new_ledger(db, keys, integrate_on_append=not sequenced)
        ledger.append(AGENCY, entries(pool, 0, 1))  # log, key and first checkpoint
        ledger.integrate(AGENCY)
        calls = [entries(pool, 1 + i, min(batch, total - i)) for i in range(0, total, batch)]
        integrator = Integrator(
            lambda: new_ledger(Database(url), keys, integrate_on_append=False),
        )
        if sequenced:
            integrator.start()
        before = db.queries
        start = time.perf_counter()
        for call in calls:
            ledger.append(AGENCY, call)
        acknowledged = time.perf_counter()
        statements = (db.queries - before) / len(calls)
        while ledger.pending(AGENCY):
            time.sleep(0.001)
        lag = time.perf_counter() - acknowledged
        integrator.stop()
        assert ledger.size(AGENCY) == total + 1
        assert ledger.pending(AGENCY) == 0
        checkpoints = sum(1 for _ in ledger.checkpoints(AGENCY)) - 1
    return acknowledged - start, statements, checkpoints, lag


def time_plain_inserts(url: str, rows: Sequence[tuple[Any, ...]], batch: int) -> float:
    """Seconds for rows[1:] inserted and committed `batch` per transaction (rows[0]: warm-up)."""
    with Database(url) as db:
        db.executescript(PLAIN_TABLE.format(blob="BLOB" if db.dialect == SQLITE else "BYTEA"))
        with db.write():
            db.executemany(PLAIN_INSERT, [rows[0]])
        chunks = [rows[i : i + batch] for i in range(1, len(rows), batch)]
        start = time.perf_counter()
        for chunk in chunks:
            with db.write():
                db.executemany(PLAIN_INSERT, chunk)
        elapsed = time.perf_counter() - start
        row = db.one("SELECT COUNT(*) FROM plain_entry")
        assert row is not None
        assert row[0] == len(rows)
    return elapsed


def run_append(quick: bool = False) -> dict[str, Any]:
    pool = sample_entries()
    modes = [("one entry per call", 200 if quick else 2_000, 1)]
    modes.append(("100 entries per call", 2_000 if quick else 20_000, 100))
    rounds = 1 if quick else 3
    rows = plain_rows(pool, max(n for _, n, _ in modes) + 1)
    backends: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_url)]
    skipped = postgres_unavailable()
    if skipped is None:
        backends.append((postgres_version(), postgres_url))
    else:
        print(f"  skipping PostgreSQL: {skipped}", flush=True)
    with tempfile.TemporaryDirectory(prefix="lawtrail-bench-") as probe:
        tmp_same_fs = same_filesystem(probe)
    results = []
    for backend, make_url in backends:
        for (mode, total, batch), sequenced in itertools.product(modes, (True, False)):
            ledger_times, plain_times, statements, signed = [], [], 0.0, 0
            lags: list[float] = []
            for r in range(rounds):
                # A fresh database each round; alternate which goes first.
                order = ["ledger", "plain"] if r % 2 == 0 else ["plain", "ledger"]
                for which in order:
                    with make_url() as (url, tmp):
                        if which == "ledger":
                            seconds, statements, signed, lag = time_ledger_appends(
                                url, tmp, pool, total, batch, sequenced=sequenced
                            )
                            ledger_times.append(seconds)
                            lags.append(lag)
                        else:
                            plain_times.append(time_plain_inserts(url, rows[: total + 1], batch))
            ledger_s = statistics.median(ledger_times)
            plain_s = statistics.median(plain_times)
            calls = -(-total // batch)
            item = {
                "backend": backend,
                "mode": mode,
                "entries": total,
                "calls": calls,
                "ledger_eps": total / ledger_s,
                "plain_eps": total / plain_s,
                "ledger_eps_range": (total / max(ledger_times), total / min(ledger_times)),
                "plain_eps_range": (total / max(plain_times), total / min(plain_times)),
                "ledger_ms_per_call": 1000 * ledger_s / calls,
                "plain_ms_per_commit": 1000 * plain_s / calls,
                "ratio": plain_s / ledger_s,
                "statements": statements,
                "sequenced": sequenced,
                "checkpoints": signed,
                "lag_ms": 1000 * max(lags),
            }
            say(
                f"{backend}, {mode}, {'sequenced' if sequenced else 'signed per call'}: "
                f"ledger {item['ledger_eps']:,.0f}/s, "
                f"plain {item['plain_eps']:,.0f}/s, ratio {item['ratio']:.2f}"
            )
            results.append(item)
    return {
        "entry_bytes": statistics.mean(len(row[6]) for row in rows),
        "pool": len(pool),
        "rounds": rounds,
        "tmp_same_fs": tmp_same_fs,
        "postgres_skipped": skipped,
        "results": results,
    }


def spread(bounds: Sequence[float]) -> str:
    low, high = bounds
    return f"({low:,.0f}–{high:,.0f})" if high > low else ""


def markdown_append(result: dict[str, Any]) -> str:
    lines = [
        f"Entries: {result['pool']} real records from `examples/`, cycled; canonical entry "
        f"{result['entry_bytes']:.0f} bytes on average. Median of {result['rounds']} rounds "
        "(slowest–fastest in brackets: fsync times on this machine vary from run to run), "
        "each on a fresh database. SQLite file in a tmp dir "
        + ("on the same disk as the repository" if result["tmp_same_fs"] else "(another disk)")
        + ".",
        "",
        "| database | appends | signing | checkpoints signed | last entry signed after (ms) "
        "| ledger: entries/s | ms per call "
        "| statements per call "
        "| baseline: plain INSERT entries/s | ms per commit | ratio ledger ÷ baseline |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for item in result["results"]:
        signing = (
            "integrator thread, batches (server)"
            if item["sequenced"]
            else "in each append (CLI, tests)"
        )
        lines.append(
            f"| {item['backend']} | {item['calls']:,} × {item['mode']} | {signing} "
            f"| {item['checkpoints']:,} | {item['lag_ms']:.0f} "
            f"| **{item['ledger_eps']:,.0f}** {spread(item['ledger_eps_range'])} "
            f"| {item['ledger_ms_per_call']:.2f} "
            f"| {item['statements']:.0f} "
            f"| {item['plain_eps']:,.0f} {spread(item['plain_eps_range'])} "
            f"| {item['plain_ms_per_commit']:.2f} "
            f"| {item['ratio']:.2f} |"
        )
    lines += [
        "",
        "Statements per call: the SQL statements `append` sends besides BEGIN and COMMIT (on "
        "PostgreSQL each is a round trip to the server); the baseline sends one. "
        "Integrator rows: the server's way (issue #12 item 0) — an append only sequences its "
        "entries, durable at commit; the integrator thread, on its own connection and "
        "competing for the same write lock, signs one checkpoint per batch every 0.5 s. Rows "
        "signed in each "
        "append: what command-line tools do (one checkpoint per call). Entries/s counts durable, "
        "acknowledged appends; *last entry signed after* is the longest wait, over the rounds, "
        "from the last append's commit to a signed checkpoint covering it (the integrator's "
        "promise is ≤ 1,000 ms).",
    ]
    if result["postgres_skipped"]:
        lines += ["", f"PostgreSQL skipped: {result['postgres_skipped']}."]
    lines += [
        "",
        "For orientation only — other systems on other machines, not a baseline: Trillian's "
        f"sequencer is quoted at ~{TRILLIAN_LEAVES_PER_S:,} leaves/s on a laptop, Tessera at "
        f"~{TESSERA_WRITES_PER_S:,} writes/s on local disk with 12 cores. Both fold many "
        "concurrently submitted leaves into one tree update, so they compare with the batched "
        "rows above, not with one entry per call.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- 2. verification


def measure_verify(pool: Sequence[NewEntry], total: int, batch: int, rounds: int) -> dict[str, Any]:
    """Build a log of `total` entries appended `batch` per call; time verify and the baseline.

    Each run of ``verify`` is a fresh process, as ``lawtrail verify`` is, and that process then
    times the baseline over the same bodies: the two side by side in the same conditions, one
    ratio per run, the median reported. (Timed in this process, after the detailed pass, the
    fast path ran ≈ 20 % slower: the detailed pass leaves a heap of ≈ 225 MB, and the fast
    path's forked process shares it copy-on-write — work no ``lawtrail verify`` does.)"""
    with sqlite_url() as (url, tmp), Database(url) as db:
        keys = KeyDirectory(tmp)
        ledger = Ledger(db, keys, ORIGIN_BASE)
        say(f"building a log of {total:,} entries, {batch:,} per append")
        build_s = build_log(ledger, pool, total, batch)
        # The log as it rests on a running system's disk: its write-ahead log folded into the
        # database (as SQLite's automatic checkpoints keep it) and written out, so that the
        # kernel's writeback of the build does not share the cores with the first runs.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.sync()
        megabytes = db.one("SELECT SUM(LENGTH(body)) FROM ledger_entry WHERE agency = ?", (AGENCY,))
        # The fast path must answer for this log (else the runs below time the detailed pass).
        (info,) = ledger.logs()
        with db.snapshot():
            assert verify_fast.check_log(ledger, info, [keys.verifier(AGENCY)]) is not None
        runs = [_verify_in_fresh_process(url, tmp, total) for _ in range(rounds)]
        detailed_times: list[float] = []
        for _ in range(rounds):
            _claims_kept.clear()
            start = time.perf_counter()
            report = verify(ledger, keys, agency=AGENCY, fast_path=False)
            detailed_times.append(time.perf_counter() - start)
            assert not report.problems, report.problems[:3]

    verify_s = statistics.median(run["verify_s"] for run in runs)
    hash_s = statistics.median(run["hash_s"] for run in runs)
    ratios = [run["hash_s"] / run["verify_s"] for run in runs]
    detailed_s = statistics.median(detailed_times)
    say(
        f"verify {total / verify_s:,.0f} entries/s (detailed pass {total / detailed_s:,.0f}), "
        f"leaf hashing {total / hash_s:,.0f}/s, ratio per run "
        + ", ".join(f"{ratio:.3f}" for ratio in ratios)
    )
    return {
        "entries": total,
        "batch": batch,
        "checkpoints": runs[0]["checkpoints"],
        "megabytes": (megabytes[0] if megabytes else 0) / 1e6,
        "build_s": build_s,
        "verify_s": verify_s,
        "detailed_s": detailed_s,
        "hash_s": hash_s,
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "processes": verify_fast.processes_for(total, runs[0]["checkpoints"]),
    }


def _verify_in_fresh_process(url: str, keys: Path, total: int) -> dict[str, Any]:
    """One run in a new interpreter (see :func:`verify_once`)."""
    command = [sys.executable, "-m", "benchmarks.bench_ledger", "verify-once"]
    done = subprocess.run(
        [*command, url, str(keys), str(total)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def verify_once(url: str, keys_dir: str, total: int) -> dict[str, Any]:
    """In a fresh process: ``verify`` once (cold, as ``lawtrail verify`` runs), then the
    baseline — the same bodies read into memory afterwards (so that they are not part of the
    heap the fast path forks with) and hashed three times, the median."""
    with Database(url) as db:
        keys = KeyDirectory(Path(keys_dir))
        ledger = Ledger(db, keys, ORIGIN_BASE)
        start = time.perf_counter()
        report = verify(ledger, keys, agency=AGENCY)
        verify_s = time.perf_counter() - start
        assert not report.problems, report.problems[:3]  # (no witness: not verified)
        assert report.logs[0].entries == total
        bodies = [
            bytes(body)
            for (body,) in db.all(
                "SELECT body FROM ledger_entry WHERE agency = ? ORDER BY seq", (AGENCY,)
            )
        ]
    hash_times = []
    for _ in range(3):
        start = time.perf_counter()
        for body in bodies:
            hashlib.sha256(b"\x00" + body).digest()
        hash_times.append(time.perf_counter() - start)
    return {
        "verify_s": verify_s,
        "hash_s": statistics.median(hash_times),
        "checkpoints": report.logs[0].checkpoints,
    }


def run_verify(quick: bool = False) -> dict[str, Any]:
    pool = sample_entries()
    rounds = 1 if quick else 5
    batched = measure_verify(pool, *((10_000, 1_000) if quick else (100_000, 5_000)), rounds)
    # The shape services actually write: one entry per append, so one checkpoint per entry
    # (each one's signature is checked by verify).
    single = measure_verify(pool, 500 if quick else 5_000, 1, rounds)
    return {"rounds": rounds, "logs": [batched, single]}


def markdown_verify(result: dict[str, Any]) -> str:
    lines = [
        f"Logs built on SQLite; median of {result['rounds']} runs of each. Each run of `verify` "
        "is a fresh process (as `lawtrail verify` is) that then hashes the same bodies for the "
        "baseline: the ratio is the median of the runs' own ratios, each run's in brackets.",
        "",
        "| log (built by) | checkpoints | processes | **verify: entries/s** "
        "| verify: MB/s of entry bytes | detailed pass alone: entries/s "
        "| baseline: leaf hashing entries/s | baseline MB/s "
        "| ratio verify ÷ baseline: median (each run) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for log in result["logs"]:
        n, mb, v, h = log["entries"], log["megabytes"], log["verify_s"], log["hash_s"]
        built = (
            f"{n:,} entries ({n // log['batch']:,} appends of {log['batch']:,}, "
            f"{log['build_s']:.1f} s)"
        )
        lines.append(
            f"| {built} | {log['checkpoints']:,} | {log['processes']} | **{n / v:,.0f}** "
            f"| {mb / v:.1f} | {n / log['detailed_s']:,.0f} | {n / h:,.0f} | {mb / h:.0f} "
            f"| {log['ratio']:.3f} ({', '.join(f'{r:.3f}' for r in log['ratios'])}) |"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- 3. proofs


def run_proof(quick: bool = False) -> dict[str, Any]:
    pool = sample_entries()
    total, batch = (20_000, 2_000) if quick else (1_000_000, 10_000)
    samples = 100 if quick else 1_000
    appends = 5 if quick else 10
    with sqlite_url() as (url, tmp):
        db = CountingDatabase(url)
        try:
            ledger = new_ledger(db, tmp)
            say(f"building a log of {total:,} entries, {batch:,} per append")
            build_s = build_log(ledger, pool, total, batch, progress=max(total // 10, batch))
            db_bytes = sum(p.stat().st_size for p in tmp.glob("ledger.sqlite3*"))
            latest = ledger.latest_checkpoint(AGENCY)
            assert latest is not None
            assert latest.size == total

            start = time.perf_counter()
            leaves = [
                bytes(leaf)
                for (leaf,) in db.all(
                    "SELECT leaf_hash FROM ledger_entry WHERE agency = ? ORDER BY seq", (AGENCY,)
                )
            ]
            load_s = time.perf_counter() - start
            start = time.perf_counter()
            root = merkle.root_from_leaf_hashes(leaves)
            recompute_s = time.perf_counter() - start
            assert root == latest.root

            seqs = random.Random(20261123).sample(range(total), samples)
            times, queries, lengths = [], [], []
            for seq in seqs:
                before = db.queries
                start = time.perf_counter()
                proof = ledger.inclusion_proof(AGENCY, seq, total)
                merkle.verify_inclusion(leaves[seq], seq, total, proof, latest.root)
                times.append(time.perf_counter() - start)
                queries.append(db.queries - before)
                lengths.append(len(proof))

            # How SQLite runs the proof's lookups (what makes a proof cost what it does).
            db.recording = []
            ledger.inclusion_proof(AGENCY, seqs[0], total)
            recorded, db.recording = db.recording, None
            plans = []
            for sql, params in recorded:
                table = "ledger_node" if "ledger_node" in sql else "ledger_entry"
                steps = db.all(f"EXPLAIN QUERY PLAN {sql}", params)
                plans.append(f"{table}: " + "; ".join(str(step[-1]) for step in steps))

            # One-entry appends on the big log (the services' usual call).
            append_times = []
            before = db.queries
            for i in range(appends):
                start = time.perf_counter()
                ledger.append(AGENCY, entries(pool, total + i, 1))
                append_times.append(time.perf_counter() - start)
            append_statements = (db.queries - before) / appends
        finally:
            db.close()
    times.sort()
    median_s = statistics.median(times)
    p95_s = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    say(f"proof median {1000 * median_s:.3f} ms, p95 {1000 * p95_s:.3f} ms")
    return {
        "entries": total,
        "batch": batch,
        "build_s": build_s,
        "db_bytes": db_bytes,
        "samples": samples,
        "median_ms": 1000 * median_s,
        "p95_ms": 1000 * p95_s,
        "max_ms": 1000 * times[-1],
        "queries_min": min(queries),
        "queries_max": max(queries),
        "proof_hashes": statistics.mean(lengths),
        "load_s": load_s,
        "recompute_s": recompute_s,
        "plans": plans,
        "appends": appends,
        "append_ms": 1000 * statistics.median(append_times),
        "append_statements": append_statements,
    }


def markdown_proof(result: dict[str, Any]) -> str:
    n = result["entries"]
    median_s = result["median_ms"] / 1000
    queries = (
        f"{result['queries_min']}"
        if result["queries_min"] == result["queries_max"]
        else f"{result['queries_min']}–{result['queries_max']}"
    )
    return "\n".join(
        [
            f"Log of {n:,} entries built on SQLite with {n // result['batch']} appends of "
            f"{result['batch']:,}: **{result['build_s']:.0f} s** "
            f"({n / result['build_s']:,.0f} entries/s; database "
            f"{result['db_bytes'] / 1e9:.2f} GB). Proofs for {result['samples']:,} random "
            f"leaves at size {n:,}, database warm in the page cache.",
            "",
            "| measure | value |",
            "|---|---|",
            "| **`inclusion_proof` + `merkle.verify_inclusion`: median** "
            f"| **{result['median_ms']:.3f} ms** |",
            f"| p95 / max | {result['p95_ms']:.3f} ms / {result['max_ms']:.3f} ms |",
            f"| database queries per proof | {queries} |",
            f"| hashes per proof (mean) | {result['proof_hashes']:.1f} |",
            f"| baseline: root recomputed from all {n:,} leaf hashes in memory "
            f"(`merkle.root_from_leaf_hashes`) | {result['recompute_s']:.2f} s |",
            f"| (loading those leaf hashes from the database first) | {result['load_s']:.2f} s |",
            f"| ratio baseline ÷ proof median (in-memory recompute only) "
            f"| {result['recompute_s'] / median_s:,.0f}× |",
            f"| ratio (load + recompute) ÷ proof median "
            f"| {(result['load_s'] + result['recompute_s']) / median_s:,.0f}× |",
            f"| one-entry `append` on this log: median of {result['appends']} "
            f"| {result['append_ms']:,.1f} ms ({result['append_statements']:.0f} statements) |",
            "",
            "SQLite's plan for the proof's lookups (`EXPLAIN QUERY PLAN`):",
            "",
            *[f"- {plan}" for plan in result["plans"]],
        ]
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["verify-once"]:
        print(json.dumps(verify_once(sys.argv[2], sys.argv[3], int(sys.argv[4]))))
    else:
        raise SystemExit("usage: python -m benchmarks.bench_ledger verify-once URL KEYS ENTRIES")
