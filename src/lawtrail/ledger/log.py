"""The agency's append-only Merkle log in the database: append, integrate, proofs, reads.

One log per agency (RFC 9162 tree, C2SP checkpoints). Sequencing is separate from signing, as
in Certificate Transparency logs and Tessera:

- **append** (sequencing) is one short transaction that takes the log's write lock, gives the
  entries the next positions and stores them with their leaf hashes. When it commits the
  entries are durable and acknowledged (the receipt says which position each has);
- **integrate** (:meth:`Ledger.integrate`) takes the same lock, checks that the latest signed
  checkpoint still describes the stored tree, hashes every entry it does not cover into the
  tree (each leaf recomputed from the stored bytes), stores every perfect subtree they
  complete, checks the RFC 9162 consistency proof from the previous checkpoint, and has the
  agency's :class:`~lawtrail.ledger.signing.CheckpointSigner` sign one checkpoint over all of
  them. The web server runs it in batches (:mod:`lawtrail.ledger.integrator`, within a bounded
  delay); command-line tools and tests integrate in the append's own transaction
  (``integrate_on_append``).

Entries beyond the latest checkpoint are therefore normal for at most the integrator's delay;
``lawtrail verify`` names them as not yet covered, and a witness notices a log that stops
advancing.

All proofs are read from stored perfect subtrees: O(log n) primary-key lookups, batched in one
query, whatever the size of the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lawtrail.core import merkle, notes, timeutil
from lawtrail.core.canonical import canonical_bytes, ledger_entry
from lawtrail.ledger.db import POSTGRESQL, Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.schema import install
from lawtrail.ledger.signing import CheckpointSigner, SignerRefused

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
    type: str  # case | record | media | … (lawtrail.core.canonical.ENTRY_TYPES)
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
    # The size of the checkpoint that covers it when the append signed one (the ledger
    # integrates on append); None while it waits for the integrator (within its delay).
    checkpoint_size: int | None


_ENTRY_LABELS = {
    "case": "案件信息",  # the opening and every later header (people, 变更案件信息)
    "record": "记录",
    "media": "媒体入库",
    "document": "文书",
    "access": "查阅记录",
    "supervision": "责令整改",
    "review": "案卷评查",
    "secrecy": "保密与查阅复制",
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
    header's case number, an access entry's target (else its case number), a supervision
    entry's order id (the order and its answer share it), a review entry's sampling or sheet
    id, a secrecy entry's label or request id. None when the body
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
    elif kind == "supervision":
        value = body.get("order")
    elif kind == "review":
        value = body.get("sheet") if body.get("act") == "sheet" else body.get("sampling")
    elif kind == "secrecy":  # a label's acts share its id, a request's acts the request's
        value = body.get("label") or body.get("request")
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
_HEAD_SQL = "SELECT seq, recorded_at FROM ledger_entry WHERE agency = ? ORDER BY seq DESC LIMIT 1"


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


def _body_time(body: bytes) -> datetime | None:
    """The recorded time an entry's hashed body gives (None when unreadable)."""
    try:
        value = json.loads(body).get("recorded_at")
        return timeutil.parse_aware(value) if isinstance(value, str) else None
    except (ValueError, AttributeError, TypeError):
        return None


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
        integrate_on_append: bool = True,
    ) -> None:
        self.db = db
        self.integrate_on_append = integrate_on_append
        self.keys = keys
        self.origin_base = origin_base
        self.clock = clock
        if install_schema:
            install(db)
        # The last checkpoint this process signed or verified, per agency: skips re-verifying
        # a signature it has already checked when nobody else appended in between.
        self._trusted: dict[str, StoredCheckpoint] = {}
        self._logs: dict[str, LogInfo] = {}
        self._signers: dict[str, CheckpointSigner] = {}
        self._verifiers: dict[str, notes.Ed25519Verifier] = {}

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
        signer = self.keys.checkpoint_signer(agency, origin, create=True)
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
        """Append entries in one durable transaction (and, when the ledger integrates on
        append, sign the checkpoint covering them in it).

        ``recorded_at`` (default: the ledger's clock) is the server time the entries carry.
        """
        if not entries:
            raise LedgerError("没有要写入的记录")
        self.ensure_log(agency)
        with self.db.write():
            return self.append_in_transaction(agency, entries, recorded_at=recorded_at)

    def append_in_transaction(
        self,
        agency: str,
        entries: Sequence[NewEntry],
        *,
        recorded_at: datetime | None = None,
        stored: list[StoredEntry] | None = None,
    ) -> list[Receipt]:
        """The body of :meth:`append`, for a service that writes other rows in the same
        transaction (it must have opened it with ``db.write()``).

        Sequencing: the entries get the next positions and their leaf hashes; they are durable
        and acknowledged when the transaction commits. The tree above them and the signed
        checkpoint are the integrator's (:meth:`integrate`): in the same transaction when
        ``integrate_on_append`` (command-line tools, tests), otherwise in batches by the
        :class:`~lawtrail.ledger.integrator.Integrator` within its bounded delay.

        ``stored``: filled with the entries as written (rows kept beside them in the same
        transaction need not read them back while the log's lock is held).
        """
        info = self.log_info(agency)
        if info is None:
            raise LedgerError(f"机关 {agency} 的日志尚未建立")
        size, last_time = self._lock_and_head(agency)
        recorded_at = timeutil.require_aware(recorded_at or self.clock())
        if last_time is not None and recorded_at < last_time:
            # The server clock went backwards (NTP step): keep the log's time monotonic rather
            # than write an entry that looks back-dated.
            log.warning("clock is behind the log's last entry; using %s", last_time.isoformat())
            recorded_at = last_time
        entry_rows = []
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
            entry_rows.append(
                (agency, seq, data["recorded_at"], new.case_number, new.type, new.ref, body, leaf)
            )
            receipts.append(Receipt(agency, seq, leaf, recorded_at, None))
        self.db.executemany(
            f"INSERT INTO ledger_entry ({_ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            entry_rows,
        )
        if stored is not None:
            stored.extend(map(_entry, entry_rows))
        if not self.integrate_on_append:
            return receipts
        checkpoint = self._integrate_locked(agency, info, size + len(entries))
        return [replace(r, checkpoint_size=checkpoint.size) for r in receipts]

    # ------------------------------------------------------------------ integrating

    def integrate(self, agency: str) -> StoredCheckpoint | None:
        """Extend the tree over every sequenced entry and sign one checkpoint covering them
        all, in its own transaction; the latest checkpoint (None: the log is empty) when
        nothing is waiting. Safe to call from several processes at once: they queue on the
        log's lock and the later ones find nothing to do."""
        info = self.log_info(agency)
        if info is None:
            raise LedgerError(f"机关 {agency} 的日志尚未建立")
        with self.db.write():
            size = self._lock_and_head(agency)[0]
            if size == 0:
                return None
            return self._integrate_locked(agency, info, size)

    def _time_at(self, agency: str, seq: int) -> datetime | None:
        row = self.db.one(
            "SELECT body FROM ledger_entry WHERE agency = ? AND seq = ?", (agency, seq)
        )
        return None if row is None else _body_time(_blob(row[0]))

    def waiting_since(self, agency: str) -> datetime | None:
        """The recorded time of the first entry no signed checkpoint covers yet (None: none
        waits)."""
        latest = self.latest_checkpoint(agency)
        return self._time_at(agency, latest.size if latest is not None else 0)

    def pending(self, agency: str) -> int:
        """Entries sequenced but not yet covered by a signed checkpoint."""
        latest = self.latest_checkpoint(agency)
        return self.size(agency) - (latest.size if latest else 0)

    def _integrate_locked(self, agency: str, info: LogInfo, size: int) -> StoredCheckpoint:
        """Under the log's lock, with ``size`` entries sequenced: check that the latest
        checkpoint still describes the stored tree, hash the entries it does not cover into
        the tree (each leaf recomputed from its stored bytes), check the new tree extends the
        old one (RFC 9162 consistency), and store the checkpoint the signer signs."""
        previous = self._check_head(agency, info, size)
        old = previous.size if previous is not None else 0
        if previous is not None and old == size:
            return previous
        cache: dict[tuple[int, int], bytes] = {}
        node_rows = []
        rows = self.db.all(
            "SELECT seq, body, leaf_hash FROM ledger_entry "
            "WHERE agency = ? AND seq >= ? AND seq < ? ORDER BY seq",
            (agency, old, size),
        )
        last_time = self._time_at(agency, old - 1) if old else None
        if len(rows) != size - old:
            raise LedgerIntegrityError(
                f"日志 {info.origin} 第 {old}–{size - 1} 条记录不连续，拒绝签名"
                "（请运行 lawtrail verify）"
            )
        for row in rows:
            seq, body, leaf = int(row[0]), _blob(row[1]), _blob(row[2])
            if merkle.leaf_hash(body) != leaf:
                # The integrator hashes what is stored, not what the row claims: a body edited
                # since it was sequenced is refused, never signed.
                raise LedgerIntegrityError(
                    f"日志 {info.origin} 第 {seq} 条记录的内容与其叶哈希不符，拒绝签名"
                    "（请运行 lawtrail verify）"
                )
            at = _body_time(body)
            if at is None or (last_time is not None and at < last_time):
                # Appends keep the log's time monotonic; an entry earlier than its predecessor
                # (or without a readable time) was inserted behind the application's back.
                raise LedgerIntegrityError(
                    f"日志 {info.origin} 第 {seq} 条记录的入账时间早于前一条或无法读取"
                    "（倒签插入），拒绝签名（请运行 lawtrail verify）"
                )
            last_time = at
            cache[(0, seq)] = leaf
            for level, index in merkle.perfect_subtrees_completed_by(seq)[1:]:
                left = self._node(agency, cache, level - 1, 2 * index)
                right = self._node(agency, cache, level - 1, 2 * index + 1)
                cache[(level, index)] = merkle.node_hash(left, right)
                node_rows.append((agency, *node_key(level, index), cache[(level, index)]))
        self.db.executemany(
            "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)", node_rows
        )
        new_root = self._root(agency, size, cache)
        proof: list[bytes] = []
        previous_checkpoint = None
        if previous is not None:
            previous_checkpoint = notes.Checkpoint(info.origin, previous.size, previous.root)
            if previous.size > 0:
                proof = self._consistency(agency, previous.size, size, cache)
                try:
                    merkle.verify_consistency(previous.size, size, previous.root, new_root, proof)
                except merkle.ProofError as exc:  # pragma: no cover - guarded by _check_head
                    raise LedgerIntegrityError(
                        f"新树与上一检查点（大小 {previous.size}）不一致，拒绝签名：{exc}"
                    ) from exc
        checkpoint = notes.Checkpoint(origin=info.origin, size=size, root=new_root)
        return self._sign_checkpoint(agency, info, checkpoint, previous_checkpoint, proof)

    def lock(self, agency: str) -> None:
        """Inside a write transaction: queue behind every other writer of the agency's log
        (PostgreSQL: the log row FOR UPDATE; SQLite's BEGIN IMMEDIATE already holds the
        database's write lock). A service that reads before it appends locks first."""
        if self.db.dialect == POSTGRESQL:
            self.db.execute("SELECT agency FROM ledger_log WHERE agency = ? FOR UPDATE", (agency,))

    def _lock_and_head(self, agency: str) -> tuple[int, datetime | None]:
        """:meth:`lock`, then :meth:`_head` as the lock leaves it, sent together: on PostgreSQL
        one round trip (a pipeline) instead of two while other writers queue on the lock — in a
        server process whose threads are busy, each round trip also waits for the interpreter
        lock (issue #18). The head is read by its own statement after the lock is granted (read
        committed: that statement sees every append committed before)."""
        with self.db.pipeline():
            self.lock(agency)
            cursor = self.db.execute(_HEAD_SQL, (agency,))
        return self._parse_head(cursor.fetchone())

    def _head(self, agency: str) -> tuple[int, datetime | None]:
        return self._parse_head(self.db.one(_HEAD_SQL, (agency,)))

    @staticmethod
    def _parse_head(row: Sequence[Any] | None) -> tuple[int, datetime | None]:
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
        """The latest checkpoint, after checking that it still describes the stored log (the
        entries after it are waiting to be integrated)."""
        latest = self.latest_checkpoint(agency)
        if latest is None:
            return None
        if latest.size > size:
            raise LedgerIntegrityError(
                f"日志 {info.origin} 的最新检查点覆盖 {latest.size} 条记录，而库中只有 {size} 条："
                "记录被删除，拒绝继续签名（请运行 lawtrail verify）"
            )
        if self._trusted.get(agency) != latest:
            try:
                note, checkpoint = latest.parsed()
                ok = notes.verify_note(note, [self._verifier(agency)])
            except notes.NoteError as exc:
                raise LedgerIntegrityError(f"最新检查点签名无效，拒绝继续签名：{exc}") from exc
            if not ok or checkpoint.size != latest.size or checkpoint.root != latest.root:
                raise LedgerIntegrityError("最新检查点与其签名内容不符，拒绝继续签名")
        if self._root(agency, latest.size, {}) != latest.root:
            raise LedgerIntegrityError(
                f"库中的日志树（大小 {latest.size}）与已签名的最新检查点不一致，拒绝继续签名"
            )
        return latest

    def _verifier(self, agency: str) -> notes.Ed25519Verifier:
        # The pinned verifier key is read once per process (a key file read per batch is waste).
        if agency not in self._verifiers:
            self._verifiers[agency] = self.keys.verifier(agency)
        return self._verifiers[agency]

    def _sign_checkpoint(
        self,
        agency: str,
        info: LogInfo,
        checkpoint: notes.Checkpoint,
        previous: notes.Checkpoint | None,
        proof: Sequence[bytes],
    ) -> StoredCheckpoint:
        if agency not in self._signers:  # open the key (or the signer's connection) once
            self._signers[agency] = self.keys.checkpoint_signer(agency, info.origin)
        try:
            note_text = self._signers[agency].sign_checkpoint(
                checkpoint, previous=previous, proof=proof
            )
        except SignerRefused as exc:
            raise LedgerIntegrityError(f"签名方拒绝签署日志 {info.origin} 的检查点：{exc}") from exc
        # Whatever signed it (a file key, a separate process), the note stored must be the
        # checkpoint asked for, under the key verifiers pin.
        try:
            note = notes.parse_note(note_text)
            ok = notes.verify_note(note, [self._verifier(agency)]) and note.text == (
                checkpoint.to_text()
            )
        except notes.NoteError:
            ok = False
        if not ok:
            raise LedgerIntegrityError(
                f"签名方返回的检查点签名无法以机关 {agency} 的验证公钥核验，拒绝保存"
            )
        stored = StoredCheckpoint(
            agency, checkpoint.size, checkpoint.root, note_text, self._now_text()
        )
        self.db.execute(
            f"INSERT INTO ledger_checkpoint ({_CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (agency, stored.size, stored.root, stored.note, stored.signed_at),
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
        after: int | None = None,
        limit: int | None = None,
    ) -> Iterator[StoredEntry]:
        """Entries in log order (streamed); ``newest_first`` walks the same indexes backwards,
        so a reader that wants the latest page stops after it without reading the rest.
        ``after``: only the entries with a greater sequence number (a range of the case index
        ``(agency, case_number, seq)``: what a reader holding the case up to there lacks).
        ``limit``: at most that many — with ``after``, a batch of a walk that holds no cursor
        open between its transactions (``lawtrail manage reindex``)."""
        where: list[str] = ["agency = ?"]
        params: list[Any] = [agency]
        if after is not None:
            where.append("seq > ?")
            params.append(after)
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
        if limit is not None:
            sql += " LIMIT ?"
            params.append(int(limit))
        return (_entry(row) for row in self.db.stream(sql, params))

    def case_head(
        self, agency: str, case_number: str, types: Sequence[str]
    ) -> tuple[int, bytes] | None:
        """The case's last entry of these types, as (sequence number, stored leaf hash); None
        when it has none. One lookup of the ``(agency, case_number, type, seq)`` index per type,
        however many entries of other types follow it (a much-viewed case's access entries)."""
        return self.case_state(agency, case_number, types)[0]

    def case_state(
        self, agency: str, case_number: str, types: Sequence[str]
    ) -> tuple[tuple[int, bytes] | None, int, int]:
        """:meth:`case_head` and :meth:`signed_and_cosigned` in one statement: what the case
        page's kept content depends on in the log, one round trip on every view (issue #18)."""
        head, signed, cosigned, _ = self.case_state_with(agency, case_number, types)
        return head, signed, cosigned

    def case_state_with(
        self,
        agency: str,
        case_number: str,
        types: Sequence[str],
        also: Sequence[tuple[str, Sequence[Any]]] = (),
    ) -> tuple[tuple[int, bytes] | None, int, int, tuple[Any, ...]]:
        """:meth:`case_state`, and in the same statement ``also``: SELECTs (``?`` placeholders,
        their parameters) of one row each — aggregates — whose values are returned in order.
        The page that reads the case's state reads its own figures with it: one round trip
        for what were several (issue #18)."""
        if not types:
            return (None, *self.signed_and_cosigned(agency), self._also(also))
        heads = " UNION ALL ".join(
            "SELECT MAX(seq) AS m FROM ledger_entry "
            "WHERE agency = ? AND case_number = ? AND type = ?"
            for _ in types
        )
        params = [value for kind in types for value in (agency, case_number, kind)]
        joins = "".join(f"CROSS JOIN ({sql}) AS also{i} " for i, (sql, _) in enumerate(also))
        columns = "".join(f", also{i}.*" for i in range(len(also)))
        row = self.db.one(
            "SELECT head.seq, head.leaf_hash, "
            "(SELECT MAX(size) FROM ledger_checkpoint WHERE agency = ?), "
            f"(SELECT MAX(size) FROM ledger_cosignature WHERE agency = ?){columns} "
            f"FROM (SELECT 1 AS one) AS one {joins}LEFT JOIN ledger_entry AS head "
            f"ON head.agency = ? AND head.seq = (SELECT MAX(m) FROM ({heads}) AS heads)",
            [agency, agency, *(v for _, values in also for v in values), agency, *params],
        )
        assert row is not None  # one row, whatever the log holds
        head = (int(row[0]), _blob(row[1])) if row[0] is not None else None
        return head, int(row[2] or 0), int(row[3] or 0), tuple(row[4:])

    def _also(self, also: Sequence[tuple[str, Sequence[Any]]]) -> tuple[Any, ...]:
        values: list[Any] = []
        for sql, params in also:
            row = self.db.one(sql, params)
            assert row is not None  # an aggregate: one row
            values.extend(row)
        return tuple(values)

    def signed_and_cosigned(self, agency: str) -> tuple[int, int]:
        """The size of the agency's latest checkpoint and of its latest cosigned one (0: none):
        what a page's verdict about the log's coverage changes with."""
        row = self.db.one(
            "SELECT (SELECT MAX(size) FROM ledger_checkpoint WHERE agency = ?), "
            "(SELECT MAX(size) FROM ledger_cosignature WHERE agency = ?)",
            (agency, agency),
        )
        if row is None:
            return 0, 0
        return int(row[0] or 0), int(row[1] or 0)

    def entries_at(self, agency: str, seqs: Sequence[int]) -> dict[int, StoredEntry]:
        """The entries at these sequence numbers (those that exist), by sequence number: one
        primary-key read for a page of entries picked elsewhere (the access log's index)."""
        found: dict[int, StoredEntry] = {}
        wanted = sorted({int(seq) for seq in seqs})
        for start in range(0, len(wanted), 500):  # well under SQLite's bound parameters
            chunk = wanted[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.db.all(
                f"SELECT {_ENTRY_COLUMNS} FROM ledger_entry WHERE agency = ? AND seq IN ({marks})",
                (agency, *chunk),
            ):
                entry = _entry(row)
                found[entry.seq] = entry
        return found

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
