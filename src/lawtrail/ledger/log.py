"""The agency's append-only Merkle log in the database: append, checkpoints, proofs, reads.

One log per agency (RFC 9162 tree, C2SP checkpoints). An append is one transaction that
(1) takes the log's write lock, (2) checks that the latest signed checkpoint still matches the
stored tree and covers every stored entry — if not, it refuses and signs nothing, (3) inserts
the entries with the next sequence numbers and every perfect subtree they complete, (4) checks
the RFC 9162 consistency proof from the previous checkpoint to the new tree, and (5) signs and
stores the new checkpoint. When the transaction commits the caller's entries are durable and
covered by a signed checkpoint; nothing in the log is ever unsigned, so an entry that appears
without a checkpoint was put there behind the application's back.

All proofs are read from stored perfect subtrees: O(log n) primary-key lookups, batched in one
query, whatever the size of the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawtrail.core import merkle, notes, timeutil
from lawtrail.core.canonical import canonical_bytes, ledger_entry
from lawtrail.ledger.db import POSTGRESQL, Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.schema import install

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


class LedgerError(Exception):
    """The ledger cannot do what was asked (unknown log, bad argument); Chinese message."""


class LedgerIntegrityError(LedgerError):
    """The stored log no longer matches its signed checkpoints: the ledger refuses to sign."""


@dataclass(frozen=True)
class NewEntry:
    """What a service hands to the ledger: the log adds position, time and origin."""

    case_number: str
    type: str  # case | record | media (lawtrail.core.canonical.ENTRY_TYPES)
    ref: str  # the record id, the media sha256, or the case number
    body: Mapping[str, Any]
    actor: str = ""  # the account that made the entry, when there is one


@dataclass(frozen=True)
class Receipt:
    """The ledger's acknowledgement: where the entry is and which checkpoint covers it."""

    agency: str
    seq: int
    leaf_hash: bytes
    recorded_at: datetime
    checkpoint_size: int


_ENTRY_LABELS = {
    "case": "立案信息",
    "record": "记录",
    "media": "媒体入库",
    "document": "文书",
    "access": "查阅记录",
}


@dataclass(frozen=True)
class StoredEntry:
    agency: str
    seq: int
    recorded_at: str
    case_number: str
    type: str
    ref: str
    body: bytes
    leaf_hash: bytes

    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.body)
        return value

    def body_ref(self) -> str | None:
        """The ref the hashed body gives this entry (see :func:`body_ref`); None when the body
        names none or cannot be read."""
        try:
            return body_ref(self.data())
        except ValueError:
            return None

    def describe(self) -> str:
        """「第 N 条（案号 …，记录 r3）」: the entry as reports name it — by the ref its hashed body
        gives, not the unhashed column (which may be what was changed)."""
        what = _ENTRY_LABELS.get(self.type, self.type)
        ref = f" {self.body_ref() or self.ref}" if self.type != "case" else ""
        return f"第 {self.seq} 条（案号 {self.case_number}，{what}{ref}）"


def body_ref(data: Mapping[str, Any]) -> str | None:
    """What an entry's hashed body says its ``ref`` is — the value the unhashed ``ref`` column
    must hold (:class:`NewEntry`): a record's id, a media file's or a document's sha256, a case
    header's case number, an access entry's target (else its case number). None when the body
    names none (an entry type or body of no service)."""
    kind = data.get("type")
    body = data.get(kind) if isinstance(kind, str) else None
    if not isinstance(body, Mapping):
        return None
    if kind == "record":
        value = body.get("id")
    elif kind in ("media", "document"):
        value = body.get("sha256")
    elif kind == "case":
        value = data.get("case_number")
    elif kind == "access":
        value = body.get("target") or data.get("case_number")
    else:
        return None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class StoredCheckpoint:
    agency: str
    size: int
    root: bytes
    note: str
    signed_at: str

    def parsed(self) -> tuple[notes.Note, notes.Checkpoint]:
        note = notes.parse_note(self.note)
        return note, notes.Checkpoint.from_text(note.text)


@dataclass(frozen=True)
class LogInfo:
    agency: str
    origin: str
    public_key: str
    created_at: str


_ENTRY_COLUMNS = "agency, seq, recorded_at, case_number, type, ref, body, leaf_hash"
_CHECKPOINT_COLUMNS = "agency, size, root, note, signed_at"


def _blob(value: Any) -> bytes:
    # Someone editing the database by hand can leave text where bytes belong (SQLite is
    # dynamically typed); read it as its UTF-8 bytes so verification reports it, not crashes.
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _entry(row: Sequence[Any]) -> StoredEntry:
    return StoredEntry(
        row[0], int(row[1]), row[2], row[3], row[4], row[5], _blob(row[6]), _blob(row[7])
    )


def _checkpoint(row: Sequence[Any]) -> StoredCheckpoint:
    return StoredCheckpoint(row[0], int(row[1]), _blob(row[2]), row[3], row[4])


def node_key(level: int, index: int) -> tuple[int, int]:
    """The (size, level) primary key of perfect subtree (level, index): the tree size at which
    it completed, i.e. its last leaf + 1."""
    return ((index + 1) << level, level)


class Ledger:
    def __init__(
        self,
        db: Database,
        keys: KeyDirectory,
        origin_base: str,
        *,
        clock: Clock = timeutil.now,
        install_schema: bool = True,
    ) -> None:
        self.db = db
        self.keys = keys
        self.origin_base = origin_base
        self.clock = clock
        if install_schema:
            install(db)
        # The last checkpoint this process signed or verified, per agency: skips re-verifying
        # a signature it has already checked when nobody else appended in between.
        self._trusted: dict[str, StoredCheckpoint] = {}
        self._logs: dict[str, LogInfo] = {}
        self._signers: dict[str, notes.Signer] = {}

    # ------------------------------------------------------------------ logs

    def origin(self, agency: str) -> str:
        return f"{self.origin_base}/{agency}"

    def log_info(self, agency: str) -> LogInfo | None:
        # A log's row is never changed (append-only), so once read it is kept.
        if agency not in self._logs:
            row = self.db.one(
                "SELECT agency, origin, public_key, created_at FROM ledger_log WHERE agency = ?",
                (agency,),
            )
            if row is None:
                return None
            self._logs[agency] = LogInfo(*row)
        return self._logs[agency]

    def logs(self) -> list[LogInfo]:
        rows = self.db.all(
            "SELECT agency, origin, public_key, created_at FROM ledger_log ORDER BY agency"
        )
        return [LogInfo(*row) for row in rows]

    def ensure_log(self, agency: str) -> LogInfo:
        """Create the agency's log (and its signing key, if none exists) on first use."""
        info = self.log_info(agency)
        if info is not None:
            return info
        origin = self.origin(agency)
        signer = self.keys.signer(agency, origin, create=True)
        with self.db.write():
            # Two processes may create the same log at once: the second insert does nothing.
            self.db.execute(
                "INSERT INTO ledger_log (agency, origin, public_key, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (agency, origin, signer.verifier_key(), self._now_text()),
            )
        info = self.log_info(agency)
        assert info is not None
        return info

    def _now_text(self) -> str:
        return timeutil.local(self.clock()).isoformat()

    # ------------------------------------------------------------------ appending

    def append(
        self, agency: str, entries: Sequence[NewEntry], *, recorded_at: datetime | None = None
    ) -> list[Receipt]:
        """Append entries in one durable transaction, covered by one new signed checkpoint.

        ``recorded_at`` (default: the ledger's clock) is the server time the entries carry.
        """
        if not entries:
            raise LedgerError("没有要写入的记录")
        self.ensure_log(agency)
        with self.db.write():
            return self.append_in_transaction(agency, entries, recorded_at=recorded_at)

    def append_in_transaction(
        self, agency: str, entries: Sequence[NewEntry], *, recorded_at: datetime | None = None
    ) -> list[Receipt]:
        """The body of :meth:`append`, for a service that writes other rows in the same
        transaction (it must have opened it with ``db.write()``)."""
        info = self.log_info(agency)
        if info is None:
            raise LedgerError(f"机关 {agency} 的日志尚未建立")
        self.lock(agency)
        if agency not in self._signers:  # read the key file once, not at every append
            self._signers[agency] = self.keys.signer(agency, info.origin)
        signer = self._signers[agency]
        size, last_time = self._head(agency)
        previous = self._check_head(agency, info, size)

        recorded_at = timeutil.require_aware(recorded_at or self.clock())
        if last_time is not None and recorded_at < last_time:
            # The server clock went backwards (NTP step): keep the log's time monotonic rather
            # than write an entry that looks back-dated.
            log.warning("clock is behind the log's last entry; using %s", last_time.isoformat())
            recorded_at = last_time
        cache: dict[tuple[int, int], bytes] = {}
        entry_rows = []
        node_rows = []
        receipts = []
        for offset, new in enumerate(entries):
            seq = size + offset
            data = ledger_entry(
                origin=info.origin,
                index=seq,
                recorded_at=recorded_at,
                agency=agency,
                case_number=new.case_number,
                type=new.type,
                body=new.body,
                actor=new.actor,
            )
            body = canonical_bytes(data)
            leaf = merkle.leaf_hash(body)
            cache[(0, seq)] = leaf
            entry_rows.append(
                (agency, seq, data["recorded_at"], new.case_number, new.type, new.ref, body, leaf)
            )
            for level, index in merkle.perfect_subtrees_completed_by(seq)[1:]:
                left = self._node(agency, cache, level - 1, 2 * index)
                right = self._node(agency, cache, level - 1, 2 * index + 1)
                cache[(level, index)] = merkle.node_hash(left, right)
                node_rows.append((agency, *node_key(level, index), cache[(level, index)]))
            receipts.append(Receipt(agency, seq, leaf, recorded_at, size + len(entries)))

        self.db.executemany(
            f"INSERT INTO ledger_entry ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            entry_rows,
        )
        self.db.executemany(
            "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)", node_rows
        )
        new_size = size + len(entries)
        new_root = self._root(agency, new_size, cache)
        if previous is not None and previous.size > 0:
            proof = self._consistency(agency, previous.size, new_size, cache)
            try:
                merkle.verify_consistency(previous.size, new_size, previous.root, new_root, proof)
            except merkle.ProofError as exc:  # pragma: no cover - guarded by _check_head
                raise LedgerIntegrityError(
                    f"新树与上一检查点（大小 {previous.size}）不一致，拒绝签名：{exc}"
                ) from exc
        self._sign_checkpoint(agency, info.origin, signer, new_size, new_root)
        return receipts

    def lock(self, agency: str) -> None:
        """Inside a write transaction: queue behind every other writer of the agency's log
        (PostgreSQL: the log row FOR UPDATE; SQLite's BEGIN IMMEDIATE already holds the
        database's write lock). A service that reads before it appends locks first."""
        if self.db.dialect == POSTGRESQL:
            self.db.execute("SELECT agency FROM ledger_log WHERE agency = ? FOR UPDATE", (agency,))

    def _head(self, agency: str) -> tuple[int, datetime | None]:
        row = self.db.one(
            "SELECT seq, recorded_at FROM ledger_entry WHERE agency = ? ORDER BY seq DESC LIMIT 1",
            (agency,),
        )
        if row is None:
            return 0, None
        try:
            return int(row[0]) + 1, timeutil.parse_aware(row[1])
        except (TypeError, ValueError) as exc:
            # Only an edit behind the application's back leaves this: refuse, do not crash.
            raise LedgerIntegrityError(
                f"日志最后一条记录（第 {row[0]} 条）的入账时间 {row[1]!r} 无法解析：存储被改动，"
                "拒绝继续签名（请运行 lawtrail verify）"
            ) from exc

    def _check_head(self, agency: str, info: LogInfo, size: int) -> StoredCheckpoint | None:
        """The latest checkpoint, after checking that it still describes the stored log."""
        latest = self.latest_checkpoint(agency)
        if latest is None:
            if size:
                raise LedgerIntegrityError(
                    f"日志 {info.origin} 有 {size} 条记录却没有任何检查点，拒绝继续签名"
                )
            return None
        if latest.size != size:
            raise LedgerIntegrityError(
                f"日志 {info.origin} 的最新检查点覆盖 {latest.size} 条记录，而库中有 {size} 条，"
                "拒绝继续签名（请运行 lawtrail verify）"
            )
        if self._trusted.get(agency) != latest:
            verifier = self.keys.verifier(agency)
            try:
                note, checkpoint = latest.parsed()
                ok = notes.verify_note(note, [verifier])
            except notes.NoteError as exc:
                raise LedgerIntegrityError(f"最新检查点签名无效，拒绝继续签名：{exc}") from exc
            if not ok or checkpoint.size != latest.size or checkpoint.root != latest.root:
                raise LedgerIntegrityError("最新检查点与其签名内容不符，拒绝继续签名")
        if self._root(agency, size, {}) != latest.root:
            raise LedgerIntegrityError(
                f"库中的日志树（大小 {size}）与已签名的最新检查点不一致，拒绝继续签名"
            )
        return latest

    def _sign_checkpoint(
        self, agency: str, origin: str, signer: notes.Signer, size: int, root: bytes
    ) -> StoredCheckpoint:
        text = notes.Checkpoint(origin=origin, size=size, root=root).to_text()
        note = notes.format_note(notes.sign_note(text, signer))
        stored = StoredCheckpoint(agency, size, root, note, self._now_text())
        self.db.execute(
            f"INSERT INTO ledger_checkpoint ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (agency, size, root, note, stored.signed_at),
        )
        self._trusted[agency] = stored
        return stored

    # ------------------------------------------------------------------ tree reads

    def _node(
        self, agency: str, cache: dict[tuple[int, int], bytes], level: int, index: int
    ) -> bytes:
        key = (level, index)
        if key not in cache:
            self._prefetch(agency, [key], cache)
        return cache[key]

    def _prefetch(
        self, agency: str, keys: Iterable[tuple[int, int]], cache: dict[tuple[int, int], bytes]
    ) -> None:
        """Load perfect-subtree hashes into `cache` with one query per table."""
        wanted = [k for k in dict.fromkeys(keys) if k not in cache]
        leaves = [index for level, index in wanted if level == 0]
        nodes = [node_key(level, index) for level, index in wanted if level > 0]
        if leaves:
            marks = ", ".join("?" * len(leaves))
            for seq, leaf in self.db.all(
                f"SELECT seq, leaf_hash FROM ledger_entry WHERE agency = ? AND seq IN ({marks})",
                (agency, *leaves),
            ):
                cache[(0, int(seq))] = _blob(leaf)
        if nodes:
            # `size IN (…)` is a range scan on the primary key's prefix in both databases (an
            # OR of (size, level) pairs is not: SQLite scans the table). It returns every level
            # completed at those sizes — at most log2(n) rows each — and we keep those wanted.
            wanted_nodes = set(nodes)
            sizes = sorted({size for size, _ in nodes})
            marks = ", ".join("?" * len(sizes))
            for size, level, digest in self.db.all(
                f"SELECT size, level, hash FROM ledger_node WHERE agency = ? AND size IN ({marks})",
                (agency, *sizes),
            ):
                size, level = int(size), int(level)
                if (size, level) in wanted_nodes:
                    cache[(level, (size >> level) - 1)] = _blob(digest)
        missing = [k for k in wanted if k not in cache]
        if missing:
            level, index = missing[0]
            raise LedgerIntegrityError(
                f"日志缺少子树哈希（层 {level}，序号 {index}）：存储不完整，请运行 lawtrail verify"
            )

    def _getter(
        self, agency: str, keys: Iterable[tuple[int, int]], cache: dict[tuple[int, int], bytes]
    ) -> merkle.GetPerfect:
        self._prefetch(agency, keys, cache)
        return lambda level, index: cache[(level, index)]

    def _root(self, agency: str, size: int, cache: dict[tuple[int, int], bytes]) -> bytes:
        get = self._getter(agency, merkle.perfect_subtree_keys(0, size), cache)
        return merkle.root_from_store(get, size)

    def _consistency(
        self, agency: str, old: int, new: int, cache: dict[tuple[int, int], bytes]
    ) -> list[bytes]:
        keys = [
            key
            for start, end in merkle.subtree_nodes_for_consistency(old, new)
            for key in merkle.perfect_subtree_keys(start, end)
        ]
        return merkle.consistency_proof_from_store(self._getter(agency, keys, cache), old, new)

    def root(self, agency: str, size: int) -> bytes:
        return self._root(agency, size, {})

    def inclusion_proof(self, agency: str, seq: int, size: int) -> list[bytes]:
        """RFC 9162 PATH(seq, D[size]), read from stored subtrees (O(log n) lookups)."""
        keys = [
            key
            for start, end in merkle.subtree_nodes_for_inclusion(seq, size)
            for key in merkle.perfect_subtree_keys(start, end)
        ]
        return merkle.inclusion_proof_from_store(self._getter(agency, keys, {}), seq, size)

    def consistency_proof(self, agency: str, old: int, new: int) -> list[bytes]:
        """RFC 9162 PROOF(old, D[new]), read from stored subtrees."""
        return self._consistency(agency, old, new, {})

    # ------------------------------------------------------------------ entries & checkpoints

    def size(self, agency: str) -> int:
        row = self.db.one("SELECT MAX(seq) FROM ledger_entry WHERE agency = ?", (agency,))
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def entry(self, agency: str, seq: int) -> StoredEntry | None:
        row = self.db.one(
            f"SELECT {_ENTRY_COLUMNS} FROM ledger_entry WHERE agency = ? AND seq = ?",
            (agency, seq),
        )
        return None if row is None else _entry(row)

    def entries(
        self,
        agency: str,
        *,
        case_number: str | None = None,
        types: Sequence[str] = (),
        ref: str | None = None,
        newest_first: bool = False,
    ) -> Iterator[StoredEntry]:
        """Entries in log order (streamed); ``newest_first`` walks the same indexes backwards,
        so a reader that wants the latest page stops after it without reading the rest."""
        where, params = ["agency = ?"], [agency]
        if ref is not None:
            where.append("ref = ?")
            params.append(ref)
        if case_number is not None:
            where.append("case_number = ?")
            params.append(case_number)
        if types:
            where.append(f"type IN ({', '.join('?' * len(types))})")
            params.extend(types)
        sql = f"SELECT {_ENTRY_COLUMNS} FROM ledger_entry WHERE {' AND '.join(where)} ORDER BY seq"
        if newest_first:
            sql += " DESC"
        return (_entry(row) for row in self.db.stream(sql, params))

    def entries_named(
        self, agency: str, type: str, ref: str, *, case_number: str | None = None
    ) -> list[StoredEntry]:
        """The entries whose *hashed body* names ``ref`` (:func:`body_ref`), in log order — not
        those whose unhashed ``ref`` column says so, which an edit of the database can swap.

        Within a case every entry of the type is read and judged by its body (a case holds
        few); across the whole log the ``ref`` index narrows the search and the body confirms
        each hit, so an entry whose column was changed is not found there at all (and
        ``lawtrail verify`` reports the column)."""
        if case_number is not None:
            found = self.entries(agency, case_number=case_number, types=(type,))
        else:
            found = self.entries(agency, types=(type,), ref=ref)
        named = []
        for entry in list(found):  # read to the end: the cursor is released
            try:
                data = entry.data()
            except ValueError:
                continue
            if data.get("type") != type or body_ref(data) != ref:
                continue
            if case_number is not None and data.get("case_number") != case_number:
                continue
            named.append(entry)
        return named

    def recording_time(self, agency: str, at: datetime | None = None) -> datetime:
        """The time an entry appended now carries: ``at`` (default: the ledger's clock), or the
        log's last entry time when the clock is behind it (:meth:`append_in_transaction` keeps
        the log's time monotonic). Holds for an append in the same transaction only while the
        caller holds the log's lock (``db.write()`` + :meth:`lock`)."""
        at = timeutil.require_aware(at or self.clock())
        last_time = self._head(agency)[1]
        return last_time if last_time is not None and at < last_time else at

    def latest_checkpoint(self, agency: str) -> StoredCheckpoint | None:
        row = self.db.one(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM ledger_checkpoint WHERE agency = ? "
            "ORDER BY size DESC LIMIT 1",
            (agency,),
        )
        return None if row is None else _checkpoint(row)

    def checkpoint(self, agency: str, size: int) -> StoredCheckpoint | None:
        row = self.db.one(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM ledger_checkpoint WHERE agency = ? AND size = ?",
            (agency, size),
        )
        return None if row is None else _checkpoint(row)

    def checkpoint_covering(self, agency: str, seq: int) -> StoredCheckpoint | None:
        """The first checkpoint that covers entry ``seq``: the one its append signed."""
        row = self.db.one(
            f"SELECT {_CHECKPOINT_COLUMNS} FROM ledger_checkpoint WHERE agency = ? AND size > ? "
            "ORDER BY size LIMIT 1",
            (agency, seq),
        )
        return None if row is None else _checkpoint(row)

    def checkpoints(self, agency: str) -> Iterator[StoredCheckpoint]:
        sql = f"SELECT {_CHECKPOINT_COLUMNS} FROM ledger_checkpoint WHERE agency = ? ORDER BY size"
        return (_checkpoint(row) for row in self.db.stream(sql, (agency,)))

    def add_cosignature(self, agency: str, size: int, witness: str, line: str) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO ledger_cosignature (agency, size, witness, cosigned_at, line) "
                "VALUES (?, ?, ?, ?, ?)",
                (agency, size, witness, self._now_text(), line),
            )

    def cosignatures(self, agency: str) -> list[tuple[int, str, str]]:
        """(size, witness, signature line) of every cosignature, by size."""
        return [
            (int(size), witness, line)
            for size, witness, line in self.db.all(
                "SELECT size, witness, line FROM ledger_cosignature WHERE agency = ? "
                "ORDER BY size, witness",
                (agency,),
            )
        ]

    def add_timestamp(self, agency: str, size: int, token: bytes, gen_time: str, tsa: str) -> None:
        with self.db.write():
            self.db.execute(
                "INSERT INTO ledger_timestamp (agency, size, token, gen_time, tsa) "
                "VALUES (?, ?, ?, ?, ?)",
                (agency, size, token, gen_time, tsa),
            )

    def timestamps(self, agency: str) -> list[tuple[int, bytes, str, str]]:
        return [
            (int(size), _blob(token), gen_time, tsa)
            for size, token, gen_time, tsa in self.db.all(
                "SELECT size, token, gen_time, tsa FROM ledger_timestamp WHERE agency = ? "
                "ORDER BY size",
                (agency,),
            )
        ]
