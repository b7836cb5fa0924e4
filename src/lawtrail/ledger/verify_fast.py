"""The fast path of ``lawtrail verify`` for a whole log: every check of the detailed pass
(:meth:`lawtrail.ledger.verify._Verifier.verify_log`), done in bulk, answering only "all
consistent" or "unsure".

:func:`check_log` returns the log's size, its checkpoints and the latest one when it has proven
that the detailed pass would find no problem in the entries, the stored subtrees and the
checkpoints; ``None`` as soon as anything is off or cannot be judged cheaply (an odd body, a
time in an unusual format, a checkpoint that does not verify, a missing row …). The caller then
runs the detailed pass, which names every problem: the report is the detailed pass's whenever
there is anything to report, by construction.

What is checked, and how it stays the detailed pass's check:

- every entry's bytes hash to its stored leaf hash; the positions are exactly 0…n−1;
- every body is read by a compiled decoder (msgspec) into only the fields the checks need (the
  claimed position, log, agency, case, type, time, the per-type object :func:`body_ref` reads
  and a media entry's ``ingested_at``). It gives what ``json.loads`` gives for strict JSON in
  strict UTF-8 (duplicate keys: the last wins in both); anything it rejects — a byte order mark,
  ``NaN``, a lone surrogate, a non-integer position, a per-type value that is not an object —
  is "unsure". It does not check the UTF-8 of the strings it skips (msgspec's ``json_skip``
  only looks for the closing quote and escapes), so every body is first decoded as strict
  UTF-8 (and the text dropped);
- the claimed log and agency are the log's: the decoder itself refuses any other
  (:func:`log_decoder`: ``Literal`` fields); for a chunk whose type column says ``record``
  throughout, so must each body (:func:`records_decoder`);
- the other claimed columns equal the row's (the same ``!=`` as the detailed pass, compared
  column by column over the whole chunk); the ``ref`` by :func:`_claimed_ref`, the mirror of
  :func:`body_ref` on the decoded fields;
- times: every ``recorded_at`` is in the fixed format the ledger writes (``isoformat()`` of the
  Shanghai time, with or without microseconds) with one offset for the whole log; for those,
  text order is time order (fixed-width digits; no fraction sorts before a fraction), so
  non-decreasing text means no back-dated entry for the detailed pass either. A media entry's
  ``ingested_at`` is judged by the detailed pass's own function;
- the tree: the leaves are hashed level by level (a chunk of 2^k entries at a time); every
  stored perfect subtree is compared with the recomputed one as whole lists (those beyond the
  latest checkpoint may be missing, as in the detailed pass); no stored subtree row may lie
  outside the log's sizes (every row inside is read by one chunk);
- every checkpoint: its size inside the log, its signature under the same keys, its note equal
  to its row, its root equal to the root recomputed at its size (each chunk reads the
  checkpoints of its sizes; the parent only counts them).

Memory is bounded by a chunk (2^10 entries) and its checkpoints, not by the log: the chunks are
combined in order as they come and dropped.

A large log is split across processes by chunks of 2^k entries, which are perfect subtrees:
processes forked from the calling one take the next chunk from a shared queue
(:func:`_run_parallel`) — one per CPU on SQLite, where they read through APSW (which the
calling process must not open: :func:`_sqlite_reader`) and the calling one only combines; one
per further CPU on PostgreSQL, where the calling one takes chunks too. The forked ones send back
each chunk's compact range, its part of the tree at every checkpoint size in it (folded into
one hash) and the stored subtree rows that span chunks, and the calling process combines them
in order as they come. A forked process that dies leaves its chunk unproven: unsure. Every
process reads only the parent's entries (positions below the parent's size; the log is
append-only, later rows are ignored) and, on PostgreSQL, the parent's very snapshot
(``pg_export_snapshot`` / ``SET TRANSACTION SNAPSHOT``). It forks only from a process with no
other thread (the command line; never the web server's threads) and for a database another
process can open; otherwise, and below the threshold, the calling process alone, through its
own connection.
"""

from __future__ import annotations

import bisect
import functools
import gc
import hashlib
import multiprocessing
import os
import pickle
import re
import select
import signal
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlsplit

import apsw
import msgspec

from lawtrail.core import merkle, notes
from lawtrail.ledger.db import BUSY_TIMEOUT_MS, POSTGRESQL, Database
from lawtrail.ledger.log import Ledger, LogInfo, StoredCheckpoint

# Below this many entries (and checkpoints, weighted by what a signature check costs) one
# process does it all: forking and combining cost more than they save.
PARALLEL_MIN_WORK = 20_000
# A signature check (Ed25519) costs about as much as checking this many entries.
CHECKPOINT_WEIGHT = 20
# Chunks of 2^k entries: a chunk's rows, bodies and hashes are read, decoded and compared while
# they are still in the CPU's caches (smaller chunks measured faster than 2^14), and memory is
# bounded by the chunk, not the log. In parallel, each process takes the next chunk when it is
# free, so that they finish together.
CHUNK_LEVEL = 10
MIN_CHUNK_LEVEL = 6
CHUNKS_PER_PROCESS = 8


class _Rows(Protocol):
    """What a chunk is read through: the caller's :class:`Database`, or in a forked process on
    SQLite an APSW connection (:func:`_sqlite_reader`) — both ``execute(sql, params)`` with
    ``?`` placeholders, then ``fetchall()``."""

    def execute(self, sql: str, params: Any, /) -> Any: ...


_CHECKPOINT_SQL = (
    "SELECT agency, size, root, note, signed_at FROM ledger_checkpoint "
    "WHERE agency = ? AND size > ? AND size <= ? ORDER BY size"
)
_ENTRY_SQL = (
    "SELECT seq, recorded_at, case_number, type, ref, body, leaf_hash FROM ledger_entry "
    "WHERE agency = ? AND seq >= ? AND seq < ? ORDER BY seq"
)
# On SQLite, a chunk whose entries are consecutive rows of the table (as appends write them)
# is read by rowid range, a scan of the table's own tree, rather than through the (agency, seq)
# index and a lookup in the table per entry: ≈ 0.2× of the leaf hashing less per entry. The
# rows come in rowid order, so each row's seq is still compared with its place.
_ROWIDS_SQL = "SELECT seq, rowid FROM ledger_entry WHERE agency = ? AND seq IN (?, ?)"
_ENTRY_BY_ROWID_SQL = (
    "SELECT seq, recorded_at, case_number, type, ref, body, leaf_hash FROM ledger_entry "
    "NOT INDEXED WHERE rowid >= ? AND rowid <= ? AND agency = ? ORDER BY rowid"
)
_NODE_SQL = (
    "SELECT size, level, hash FROM ledger_node WHERE agency = ? AND size > ? AND size <= ? "
    "ORDER BY size, level"
)


# The per-type object of an entry (``record``, ``media`` …), one type each: only the fields
# :func:`body_ref` reads (and a media entry's ``ingested_at``); any other is skipped. One type
# per kind rather than one with every field: a chunk's decoding is ≈ 0.3× of its hashing
# cheaper (fewer names to match a key against, fewer slots to fill). ``Any``: whatever JSON
# value, decoded as ``json.loads`` decodes it (the checks judge the type, as the detailed pass
# does). A JSON value that is not an object (nor null) is refused: "unsure".


class _Case(msgspec.Struct, gc=False):
    """A case header's object: body_ref reads none of its fields, only that it is one."""


class _Record(msgspec.Struct, gc=False):
    id: Any = None


class _Media(msgspec.Struct, gc=False):
    sha256: Any = None
    ingested_at: Any = None


class _Document(msgspec.Struct, gc=False):
    sha256: Any = None


class _Access(msgspec.Struct, gc=False):
    target: Any = None


class _Supervision(msgspec.Struct, gc=False):
    order: Any = None


class _Review(msgspec.Struct, gc=False):
    act: Any = None
    sheet: Any = None
    sampling: Any = None


class _Secrecy(msgspec.Struct, gc=False):
    label: Any = None
    request: Any = None


class _Claims(msgspec.Struct, gc=False):
    """What an entry's body claims about itself. The header fields are typed strictly: a body
    whose position is not an integer, or whose header is not text, is "unsure" (the detailed
    pass names it). ``gc=False``: decoded JSON holds no cycles, and a chunk's worth of tracked
    objects would otherwise set off the cyclic collector again and again."""

    log: str
    index: int
    agency: str
    case_number: str
    type: str
    recorded_at: str
    case: _Case | None = None
    record: _Record | None = None
    media: _Media | None = None
    document: _Document | None = None
    access: _Access | None = None
    supervision: _Supervision | None = None
    review: _Review | None = None
    secrecy: _Secrecy | None = None


_DECODE = msgspec.json.Decoder(_Claims).decode


# Kept per log: a decoder is a new type and its compiled form (≈ 0.3 ms), made once per log
# however often it is verified (the web server's 核验 page).
@functools.lru_cache(maxsize=256)
def log_decoder(origin: str, agency: str) -> Callable[[bytes], _Claims]:
    """The decoder of one log's bodies: :data:`_DECODE`, but ``log`` and ``agency`` must be
    this log's (``Literal``: matched while decoding, escapes read as ``json.loads`` reads them,
    without making a string of each; anything else is refused — "unsure", as a mismatch is a
    problem the detailed pass names)."""
    literal: Any = Literal
    claims = msgspec.defstruct(
        "_LogClaims",
        [("log", literal[origin]), ("agency", literal[agency])],
        bases=(_Claims,),
        gc=False,
    )
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(claims)
    decode: Callable[[bytes], _Claims] = decoder.decode
    return decode


@functools.lru_cache(maxsize=256)
def records_decoder(origin: str, agency: str) -> Callable[[bytes], Any]:
    """The decoder of a chunk whose type column says ``record`` throughout (the usual chunk):
    :func:`log_decoder`'s, but the claimed type must be ``record`` too (so it equals the
    column), and only the record's object is read (other kinds' keys skipped: their objects
    are no part of a record's ref) — ≈ 0.15× of the chunk's hashing less to decode."""
    literal: Any = Literal
    claims = msgspec.defstruct(
        "_RecordClaims",
        [
            ("log", literal[origin]),
            ("index", int),
            ("agency", literal[agency]),
            ("case_number", str),
            ("type", Literal["record"]),
            ("recorded_at", str),
            ("record", _Record | None, None),
        ],
        gc=False,
    )
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(claims)
    decode: Callable[[bytes], Any] = decoder.decode
    return decode


_INDEX = attrgetter("index")
_RECORDED_AT = attrgetter("recorded_at")
_CASE_NUMBER = attrgetter("case_number")
_TYPE = attrgetter("type")
_KINDS = frozenset(
    {"case", "record", "media", "document", "access", "supervision", "review", "secrecy"}
)


def _claimed_ref(claims: Any) -> str | None:
    """:func:`lawtrail.ledger.log.body_ref` on the decoded fields (a :class:`_Claims`, or a
    record's from :func:`records_decoder`; the unit tests hold the two to the same answers)."""
    kind = claims.type
    if kind not in _KINDS:
        return None
    part: Any = getattr(claims, kind)
    if part is None:  # JSON null: not an object
        return None
    if kind == "record":
        value = part.id
    elif kind in ("media", "document"):
        value = part.sha256
    elif kind == "case":
        value = claims.case_number
    elif kind == "access":
        value = part.target or claims.case_number
    elif kind == "supervision":
        value = part.order
    elif kind == "review":
        value = part.sheet if part.act == "sheet" else part.sampling
    else:  # secrecy
        value = part.label or part.request
    return value if isinstance(value, str) else None


# The time format the ledger writes: ``isoformat()`` of an aware datetime, microseconds only
# when non-zero, and an offset.
_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?"
_OFFSET = re.compile(r"[+-][0-9]{2}:[0-9]{2}")
_TIME_PATTERNS: dict[str, re.Pattern[str]] = {}


def _times_pattern(offset: str) -> re.Pattern[str]:
    if offset not in _TIME_PATTERNS:
        _TIME_PATTERNS[offset] = re.compile(_TIME + re.escape(offset))
    return _TIME_PATTERNS[offset]


# --------------------------------------------------------------------------- one chunk


@dataclass
class _Chunk:
    """What one chunk ``[lo, hi)`` proved, for the parent to combine."""

    lo: int
    hi: int
    # The chunk's compact range: (level, hash) of its perfect subtrees, largest first.
    subtrees: list[tuple[int, bytes]]
    # For every checkpoint size in (lo, hi]: the perfect subtrees covering [lo, size) folded
    # into one hash (the root is folded from the right, so the parent needs only this after
    # the prefix), and the checkpoint's (signed) root.
    partial_roots: list[tuple[bytes, bytes]]
    # Stored subtree rows completed at hi that reach before lo (checked by the parent).
    spanning: list[tuple[Any, ...]]
    first_time: str
    last_time: str
    offset: str


@dataclass
class _Job:
    """Everything a chunk needs; set before forking, so the processes inherit it."""

    url: str
    agency: str
    origin: str
    signed_size: int
    verifiers: list[notes.Verifier]
    decode: Callable[[bytes], _Claims]
    decode_records: Callable[[bytes], Any]
    snapshot_id: str | None = None
    sqlite: bool = False
    templates: dict[int, tuple[list[int], list[int], list[int]]] = field(default_factory=dict)

    def template(self, lengths: Sequence[int]) -> tuple[list[int], list[int], list[int]]:
        """For a chunk whose levels (0 up) have these lengths: the offset within the chunk of
        the size at which each of its subtrees of level >= 1 completes, its level, and its
        place in levels 1 up laid end to end — in the stored order (size, then level)."""
        m, depth = lengths[0], len(lengths)
        if m not in self.templates:
            starts = [0]
            for length in lengths[1:]:
                starts.append(starts[-1] + length)
            offsets: list[int] = []
            heights: list[int] = []
            places: list[int] = []
            for j in range(2, m + 1, 2):
                level = 1
                while level < depth and j % (1 << level) == 0:
                    offsets.append(j)
                    heights.append(level)
                    places.append(starts[level - 1] + (j >> level) - 1)
                    level += 1
            self.templates[m] = (offsets, heights, places)
        return self.templates[m]


# SHA-256 states that have already taken the leaf's and the node's prefix byte (RFC 6962):
# each hash starts from a copy of one. ``hashlib.sha256(data)`` makes a new OpenSSL context
# each time, and OpenSSL 3 looks the algorithm up anew for it; a copy skips that, ≈ 10 % of
# each hash (the same bytes hashed: merkle.leaf_hash and merkle.node_hash).
_LEAF_STATE = hashlib.sha256(b"\x00")
_NODE_STATE = hashlib.sha256(b"\x01")


def _leaf_hashes(bodies: Sequence[bytes]) -> list[bytes]:
    copy = _LEAF_STATE.copy
    leaves: list[bytes] = []
    append = leaves.append
    for body in bodies:
        state = copy()
        state.update(body)
        append(state.digest())
    return leaves


def _node_hashes(lower: list[bytes]) -> list[bytes]:
    """One level up: node hashes of consecutive pairs (an odd last one has no parent yet)."""
    pairs = iter(lower)
    copy = _NODE_STATE.copy
    nodes: list[bytes] = []
    append = nodes.append
    for left, right in zip(pairs, pairs, strict=False):
        state = copy()
        state.update(left)
        state.update(right)
        append(state.digest())
    return nodes


def _nodes_match(
    stored: list[tuple[Any, ...]], expected: list[tuple[Any, ...]], signed: int
) -> bool:
    """The detailed pass's subtree check, in bulk: rows up to the signed size exactly as
    recomputed; beyond it (not yet integrated) each stored row must be a recomputed one."""
    cut_stored = bisect.bisect_right(stored, signed, key=itemgetter(0))
    cut_expected = bisect.bisect_right(expected, signed, key=itemgetter(0))
    if stored[:cut_stored] != expected[:cut_expected]:
        return False
    later = stored[cut_stored:]
    return not later or set(later) <= set(expected[cut_expected:])


def _check_chunk(job: _Job, db: _Rows, lo: int, hi: int) -> _Chunk | None:
    """Check entries [lo, hi) — lo a multiple of hi − lo's power of two — their stored subtrees
    and the checkpoints of sizes in (lo, hi]; None when unsure."""
    columns = _entry_columns(job, db, lo, hi)
    if columns is None:
        return None
    seqs, times, cases, types, refs, bodies, stored_leaves = columns
    del columns
    # Strict UTF-8 (the decoder does not check the strings it skips): decoded and dropped.
    # (bytes.decode itself: a stored value that is not bytes is refused.)
    deque(map(bytes.decode, bodies), maxlen=0)
    leaves = _leaf_hashes(bodies)
    if tuple(leaves) != stored_leaves:
        return None
    # The claimed log and agency are matched by the decoder; the other claimed columns against
    # the row's, column by column (the same != as the detailed pass, per entry).
    claims: list[Any]
    if types.count("record") == len(types):
        claims = list(map(job.decode_records, bodies))  # each claims "record": as the column
    else:
        claims = list(map(job.decode, bodies))
        if tuple(map(_TYPE, claims)) != types:
            return None
    del bodies
    if (
        tuple(map(_INDEX, claims)) != seqs
        or tuple(map(_RECORDED_AT, claims)) != times
        or tuple(map(_CASE_NUMBER, claims)) != cases
    ):
        return None
    if not _refs_match(claims, types, refs):
        return None
    if "media" in types and not _media_times_match(claims):
        return None
    offset = times[0][-6:]
    if not _OFFSET.fullmatch(offset):
        return None
    pattern = _times_pattern(offset)
    if not all(pattern.fullmatch(text) for text in set(times)):
        return None
    ordered = list(times)
    if ordered != sorted(ordered):
        return None

    # The tree inside the chunk, level by level.
    levels = [leaves]
    while len(levels[-1]) > 1:
        levels.append(_node_hashes(levels[-1]))
    lengths = [len(level) for level in levels]
    offsets, heights, places = job.template(lengths)
    flat = [digest for level in levels[1:] for digest in level]
    expected = list(zip([lo + o for o in offsets], heights, [flat[p] for p in places], strict=True))
    stored = db.execute(_NODE_SQL, (job.agency, lo, hi)).fetchall()
    # Rows completed at hi above the chunk's own levels reach before lo: the parent's.
    top = ((hi - lo) & -(hi - lo)).bit_length() - 1
    cut = len(stored)
    while cut and stored[cut - 1][0] == hi and stored[cut - 1][1] > top:
        cut -= 1
    spanning = stored[cut:]
    if not _nodes_match(stored[:cut], expected, job.signed_size):
        return None

    subtrees = []
    for level in range(len(levels) - 1, -1, -1):
        if (hi - lo) >> level & 1:
            subtrees.append((level, levels[level][-1]))
    # The chunk's checkpoints, read here (the parent holds none: a log signed per entry has as
    # many checkpoints as entries).
    partial_roots = []
    for row in db.execute(_CHECKPOINT_SQL, (job.agency, lo, hi)).fetchall():
        if type(row[1]) is not int or not isinstance(row[2], bytes):
            return None  # a hand edit: the detailed pass reads it as it does
        cp = StoredCheckpoint(row[0], row[1], row[2], row[3], row[4])
        if not _checkpoint_signed(job, cp):
            return None
        position, hashes = 0, []
        for level in range(len(levels) - 1, -1, -1):
            if (cp.size - lo) >> level & 1:
                hashes.append(levels[level][position >> level])
                position += 1 << level
        partial_roots.append((merkle.fold_root(hashes), cp.root))
    return _Chunk(lo, hi, subtrees, partial_roots, spanning, times[0], times[-1], offset)


def _entry_columns(job: _Job, db: _Rows, lo: int, hi: int) -> tuple[tuple[Any, ...], ...] | None:
    """The columns of entries [lo, hi), their positions exactly lo … hi − 1 in order; None when
    they are not (an entry missing, moved …: the detailed pass names it).

    On SQLite the rows are read by rowid range first, when the first and the last entry are
    hi − lo rows apart in the table (as appends write them); should that not give exactly the
    positions (a row stored elsewhere in the table, a hole), through the position index."""
    positions = tuple(range(lo, hi))
    for rows in _entry_reads(job, db, lo, hi):
        if len(rows) == hi - lo:
            columns = tuple(zip(*rows, strict=True))
            if columns[0] == positions:
                return columns
    return None


def _entry_reads(job: _Job, db: _Rows, lo: int, hi: int) -> Iterator[list[tuple[Any, ...]]]:
    if job.sqlite:
        ends = dict(db.execute(_ROWIDS_SQL, (job.agency, lo, hi - 1)).fetchall())
        first, last = ends.get(lo), ends.get(hi - 1)
        if type(first) is int and type(last) is int and last - first == hi - lo - 1:
            yield db.execute(_ENTRY_BY_ROWID_SQL, (first, last, job.agency)).fetchall()
    yield db.execute(_ENTRY_SQL, (job.agency, lo, hi)).fetchall()


def _refs_match(claims: list[Any], types: tuple[Any, ...], refs: tuple[Any, ...]) -> bool:
    """Each ref column equals the ref its body claims (or the body claims none)."""
    if types.count("record") == len(types):
        try:
            ids = tuple(map(attrgetter("id"), map(attrgetter("record"), claims)))
        except AttributeError:  # a record without its object: judged one by one below
            ids = ()
        if ids == refs:
            return True
    for claim, ref in zip(claims, refs, strict=True):
        claimed = _claimed_ref(claim)
        if claimed is not None and claimed != ref:
            return False
    return True


def _media_times_match(claims: list[_Claims]) -> bool:
    from lawtrail.ledger.verify import ingested_at_matches

    for claim in claims:
        if claim.type == "media":
            media = claim.media
            ingested = media.ingested_at if media is not None else None
            if not ingested_at_matches(ingested, claim.recorded_at):
                return False
    return True


def _checkpoint_signed(job: _Job, cp: StoredCheckpoint) -> bool:
    """The detailed pass's checkpoint check short of the root: well signed, note = row."""
    try:
        note, checkpoint = cp.parsed()
        signed = bool(job.verifiers) and bool(notes.verify_note(note, job.verifiers))
    except notes.NoteError:
        return False
    return signed and (checkpoint.origin, checkpoint.size, checkpoint.root) == (
        job.origin,
        cp.size,
        cp.root,
    )


# --------------------------------------------------------------------------- the whole log


@dataclass(frozen=True)
class FastResult:
    entries: int
    checkpoints: int
    latest: StoredCheckpoint | None


def check_log(
    ledger: Ledger,
    info: LogInfo,
    verifiers: Sequence[notes.Verifier],
    *,
    workers: int | None = None,
) -> FastResult | None:
    """Inside the caller's snapshot: the log's size, checkpoint count and latest checkpoint
    when every entry, stored subtree and checkpoint is consistent (the detailed pass would find
    no problem in them); None when anything is off or unsure."""
    db = ledger.db
    agency = info.agency
    # The log's size from its first and last position: each chunk then proves it holds exactly
    # its positions, so together they are exactly 0…size−1. A position that is not an integer
    # (a hand edit) sorts last on SQLite, and is unsure here. Two subqueries, because SQLite
    # answers a lone MIN or MAX by one index lookup but both in one SELECT by scanning every
    # entry of the log (≈ 10 ms at 10^5 entries, an eighth of hashing them all).
    row = db.one(
        "SELECT (SELECT MIN(seq) FROM ledger_entry WHERE agency = ?), "
        "(SELECT MAX(seq) FROM ledger_entry WHERE agency = ?)",
        (agency, agency),
    )
    if row is None or row[0] != 0 or type(row[1]) is not int:
        return None
    size = row[1] + 1
    # The checkpoints: each chunk reads and checks those of its sizes; none may lie outside.
    row = db.one(
        "SELECT COUNT(*), MIN(size), MAX(size) FROM ledger_checkpoint WHERE agency = ?", (agency,)
    )
    if row is None:
        return None
    checkpoints = int(row[0])
    latest = ledger.latest_checkpoint(agency) if checkpoints else None
    if latest is not None and (
        type(row[1]) is not int or row[1] <= 0 or row[2] != latest.size or latest.size > size
    ):
        return None
    # The chunks read every subtree row of a size in (0, size]; none may lie outside.
    outside = db.one(
        "SELECT EXISTS (SELECT 1 FROM ledger_node WHERE agency = ? AND size <= 0) "
        "OR EXISTS (SELECT 1 FROM ledger_node WHERE agency = ? AND size > ?)",
        (agency, agency, size),
    )
    if outside is None or outside[0]:
        return None
    job = _Job(
        url=db.url,
        agency=agency,
        origin=info.origin,
        signed_size=latest.size if latest is not None else 0,
        verifiers=list(verifiers),
        decode=log_decoder(info.origin, agency),
        decode_records=records_decoder(info.origin, agency),
        sqlite=db.dialect != POSTGRESQL,
    )
    count = processes_for(size, checkpoints, workers)
    parallel = count > 1 and _can_fork(db)
    level = CHUNK_LEVEL
    if parallel:
        # Enough chunks for the processes to finish together (a log signed per entry has few
        # entries for its work: 5,000 are 5 chunks of 2^10, three for one process, two for
        # the other): smaller ones, down to 2^6.
        while level > MIN_CHUNK_LEVEL and (size >> level) < CHUNKS_PER_PROCESS * count:
            level -= 1
    step = 1 << level
    bounds = [(lo, min(lo + step, size)) for lo in range(0, size, step)]
    combiner = _Combiner(job)
    enabled = gc.isenabled()
    gc.disable()
    try:
        if parallel and len(bounds) > 1:
            ok = _run_parallel(job, db, bounds, count, combiner)
        else:
            ok = all(combiner.add([_guarded(job, db, lo, hi)]) for lo, hi in bounds)
    finally:
        if enabled:
            gc.enable()
    if not ok or combiner.checkpoints != checkpoints:
        return None
    return FastResult(size, checkpoints, latest)


def _run_here(job: _Job, db: _Rows, bounds: list[tuple[int, int]]) -> list[_Chunk | None]:
    chunks = []
    for lo, hi in bounds:
        chunk = _guarded(job, db, lo, hi)
        chunks.append(chunk)
        if chunk is None:
            break
    return chunks


def _guarded(job: _Job, db: _Rows, lo: int, hi: int) -> _Chunk | None:
    try:
        return _check_chunk(job, db, lo, hi)
    except Exception:
        # Whatever went wrong (an undecodable body, a value of an unexpected type …): unsure.
        # The detailed pass reads the same rows and names it.
        return None


class _Combiner:
    """Puts the chunks together in order, as they come (a chunk is dropped once added): roots
    at every checkpoint, the subtrees spanning chunks, the times across chunk boundaries."""

    def __init__(self, job: _Job) -> None:
        self.job = job
        self.stack: list[tuple[int, bytes]] = []  # the compact range so far
        self.previous: _Chunk | None = None
        self.checkpoints = 0

    def add(self, chunks: Sequence[_Chunk | None]) -> bool:
        try:
            return all(chunk is not None and self._add(chunk) for chunk in chunks)
        except Exception:  # a stored row of an unexpected type: unsure (as in _guarded)
            return False

    def _add(self, chunk: _Chunk) -> bool:
        previous, stack = self.previous, self.stack
        if previous is not None and (
            chunk.lo != previous.hi
            or chunk.offset != previous.offset
            or chunk.first_time < previous.last_time
        ):
            return False
        prefix = [digest for _, digest in stack]
        for folded, root in chunk.partial_roots:
            if merkle.fold_root([*prefix, folded]) != root:
                return False
        self.checkpoints += len(chunk.partial_roots)
        completed: list[tuple[Any, ...]] = []
        for level, digest in chunk.subtrees:
            while stack and stack[-1][0] == level:
                digest = merkle.node_hash(stack.pop()[1], digest)
                level += 1
                completed.append((chunk.hi, level, digest))
            stack.append((level, digest))
        if not _nodes_match(chunk.spanning, completed, self.job.signed_size):
            return False
        self.previous = chunk
        return True


# --------------------------------------------------------------------------- processes


def processes_for(entries: int, checkpoints: int, workers: int | None = None) -> int:
    """How many processes check a log of this size (one below the threshold; ``workers``,
    default one per CPU, above it), where the database and the process allow forking."""
    count = workers if workers is not None else _cpu_count()
    work = entries + CHECKPOINT_WEIGHT * checkpoints
    return count if count > 1 and work >= PARALLEL_MIN_WORK else 1


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _can_fork(db: Database) -> bool:
    """Whether processes can share the work: a database another process can open, and no
    other thread in this one (a thread holding a lock at the fork would leave it locked in the
    child forever)."""
    if threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if db.dialect == POSTGRESQL:
        return True
    path = unquote(urlsplit(db.url).path)
    return bool(path) and ":memory:" not in path and "mode=memory" not in db.url


def _run_parallel(
    job: _Job, db: Database, bounds: list[tuple[int, int]], count: int, combiner: _Combiner
) -> bool:
    """This process and ``count`` − 1 forked ones take the chunks from one queue, each the next
    one when it is free (so a process slowed by other work on the machine takes fewer); the
    others send back what each chunk proved, and this one combines them in order as they come.
    This process works too rather than waiting: forking and a connection cost a few
    milliseconds a process, a pool's machinery more.

    The queue is a pipe filled with the task numbers before any fork and closed for writing:
    a read of one number from it is atomic (readers take the pipe's lock), and an empty pipe
    reads as its end, so every process stops when there is nothing left."""
    if db.dialect == POSTGRESQL:
        row = db.one("SELECT pg_export_snapshot()")
        assert row is not None
        job.snapshot_id = str(row[0])
    per_task = -(-len(bounds) // MAX_TASKS)
    tasks = [bounds[i : i + per_task] for i in range(0, len(bounds), per_task)]
    try:
        queue_r, queue_w = os.pipe()
    except OSError:  # no descriptor to be had: one process does it
        return all(combiner.add([_guarded(job, db, lo, hi)]) for lo, hi in bounds)
    children: dict[int, int] = {}  # result pipe (read end) → process id
    finished: set[int] = set()  # the result pipes read to their end
    try:
        # Every task is in the pipe before anyone reads (≤ 4 KiB: a pipe holds at least a
        # page); should it not fit, one process does it all rather than block here.
        queue = b"".join(_TASK.pack(number) for number in range(len(tasks)))
        try:
            os.set_blocking(queue_w, False)
            filled = os.write(queue_w, queue) == len(queue)
        except OSError:
            filled = False
        finally:
            os.close(queue_w)
        if not filled:
            return all(combiner.add([_guarded(job, db, lo, hi)]) for lo, hi in bounds)
        # On SQLite every chunk is read in a forked process (through APSW, which only a
        # process without the caller's SQLite connections may use: _sqlite_reader) and this
        # one only combines; on PostgreSQL this one takes chunks too.
        forks = count if db.dialect != POSTGRESQL else count - 1
        for _ in range(forks):
            try:
                result_r, result_w = os.pipe()
            except OSError:  # no descriptor to be had: fewer do it
                break
            try:
                pid = os.fork()
            except OSError:  # no process to be had: fewer do it
                os.close(result_r)
                os.close(result_w)
                break
            if pid == 0:  # the child: never returns into the caller
                _child(job, tasks, queue_r, result_w)
            os.close(result_w)
            children[result_r] = pid
        try:
            return _parent(job, db, tasks, queue_r, children, finished, combiner)
        except (OSError, pickle.UnpicklingError, EOFError):  # a pipe that failed: unsure
            return False
    finally:
        os.close(queue_r)
        for result_r, pid in children.items():
            os.close(result_r)
            _reap(pid, done=result_r in finished)


_TASK = struct.Struct("<I")
_LENGTH = struct.Struct("<Q")
MMAP_BYTES = 1 << 31
# At most this many tasks (4 bytes each in the queue, which must fit the pipe's buffer before
# any process reads: a page at least); a larger log gives each task several consecutive chunks.
MAX_TASKS = 1024


def _take(queue_r: int) -> int | None:
    """The next task number from the queue, or None when it is empty."""
    data = os.read(queue_r, _TASK.size)
    if len(data) != _TASK.size:
        return None  # empty (b""): or torn, which a pipe read of 4 bytes never is
    return int(_TASK.unpack(data)[0])


def _parent(
    job: _Job,
    db: Database,
    tasks: list[list[tuple[int, int]]],
    queue_r: int,
    children: dict[int, int],
    finished: set[int],
    combiner: _Combiner,
) -> bool:
    done: dict[int, list[_Chunk | None]] = {}
    position = 0  # the next task to combine
    readers = {result_r: _Reader(result_r) for result_r in children}
    # This process takes chunks too on PostgreSQL, and wherever no process could be forked.
    works = db.dialect == POSTGRESQL or not children

    def combine() -> bool:
        nonlocal position
        while position in done:
            if not combiner.add(done.pop(position)):
                return False
            position += 1
        return True

    while works and (number := _take(queue_r)) is not None:
        done[number] = _run_here(job, db, tasks[number])
        if not combine():
            return False
        ready = select.select(list(readers), [], [], 0)[0] if readers else []
        if not _receive(readers, ready, done, finished) or not combine():
            return False
    while readers and position < len(tasks):
        ready = select.select(list(readers), [], [])[0]
        if not _receive(readers, ready, done, finished) or not combine():
            return False
    # A task a process took and never reported (it died): unsure.
    return position == len(tasks)


class _Reader:
    """Messages (a length, then a pickle) from one child's result pipe, read as they come."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def read(self) -> list[tuple[int, list[_Chunk | None]]] | None:
        """What arrived (complete messages only); None at the pipe's end."""
        data = os.read(self.fd, 1 << 16)
        if not data:
            return None
        self.buffer += data
        messages = []
        while len(self.buffer) >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(self.buffer)
            end = _LENGTH.size + length
            if len(self.buffer) < end:
                break
            messages.append(pickle.loads(self.buffer[_LENGTH.size : end]))
            del self.buffer[:end]
        return messages


def _receive(
    readers: dict[int, _Reader],
    ready: list[int],
    done: dict[int, list[_Chunk | None]],
    finished: set[int],
) -> bool:
    """Read what the ready children sent; False when one reported a chunk it is unsure of."""
    for fd in ready:
        messages = readers[fd].read()
        if messages is None:  # the child has finished (or died: then a task is missing)
            del readers[fd]
            finished.add(fd)
            continue
        for number, chunks in messages:
            if any(chunk is None for chunk in chunks):
                return False
            done[number] = chunks
    return True


def _child(job: _Job, tasks: list[list[tuple[int, int]]], queue_r: int, result_w: int) -> None:
    """In a forked process: its own connection (never the parent's), reading the parent's
    snapshot on PostgreSQL (bounded to the parent's size by the chunk bounds); tasks from the
    queue until it is empty or a chunk is unsure; then out, without running anything of the
    parent's (its exit handlers, its buffered output) — ``os._exit`` whatever happens."""
    status = 1
    try:
        with os.fdopen(result_w, "wb") as out:
            db: Database | apsw.Connection
            if job.sqlite:
                db = _sqlite_reader(job.url)
            else:
                db = Database(job.url)
                db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                db.execute(f"SET TRANSACTION SNAPSHOT '{job.snapshot_id}'")
            try:
                while (number := _take(queue_r)) is not None:
                    chunks = _run_here(job, db, tasks[number])
                    message = pickle.dumps((number, chunks), pickle.HIGHEST_PROTOCOL)
                    out.write(_LENGTH.pack(len(message)) + message)
                    out.flush()
                    if chunks[-1] is None:
                        break
            finally:
                # Before the result pipe's end: the parent waits for this process then.
                db.close()
        status = 0
    finally:
        os._exit(status)


def _sqlite_reader(url: str) -> apsw.Connection:
    """A forked process's connection to the SQLite file: APSW, read-only, opened without
    SQLite's per-call mutex (the process has one thread). Per row read it costs about 0.6× of
    Python's sqlite3 (which takes the connection's mutex for every column and makes more
    objects): ≈ 0.9× of the leaf hashing less per entry, the largest part of a chunk.

    Never in a process that has other SQLite connections to the file (the verifying one has
    the caller's): APSW brings its own copy of SQLite, and two copies in one process drop each
    other's POSIX locks when one closes the file (sqlite.org/howtocorrupt.html, 2.2.1). A
    forked process holds no lock of its parent's and closes nothing of its.

    Pages are read through a memory map: no read call and copy each, ≈ 5 % of a chunk. Only in
    a forked process too: an I/O error on a mapped file (or the file cut short under it) is a
    signal that ends the process — here an unsure answer (the parent runs the detailed pass),
    not the end of the verification. (SQLite caps the size: 2 GiB, the rest is read.) One read
    transaction for all the process's chunks: the entries are bounded by the parent's size,
    and the log is append-only."""
    path = unquote(urlsplit(url).path)
    conn = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY | apsw.SQLITE_OPEN_NOMUTEX)
    conn.set_busy_timeout(BUSY_TIMEOUT_MS)
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}").fetchall()
    conn.execute("BEGIN DEFERRED").fetchall()
    return conn


def _reap(pid: int, *, done: bool) -> None:
    """Wait for a child: one that closed its result pipe is at its exit; any other is ended
    first (the answer is already known, or this process is leaving on an error)."""
    try:
        if not done:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ChildProcessError, ProcessLookupError):  # pragma: no cover - already gone
        pass
