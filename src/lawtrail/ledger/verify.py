"""`lawtrail verify`: recompute everything the ledger claims and name every discrepancy.

For each agency log, in one consistent snapshot of the database, streaming (memory does not
grow with the log):

1. every entry: its bytes hash to the stored leaf hash; it names its own log, position,
   agency, case, type and ``ref`` (the record id or sha256 readers look it up by) as the row
   does; its time is not earlier than its predecessor's (a back-dated insertion); the
   sequence has no gaps; a media entry's ``ingested_at`` is its own recorded time;
2. the tree: every stored perfect-subtree hash (what proofs are read from) equals the one
   recomputed from the leaves;
3. every checkpoint: signed by the agency key *pinned* by the caller (``pinned_keys``, the
   ``--key`` files, matched to the log by the key's name = the log's origin) — and the key the
   database registers must be that key. Without a pinned key the key directory's ``.vkey`` is
   used (the database's copy as a last resort), which the insider controls: the verdict is then
   未验证 unless ``allow_unpinned``. Its root equals the root recomputed at its size. Matching
   every checkpoint against one recomputed tree is stronger than checking consecutive pairs
   with consistency proofs: it implies every pair is consistent, and it locates the first
   changed entry;
4. entries beyond the latest signed checkpoint: appends are sequenced (durable) first and
   signed into a checkpoint in batches by the integrator within a second, so such entries are
   *not yet covered* (未签入检查点, a reason of the 未验证 verdict naming the range), not a
   problem — their leaf hashes and bodies are still checked (1), and any stored subtree hash
   beyond the checkpoint still has to match (2);
5. every witness cosignature verifies over the checkpoint it names (pinned witness keys, the
   ``--witness-key`` files, first; the key directory's for the others); every entry must be
   covered by a checkpoint cosigned by a pinned witness, else the verdict is 未验证 naming the
   range (「第 120–123 条尚无见证联署」) unless ``allow_unwitnessed``. With a witness's state
   directory, the log has not been rolled back or forked behind the witness;
6. RFC 3161 tokens, when trust roots are configured, cover their checkpoints;
7. with ``media``: every stored file referenced by an entry (media, generated documents) still
   has its digests;
8. ``projections`` handed in by the wiring (the web application's case index, which the lists
   and the inbox read): each row rebuilt from the ledger and compared, column by column.

For a whole log, 1–3 are first done in bulk by the fast path (:mod:`lawtrail.ledger.verify_fast`:
a compiled decoder, whole-chunk comparisons, one process per CPU for a large log), which only
answers "all consistent"; anything else — any problem, anything it cannot judge cheaply — is
left to the detailed pass here, which names each problem, so the report is the same either way.

``case`` narrows 1 to that case's entries and replaces 2–4 by an inclusion proof of each of
them in the latest signed checkpoint, read from the stored subtrees (O(log n) each), and 5 by
the latest checkpoint a pinned witness cosigned, proven consistent with it.

The verdict (:mod:`lawtrail.core.verdict`): ``Report.status`` is "intact" (完好), "not_verified"
(未验证, with ``Report.verdict.reasons``) or "problems" (有问题).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from lawtrail.core import merkle, notes, timeutil, verdict
from lawtrail.evidence.store import MediaStore
from lawtrail.ledger import verify_fast
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory, KeyFileError
from lawtrail.ledger.log import (
    Ledger,
    LedgerError,
    LogInfo,
    StoredCheckpoint,
    StoredEntry,
    body_ref,
)
from lawtrail.ledger.schema import has_schema, missing_triggers
from lawtrail.ledger.witness import WitnessError, read_state

# What a changed ref column does: readers that find a record by it show another one.
_REF_HINT = "（按该列查找记录的页面会显示另一条记录的序号和证明）"

# Ranges of consecutive entries with the same problem are reported once, naming at most this
# many entries one by one.
NAMED_ENTRIES = 5


@dataclass(frozen=True)
class Problem:
    code: str
    message: str  # Chinese, names the record or file
    agency: str = ""
    seq: int | None = None
    case_number: str = ""
    record: str = ""  # record id (or media sha256 for a media ingestion entry)
    media: str = ""  # sha256 of a media file
    checkpoint_size: int | None = None
    column: str = ""  # the stored column that disagrees (an entry's ref, a projection's column)


@dataclass
class LogSummary:
    agency: str
    origin: str
    entries: int = 0
    checkpoints: int = 0
    latest_checkpoint: int | None = None
    cosignatures: int = 0
    timestamps: int = 0
    media_checked: int = 0
    scope: str = "log"  # log | case
    key: str = ""  # which key judged the checkpoints: pinned (--key) or the system's own
    witnessed: int | None = None  # entries covered by a checkpoint a pinned witness cosigned


@dataclass
class ProjectionSummary:
    """One projection of the ledger kept outside it, rebuilt and compared (see
    :class:`ProjectionCheck`)."""

    name: str  # what users know it as: 案件索引
    table: str
    rows: int = 0  # rows compared with their rebuild


class ProjectionCheck(Protocol):
    """A table the pages read instead of the ledger (the web application's case index): rebuilt
    from the ledger and compared row by row, in verify's snapshot. The ledger knows none of them:
    the wiring of ``lawtrail verify`` hands them in (:func:`verify`'s ``projections``)."""

    def applies(self, db: Database) -> bool:
        """Whether this database holds the projection at all (a ledger-only database does not)."""

    def check(
        self, ledger: Ledger, *, agency: str | None, case_number: str | None
    ) -> tuple[ProjectionSummary, list[Problem]]:
        """Compare every row (of the agency, of the case) with its rebuild from the ledger; a
        problem names the agency, the case and the column."""


@dataclass
class Report:
    logs: list[LogSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    projections: list[ProjectionSummary] = field(default_factory=list)
    verdict: verdict.Verdict = field(default_factory=verdict.Verdict)

    @property
    def status(self) -> str:
        """intact (完好) | not_verified (未验证) | problems (有问题)."""
        return self.verdict.status(bool(self.problems))

    @property
    def intact(self) -> bool:
        """完好: no problem, keys pinned, every entry cosigned by a pinned witness (or the
        caller relaxed those, which ``verdict.relaxed`` records)."""
        return self.status == verdict.INTACT

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "intact": self.intact,
            **self.verdict.to_json(),
            "logs": [asdict(s) for s in self.logs],
            "problems": [asdict(p) for p in self.problems],
            "notes": list(self.notes),
            "projections": [asdict(p) for p in self.projections],
        }


class _Peek:
    """An iterator with one item of look-ahead."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items
        self._next: Any = None
        self._done = False
        self._advance()

    def _advance(self) -> None:
        try:
            self._next = next(self._items)
        except StopIteration:
            self._next, self._done = None, True

    @property
    def head(self) -> Any:
        return None if self._done else self._next

    def pop(self) -> Any:
        value = self._next
        self._advance()
        return value


class _Verifier:
    def __init__(
        self,
        ledger: Ledger,
        keys: KeyDirectory,
        report: Report,
        media_store: MediaStore | None,
        witness_state: Path | None,
        tsa_roots: Sequence[bytes] | None,
        pinned_keys: Sequence[notes.Ed25519Verifier],
        witness_keys: Sequence[notes.CosignatureVerifier],
        fast_path: bool = True,
    ) -> None:
        self.ledger = ledger
        self.fast_path = fast_path
        self.keys = keys
        self.report = report
        self.media_store = media_store
        self.witness_state = witness_state
        self.tsa_roots = tsa_roots
        self.pinned_keys = list(pinned_keys)
        own = {v.name: v for v in keys.witness_verifiers()}
        pinned = {v.name: v for v in witness_keys}
        # Cosignatures are checked under the pinned witness keys first, the key directory's
        # for the other witnesses; only pinned witnesses cover entries — or, with
        # allow_unpinned and none pinned, the system's own.
        self.witnesses: dict[str, notes.CosignatureVerifier] = {**own, **pinned}
        self.covering: set[str] = set(pinned)
        self.witness_source = "固定的见证方公钥（--witness-key）"
        if not pinned and own and report.verdict.allow_unpinned:
            self.covering = set(own)
            self.witness_source = "密钥目录中的见证方公钥（未固定）"

    def problem(self, code: str, message: str, **where: Any) -> None:
        self.report.problems.append(Problem(code=code, message=message, **where))

    # ------------------------------------------------------------------ one log

    def log_key(self, info: LogInfo, summary: LogSummary) -> list[notes.Ed25519Verifier]:
        """The keys that judge the log's checkpoints: the pinned ones named for its origin,
        else (未验证 unless relaxed) the key directory's, else the database's copy."""
        pinned = [v for v in self.pinned_keys if v.name == info.origin]
        if pinned:
            summary.key = "固定的公钥（--key）"
            if info.public_key not in {v.verifier_key() for v in pinned}:
                self.problem(
                    "key_mismatch",
                    f"数据库登记的日志公钥与固定的公钥不同（{info.public_key} ≠ "
                    f"{pinned[0].verifier_key()}）：日志被换用其他密钥签名，或登记的公钥被替换",
                    agency=info.agency,
                )
            return pinned
        try:
            verifier = self.keys.verifier(info.agency)
            summary.key = "密钥目录中的公钥（未固定）"
        except KeyFileError as exc:
            self.report.notes.append(f"{exc}；改用数据库中登记的公钥，签名核验的可信度降低")
            summary.key = "数据库中登记的公钥（未固定）"
            verifier = notes.Ed25519Verifier.from_verifier_key_string(info.public_key)
        self.report.verdict.unpinned_key(
            f"未固定机关 {info.agency} 的公钥（--key），检查点签名以{summary.key}核验", info.agency
        )
        if verifier.verifier_key() != info.public_key:
            self.problem(
                "key_mismatch",
                f"数据库登记的日志公钥与密钥目录中的不同（{info.public_key} ≠ "
                f"{verifier.verifier_key()}）：有人替换了登记的公钥",
                agency=info.agency,
            )
        return [verifier]

    def verify_log(self, info: LogInfo) -> None:
        summary = LogSummary(agency=info.agency, origin=info.origin)
        self.report.logs.append(summary)
        verifier = self.log_key(info, summary)
        if self.fast_path:
            # All consistent (the usual case) is proven in bulk; anything else, or anything the
            # fast path cannot judge cheaply, is left to the detailed pass below, which names
            # every problem — so the report is the same either way (verify_fast).
            fast = verify_fast.check_log(self.ledger, info, verifier)
            if fast is not None:
                summary.checkpoints = fast.checkpoints
                self._finish_log(info, summary, fast.entries, fast.latest)
                return
        self._verify_log_entries(info, summary, verifier)

    def _verify_log_entries(
        self, info: LogInfo, summary: LogSummary, verifier: list[notes.Ed25519Verifier]
    ) -> None:
        """The detailed pass: entry by entry, naming every problem."""
        agency = info.agency
        # Entries beyond the latest checkpoint are sequenced but not yet integrated: their
        # subtree hashes may not be stored yet (those stored must still match).
        head = self.ledger.latest_checkpoint(agency)
        signed_size = head.size if head is not None else 0
        entries = self.ledger.entries(agency)
        nodes = _Peek(
            self.ledger.db.stream(
                "SELECT size, level, hash FROM ledger_node WHERE agency = ? ORDER BY size, level",
                (agency,),
            )
        )
        checkpoints = _Peek(self.ledger.checkpoints(agency))
        stack: list[tuple[int, bytes]] = []  # a compact range: perfect subtrees, largest first
        stored_stack: list[tuple[int, bytes]] = []
        count = 0
        last_time: Any = None
        last_good_size = 0
        bad_run: list[StoredCheckpoint] = []
        moved: list[StoredEntry] = []
        recent: list[StoredEntry] = []  # the first entries after the last matching checkpoint
        latest: StoredCheckpoint | None = None

        def flush_moved() -> None:
            if moved:
                self._report_moved(agency, moved)
                moved.clear()

        def flush_bad() -> None:
            if bad_run:
                self._report_bad_run(agency, bad_run, last_good_size, recent)
                bad_run.clear()

        for entry in entries:
            if entry.seq != count:
                flush_moved()
                self.problem(
                    "entry_missing",
                    f"日志第 {count}–{entry.seq - 1} 条记录缺失（被删除）",
                    agency=agency,
                    seq=count,
                )
            leaf, in_place = self._check_entry(info, entry)
            if in_place is False:
                moved.append(entry)
            elif in_place:
                flush_moved()
            time = _time(entry.recorded_at)
            if time is not None and last_time is not None and time < last_time:
                self.problem(
                    "time_regression",
                    f"{entry.describe()}的入账时间 {entry.recorded_at} 早于前一条记录："
                    "疑似倒签插入",
                    agency=agency,
                    seq=entry.seq,
                    case_number=entry.case_number,
                    record=entry.ref,
                )
            last_time = time or last_time
            # Two compact ranges: one over the leaves recomputed from the entries (compared
            # with the checkpoints), one over the stored leaf hashes (compared with the stored
            # subtrees, which is what proofs are read from).
            merkle.compact_range_push(stack, leaf)
            for level, digest in merkle.compact_range_push(stored_stack, entry.leaf_hash):
                self._check_node(
                    agency, nodes, count + 1, level, digest, pending=count + 1 > signed_size
                )
            count += 1
            if len(recent) < NAMED_ENTRIES:
                recent.append(entry)
            while checkpoints.head is not None and checkpoints.head.size <= count:
                cp = checkpoints.pop()
                latest = cp
                summary.checkpoints += 1
                if cp.size < count:  # a checkpoint inside a gap: it cannot match
                    bad_run.append(cp)
                    continue
                if self._check_checkpoint(info, verifier, cp, merkle.compact_range_root(stack)):
                    flush_bad()
                    last_good_size = cp.size
                    recent.clear()
                else:
                    bad_run.append(cp)
        flush_moved()
        while checkpoints.head is not None:
            cp = checkpoints.pop()
            latest = cp
            summary.checkpoints += 1
            bad_run.append(cp)
        if bad_run:
            if bad_run[-1].size > count:
                self.problem(
                    "entries_missing_at_end",
                    f"已签名的检查点覆盖 {bad_run[-1].size} 条记录，但日志只剩 {count} 条："
                    "末尾的记录被删除或日志被截断",
                    agency=agency,
                    seq=count,
                    checkpoint_size=bad_run[-1].size,
                )
            flush_bad()
        for extra in nodes_left(nodes):
            self.problem(
                "node_unexpected",
                f"子树哈希表中有不属于该日志的行（树大小 {extra[0]}，层 {extra[1]}）",
                agency=agency,
            )
        self._finish_log(info, summary, count, latest)

    def _finish_log(
        self, info: LogInfo, summary: LogSummary, count: int, latest: StoredCheckpoint | None
    ) -> None:
        """What follows the entries: coverage by checkpoints and witnesses, time stamps, the
        witness's state."""
        agency = info.agency
        summary.entries = count
        summary.latest_checkpoint = latest.size if latest else None
        signed = latest.size if latest else 0
        if signed < count:
            # Sequenced, not yet signed by the integrator: not covered, not a problem.
            self.report.verdict.unsigned(signed, count - 1, agency, where=f"机关 {agency} ")
        covered = self._check_cosignatures(info, summary)
        self._coverage(agency, summary, covered, range(min(covered, count), count))
        self._check_timestamps(info, summary)
        self._check_witness(info, latest)

    def _coverage(
        self, agency: str, summary: LogSummary, covered: int, uncovered: Sequence[int]
    ) -> None:
        """Entries beyond the latest checkpoint a covering witness cosigned: 未验证."""
        if not self.covering:
            return  # said once for the whole run (verify())
        summary.witnessed = covered
        if not uncovered:
            return
        where = f"机关 {agency} "
        if isinstance(uncovered, range):
            self.report.verdict.unwitnessed(uncovered[0], uncovered[-1], agency, where=where)
        else:
            self.report.verdict.unwitnessed_seqs(uncovered, agency, where=where + "本案")

    def _check_entry(self, info: LogInfo, entry: StoredEntry) -> tuple[bytes, bool | None]:
        """Check one entry against its row; return its recomputed leaf hash and whether it
        claims the position it is stored at (None when its content cannot be read)."""
        agency = info.agency
        leaf = merkle.leaf_hash(entry.body)
        data, claimed = _claims(entry.body, leaf)
        where = {
            "agency": agency,
            "seq": entry.seq,
            "case_number": entry.case_number,
            "record": (claimed and claimed["ref"]) or entry.ref,
        }
        if leaf != entry.leaf_hash:
            self.problem(
                "entry_altered",
                f"{entry.describe()}的内容与入账时的哈希不符：记录被改动",
                **where,
            )
        if data is None or claimed is None:
            self.problem("entry_unreadable", f"{entry.describe()}的内容无法解析", **where)
            return leaf, None
        row = {
            "log": info.origin,
            "agency": agency,
            "case_number": entry.case_number,
            "type": entry.type,
            "recorded_at": entry.recorded_at,
            "ref": entry.ref,
        }
        for key, value in row.items():
            if claimed[key] != value and not (key == "ref" and claimed[key] is None):
                self.problem(
                    "entry_header_mismatch",
                    f"{entry.describe()}的 {key} 列为 {value!r}，而入账内容为 {claimed[key]!r}："
                    f"记录的索引字段被改动{_REF_HINT if key == 'ref' else ''}",
                    column=key,
                    **where,
                )
        if claimed["type"] == "media":
            self._check_ingested_at(entry, data, where)
        return leaf, claimed["index"] == entry.seq

    def _check_ingested_at(
        self, entry: StoredEntry, data: dict[str, Any], where: dict[str, Any]
    ) -> None:
        """A media entry's ``ingested_at`` (the server clock the rules judge the storage
        deadline by) is the entry's own recorded time: the ingestion writes them together."""
        media = data.get("media")
        ingested = media.get("ingested_at") if isinstance(media, dict) else None
        recorded = data["recorded_at"]
        if not ingested_at_matches(ingested, recorded):
            self.problem(
                "media_ingested_at_mismatch",
                f"{entry.describe()}的入库时间 ingested_at 为 {ingested!r}，而该条目的入账时间为 "
                f"{recorded!r}：入库时限按入库时间判断，二者在入库时写为同一时间，入库时间被改写",
                column="ingested_at",
                **where,
            )

    def _report_moved(self, agency: str, moved: list[StoredEntry]) -> None:
        first, last = moved[0], moved[-1]
        claims = json.loads(first.body).get("index")
        named = "、".join(e.describe() for e in moved[:NAMED_ENTRIES])
        more = f"等 {len(moved)} 条" if len(moved) > NAMED_ENTRIES else ""
        self.problem(
            "entry_moved",
            f"第 {first.seq}–{last.seq} 条记录不在入账时的位置（如第 {first.seq} 条入账时"
            f"位于第 {claims} 条）：记录被调换、插入或删除后重新编号。涉及 {named}{more}",
            agency=agency,
            seq=first.seq,
            case_number=first.case_number,
            record=first.ref,
        )

    def _check_node(
        self, agency: str, nodes: _Peek, size: int, level: int, digest: bytes, *, pending: bool
    ) -> None:
        while nodes.head is not None and (int(nodes.head[0]), int(nodes.head[1])) < (size, level):
            extra = nodes.pop()
            self.problem(
                "node_unexpected",
                f"子树哈希表中有多余的行（树大小 {extra[0]}，层 {extra[1]}）",
                agency=agency,
            )
        head = nodes.head
        if head is None or (int(head[0]), int(head[1])) != (size, level):
            if pending:
                return  # beyond the latest checkpoint: the integrator may not have stored it
            self.problem(
                "node_missing",
                f"缺少子树哈希（树大小 {size}，层 {level}）：证明无法从存储中读出",
                agency=agency,
            )
            return
        nodes.pop()
        if bytes(head[2]) != digest:
            self.problem(
                "node_altered",
                f"存储的子树哈希（树大小 {size}，层 {level}）与由记录重算的不同："
                "从存储读出的证明将是错误的",
                agency=agency,
            )

    def _check_checkpoint(
        self,
        info: LogInfo,
        verifiers: Sequence[notes.Verifier],
        cp: StoredCheckpoint,
        root: bytes,
    ) -> bool:
        """True when the checkpoint is well signed and matches the recomputed tree."""
        where = {"agency": info.agency, "checkpoint_size": cp.size}
        try:
            note, checkpoint = cp.parsed()
            signed = bool(verifiers) and bool(notes.verify_note(note, verifiers))
        except notes.NoteError as exc:
            self.problem(
                "checkpoint_signature_invalid",
                f"大小为 {cp.size} 的检查点签名无效或格式错误（{exc}）：检查点被替换或篡改",
                **where,
            )
            return True  # reported; do not also count it as a tree mismatch
        if not signed:
            self.problem(
                "checkpoint_signature_invalid",
                f"大小为 {cp.size} 的检查点没有该机关密钥的签名：检查点被替换",
                **where,
            )
            return True
        if (checkpoint.origin, checkpoint.size, checkpoint.root) != (
            info.origin,
            cp.size,
            cp.root,
        ):
            self.problem(
                "checkpoint_row_mismatch",
                f"大小为 {cp.size} 的检查点行与其签名内容不符（来源、大小或根哈希被改动）",
                **where,
            )
            return True
        return checkpoint.root == root

    def _report_bad_run(
        self,
        agency: str,
        run: list[StoredCheckpoint],
        good_size: int,
        recent: list[StoredEntry],
    ) -> None:
        first = run[0]
        suspects = [e for e in recent if good_size <= e.seq < first.size]
        named = "、".join(e.describe() for e in suspects[:NAMED_ENTRIES])
        where = f"；变化位于第 {good_size}–{first.size - 1} 条之间" + (
            f"：{named}" if named else ""
        )
        count = f"（共 {len(run)} 个检查点，至大小 {run[-1].size}）" if len(run) > 1 else ""
        prev = f"，与上一个相符的检查点（大小 {good_size}）不一致" if good_size else ""
        self.problem(
            "checkpoint_mismatch",
            f"已签名的检查点（大小 {first.size}）{count}与由现存记录重算的日志树不符{prev}{where}",
            agency=agency,
            seq=good_size,
            checkpoint_size=first.size,
            case_number=suspects[0].case_number if suspects else "",
            record=suspects[0].ref if suspects else "",
        )

    # ------------------------------------------------------------------ witnesses, TSA

    def _check_cosignatures(self, info: LogInfo, summary: LogSummary) -> int:
        """Check every cosignature; return the largest checkpoint size a covering witness
        validly cosigned (0 when none)."""
        covered = 0
        for size, witness, line in self.ledger.cosignatures(info.agency):
            summary.cosignatures += 1
            verifier = self.witnesses.get(witness)
            if verifier is None:
                self.report.notes.append(
                    f"见证方 {witness} 的公钥不在密钥目录中，未核验其对大小 {size} 的联署"
                )
                continue
            cp = self._cosigned_checkpoint(info, size, witness, line, verifier)
            if cp is not None and witness in self.covering:
                covered = max(covered, size)
        return covered

    def _cosigned_checkpoint(
        self,
        info: LogInfo,
        size: int,
        witness: str,
        line: str,
        verifier: notes.CosignatureVerifier,
    ) -> StoredCheckpoint | None:
        """The stored checkpoint ``line`` validly cosigns; None (and the problem named) when it
        is gone or the cosignature does not verify over it."""
        where = {"agency": info.agency, "checkpoint_size": size}
        cp = self.ledger.checkpoint(info.agency, size)
        if cp is None:
            self.problem(
                "cosignature_orphan",
                f"见证方 {witness} 联署过大小 {size} 的检查点，但该检查点已不在库中",
                **where,
            )
            return None
        try:
            note, _ = cp.parsed()
            cosigned = notes.parse_note(note.text + "\n" + line)
            ok = bool(notes.verify_note(cosigned, [verifier]))
        except notes.NoteError:
            ok = False
        if not ok:
            self.problem(
                "cosignature_invalid",
                f"见证方 {witness} 对大小 {size} 的检查点的联署无法验证：检查点在联署后被替换",
                **where,
            )
            return None
        return cp

    def _check_timestamps(self, info: LogInfo, summary: LogSummary) -> None:
        stamps = self.ledger.timestamps(info.agency)
        summary.timestamps = len(stamps)
        if not stamps:
            return
        if not self.tsa_roots:
            self.report.notes.append(
                f"{info.agency} 有 {len(stamps)} 个 RFC 3161 时间戳，"
                "未配置 LAWTRAIL_TSA_ROOTS，未核验"
            )
            return
        from lawtrail.ledger.tsa import TimestampError, verify_timestamp

        for size, token, _gen_time, tsa in stamps:
            cp = self.ledger.checkpoint(info.agency, size)
            try:
                if cp is None:
                    raise TimestampError("对应的检查点不在库中")
                verify_timestamp(token, cp.note.encode("utf-8"), roots=self.tsa_roots)
            except TimestampError as exc:
                self.problem(
                    "timestamp_invalid",
                    f"大小为 {size} 的检查点的可信时间戳（{tsa}）无法验证：{exc}",
                    agency=info.agency,
                    checkpoint_size=size,
                )

    def _check_witness(self, info: LogInfo, latest: StoredCheckpoint | None) -> None:
        if self.witness_state is None:
            return
        try:
            state = read_state(self.witness_state, info.origin)
        except WitnessError as exc:
            self.report.notes.append(str(exc))
            return
        if state is None:
            self.report.notes.append(f"见证方状态中没有日志 {info.origin}")
            return
        where = {"agency": info.agency, "checkpoint_size": state.size}
        size = latest.size if latest else 0
        if size < state.size:
            self.problem(
                "log_rolled_back",
                f"日志被回退：见证方已于 {state.cosigned_at} 联署大小为 {state.size} 的检查点，"
                f"而库中最新的检查点只有 {size}",
                **where,
            )
            return
        try:
            assert latest is not None
            proof = self.ledger.consistency_proof(info.agency, state.size, size)
            merkle.verify_consistency(state.size, size, state.root, latest.root, proof)
        except (merkle.ProofError, LedgerError, ValueError) as exc:
            self.problem(
                "log_forked",
                f"日志与见证方已联署的检查点（大小 {state.size}）不一致：历史被改写后重新签名"
                f"（{exc}）",
                **where,
            )

    # ------------------------------------------------------------------ one case

    def verify_case(
        self,
        info: LogInfo,
        case_number: str,
        types: Sequence[str] = (),
        inclusion: bool = True,
        only: Collection[int] | None = None,
    ) -> list[StoredEntry]:
        summary = LogSummary(agency=info.agency, origin=info.origin, scope="case")
        self.report.logs.append(summary)
        verifier = self.log_key(info, summary)
        latest = self.ledger.latest_checkpoint(info.agency)
        entries = list(self.ledger.entries(info.agency, case_number=case_number, types=types))
        summary.entries = len(entries)
        if latest is None:
            for entry in entries:
                if only is None or entry.seq in only:
                    self._check_entry(info, entry)
            self.report.verdict.unsigned_seqs(
                (e.seq for e in entries), info.agency, where=f"机关 {info.agency} 本案"
            )
            self._coverage(info.agency, summary, 0, [e.seq for e in entries])
            return entries
        summary.latest_checkpoint = latest.size
        summary.checkpoints = 1
        if not self._check_checkpoint(info, verifier, latest, latest.root):
            return entries  # pragma: no cover - root compared with itself
        unsigned = []
        for entry in entries:
            if only is not None and entry.seq not in only:
                if entry.seq >= latest.size:
                    unsigned.append(entry.seq)
                continue
            leaf, _ = self._check_entry(info, entry)
            where = {
                "agency": info.agency,
                "seq": entry.seq,
                "case_number": entry.case_number,
                "record": entry.ref,
            }
            if entry.seq >= latest.size:
                unsigned.append(entry.seq)  # sequenced, not yet integrated: not a problem
                continue
            if not inclusion:
                continue
            try:
                proof = self.ledger.inclusion_proof(info.agency, entry.seq, latest.size)
                merkle.verify_inclusion(leaf, entry.seq, latest.size, proof, latest.root)
            except (merkle.ProofError, LedgerError) as exc:
                self.problem(
                    "inclusion_failed",
                    f"{entry.describe()}无法证明包含在已签名的检查点（大小 {latest.size}）中："
                    f"记录被改动或移动（{exc}）",
                    **where,
                )
        self.report.verdict.unsigned_seqs(unsigned, info.agency, where=f"机关 {info.agency} 本案")
        covered = self._case_cosigned(info, summary, verifier, latest)
        self._coverage(info.agency, summary, covered, [e.seq for e in entries if e.seq >= covered])
        self._check_witness(info, latest)
        return entries

    def _case_cosigned(
        self,
        info: LogInfo,
        summary: LogSummary,
        verifiers: Sequence[notes.Verifier],
        latest: StoredCheckpoint,
    ) -> int:
        """The size of the latest checkpoint a covering witness validly cosigned, proven
        consistent with the latest checkpoint (so the case's entries below it are witnessed);
        0 when none."""
        cosignatures = self.ledger.cosignatures(info.agency)
        summary.cosignatures = len(cosignatures)
        candidates = sorted(
            (
                (size, witness, line)
                for size, witness, line in cosignatures
                if witness in self.covering and 0 < size <= latest.size
            ),
            reverse=True,
        )
        for size, witness, line in candidates:
            where = {"agency": info.agency, "checkpoint_size": size}
            cp = self._cosigned_checkpoint(info, size, witness, line, self.witnesses[witness])
            if cp is None:
                continue
            self._check_checkpoint(info, verifiers, cp, cp.root)
            try:
                proof = self.ledger.consistency_proof(info.agency, size, latest.size)
                merkle.verify_consistency(size, latest.size, cp.root, latest.root, proof)
            except (merkle.ProofError, LedgerError, ValueError) as exc:
                self.problem(
                    "log_forked",
                    f"最新检查点（大小 {latest.size}）与见证方 {witness} 联署的检查点"
                    f"（大小 {size}）不一致：历史被改写后重新签名（{exc}）",
                    **where,
                )
                continue
            return size
        return 0

    # ------------------------------------------------------------------ media

    def verify_media(self, info: LogInfo, entries: Iterator[StoredEntry]) -> None:
        assert self.media_store is not None
        wanted: dict[str, tuple[str, int | None]] = {}
        users: dict[str, list[StoredEntry]] = defaultdict(list)
        for entry in entries:
            if entry.type not in ("media", "record", "document"):
                continue
            data = json.loads(entry.body)
            # A document's bytes (a generated 文书 or 案卷) live in the same store as media.
            items = (
                data["record"].get("media", []) if entry.type == "record" else [data[entry.type]]
            )
            for item in items:
                sha = item.get("sha256", "")
                users[sha].append(entry)
                known_sm3, known_size = wanted.get(sha, ("", None))
                wanted[sha] = (item.get("sm3") or known_sm3, item.get("size", known_size))
        summary = self.report.logs[-1]
        for sha, (sm3, size) in sorted(wanted.items()):
            summary.media_checked += 1
            found = self.media_store.check(sha, sm3, size)
            if found is None:
                continue
            refs = users[sha]
            named = "、".join(e.describe() for e in refs[:NAMED_ENTRIES])
            self.problem(
                f"media_{found.code}",
                f"{found.message}（登记于 {named}）",
                agency=info.agency,
                seq=refs[0].seq,
                case_number=refs[0].case_number,
                record=refs[0].ref,
                media=sha,
            )


def nodes_left(nodes: _Peek) -> Iterator[tuple[Any, ...]]:
    while nodes.head is not None:
        yield nodes.pop()


_CLAIMS_KEPT = 100_000
_claims_kept: OrderedDict[bytes, tuple[dict[str, Any] | None, dict[str, Any] | None]] = (
    OrderedDict()
)
_claims_lock = threading.Lock()


def _claims(body: bytes, leaf: bytes) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """What an entry's body says (the parts the checks read: the claimed position and
    columns, a media entry's times), or (None, None) if it cannot be read. Kept per leaf hash:
    the hash of these very bytes, so a changed body is a new key and is read afresh; a
    verifier run again over the same entries (the case page of issue #18) hashes each body
    but parses only what it has not seen."""
    with _claims_lock:
        kept = _claims_kept.get(leaf)
    if kept is not None:
        return kept
    try:
        data = json.loads(body)
        claimed = {
            "log": data["log"],
            "index": data["index"],
            "agency": data["agency"],
            "case_number": data["case_number"],
            "type": data["type"],
            "recorded_at": data["recorded_at"],
            # what readers look entries up by: the record id, the media's sha256 …
            "ref": body_ref(data),
        }
        media = data.get("media")
        # Only what _check_ingested_at reads is kept of the body.
        part: dict[str, Any] | None = {
            "recorded_at": data["recorded_at"],
            **(
                {"media": {"ingested_at": media.get("ingested_at")}}
                if isinstance(media, dict)
                else {}
            ),
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        part = claimed = None
    with _claims_lock:
        _claims_kept[leaf] = (part, claimed)
        while len(_claims_kept) > _CLAIMS_KEPT:
            _claims_kept.popitem(last=False)
    return part, claimed


def ingested_at_matches(ingested: Any, recorded: Any) -> bool:
    """Whether a media entry's ``ingested_at`` is the same time as its ``recorded_at``."""
    return (
        isinstance(ingested, str)
        and isinstance(recorded, str)
        and _time(ingested) is not None
        and _time(ingested) == _time(recorded)
    )


def _time(text: str) -> Any:
    try:
        return timeutil.parse_aware(text)
    except ValueError:
        return None


def verify(
    ledger: Ledger,
    keys: KeyDirectory,
    *,
    agency: str | None = None,
    case_number: str | None = None,
    media_store: MediaStore | None = None,
    witness_state: Path | None = None,
    tsa_roots: Sequence[bytes] | None = None,
    entry_types: Sequence[str] = (),
    projections: Sequence[ProjectionCheck] = (),
    pinned_keys: Sequence[notes.Ed25519Verifier] = (),
    witness_keys: Sequence[notes.CosignatureVerifier] = (),
    allow_unpinned: bool = False,
    allow_unwitnessed: bool = False,
    inclusion: bool = True,
    only_seqs: Collection[int] | None = None,
    fast_path: bool = True,
) -> Report:
    """Verify one agency's log (or all), optionally one case and the media files.

    ``pinned_keys`` are the log keys the caller trusts (each names its log's origin),
    ``witness_keys`` the witnesses it trusts; ``keys`` (the system's own key directory) is used
    only where nothing is pinned, which makes the verdict 未验证 unless ``allow_unpinned``.
    Entries not covered by a checkpoint a pinned witness cosigned make it 未验证 unless
    ``allow_unwitnessed``. ``entry_types`` narrows a case's check to those entry types (the case
    page proves the case's header, records and media, not every access to it). ``projections``:
    tables kept beside the ledger for the pages (the web application's case index), each
    rebuilt from the ledger and compared in the same snapshot — for the logs and cases
    checked. ``inclusion=False`` (a case only) leaves out each entry's inclusion proof
    against the latest checkpoint — two reads per entry — and checks the rest: each entry's
    content against its leaf hash and its columns, the checkpoint's signature, the witnesses'
    coverage (the case page, issue #18; its 核验 page proves every entry). ``only_seqs`` (a
    case only): check the content of these entries alone (the page shown of a long case);
    the signing and witness coverage are still the whole case's. ``fast_path=False``: a
    whole log always by the detailed pass (the fast path's report is the same; the tests hold
    the two to it)."""
    report = Report(
        verdict=verdict.Verdict(allow_unpinned=allow_unpinned, allow_unwitnessed=allow_unwitnessed)
    )
    verifier = _Verifier(
        ledger,
        keys,
        report,
        media_store,
        witness_state,
        tsa_roots,
        pinned_keys,
        witness_keys,
        fast_path,
    )
    if not has_schema(ledger.db):
        raise LedgerError(f"数据库 {ledger.db.url} 中没有账本（尚未写入任何记录？）")
    missing = missing_triggers(ledger.db)
    if missing:
        report.notes.append(
            "账本表的追加保护触发器缺失或被禁用（" + "、".join(missing) + "）："
            "数据库已不再拒绝修改和删除，请查明原因并重新启动系统以恢复"
        )
    with ledger.db.snapshot():
        logs = ledger.logs()
        if agency is not None:
            logs = [info for info in logs if info.agency == agency]
            if not logs:
                raise LedgerError(f"账本中没有机关 {agency} 的日志")
        if case_number is not None:
            logs = [
                info
                for info in logs
                if ledger.db.one(
                    "SELECT 1 FROM ledger_entry WHERE agency = ? AND case_number = ? LIMIT 1",
                    (info.agency, case_number),
                )
            ]
            if not logs:
                raise LedgerError(f"账本中没有案件 {case_number} 的记录")
        if not verifier.covering and logs:
            report.verdict.unpinned_witness(
                "未固定见证方公钥（--witness-key）：无法确认任何条目已经监督机关的见证方联署"
            )
        elif not witness_keys and verifier.covering and logs:
            report.verdict.unpinned_key(f"见证联署以{verifier.witness_source}核验")
        for info in logs:
            if case_number is not None:
                scoped = verifier.verify_case(info, case_number, entry_types, inclusion, only_seqs)
                if media_store is not None:
                    verifier.verify_media(info, iter(scoped))
            else:
                verifier.verify_log(info)
                if media_store is not None:
                    verifier.verify_media(info, ledger.entries(info.agency))
        for projection in projections:
            if projection.applies(ledger.db):
                summary, problems = projection.check(ledger, agency=agency, case_number=case_number)
                report.projections.append(summary)
                report.problems.extend(problems)
    if witness_state is None:
        report.notes.append(
            "未提供见证方状态（--witness-state），无法发现整库回退到旧状态；"
            "请由监督机关的见证方状态复核"
        )
    return report
