"""`lawtrail backup`: copy what is new to the backup and prove the copy consistent with the source.

One run, in this order:

1. Read every earlier run's manifest and check that they form an unbroken chain. The latest one
   says, per agency, how much of the log the backup holds: size M and its signed root.
2. In one read-only snapshot of the source database, per agency log: check the latest
   checkpoint's signature (the agency key from the key directory, not the database's copy);
   stream *every* entry, re-hash it, and recompute the tree; the first M entries must give the
   backed-up root (so an entry altered after it was backed up is caught even when nobody
   re-signed anything), all N must give the latest signed root, and every new checkpoint must
   match the tree at its size. The RFC 9162 consistency proof M → N, read from the source's
   stored subtrees, is verified against the two signed roots and kept in the manifest. The
   entries [M, N) and the new checkpoints, cosignatures and time-stamp tokens go to a segment.
   An agency whose log does not pass is *refused*: nothing of it is copied, the run ends with
   exit 1 naming the agency and the sizes — a backup must never paper over tampering (004
   art. 15: records must not be forged, altered or destroyed). The other agencies are backed
   up as usual, so one tampered log does not leave the others without an off-site copy.
3. Write the new files: public keys, log rows, segments — each segment is read back from the
   destination, re-hashed, and its entries must extend the tree from the backed-up root M to
   the signed root N (so, run after run, the backup's segments recompute to its latest signed
   root; ``lawtrail restore --check`` recomputes them all) — then every media file or document
   the ledger names that the backup does not have yet: streamed from the media store, its
   SHA-256, SM3 and size compared with the ledger's *before* it is published, then re-read and
   re-hashed at the destination.
4. Write the run's manifest last: it is what makes the run count. It names the previous
   manifest by SHA-256, chaining the runs.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from lawtrail.backup.archive import (
    FORMAT,
    Manifest,
    b64,
    check_agency,
    dump_line,
    log_name,
    manifest_bytes,
    media_name,
    read_manifests,
    run_name,
    segment_name,
    signing_key_name,
    unb64,
    unhex,
    vkey_name,
    witness_key_name,
)
from lawtrail.backup.destination import Destination, Written, digest_of
from lawtrail.backup.errors import BackupError
from lawtrail.core import merkle, notes, timeutil
from lawtrail.evidence.hashing import Digests
from lawtrail.evidence.store import MediaNotFoundError, MediaStore
from lawtrail.ledger.keys import KeyFileError
from lawtrail.ledger.log import Ledger, LedgerError, LogInfo, StoredCheckpoint, StoredEntry

Clock = Callable[[], datetime]


# ---------------------------------------------------------------------------- tree helpers


def signed_checkpoint_problem(
    note_text: str, origin: str, size: int, root: bytes, verifier: notes.Verifier
) -> str | None:
    """None when the note is a checkpoint of (origin, size, root) signed by `verifier`."""
    try:
        note = notes.parse_note(note_text)
        checkpoint = notes.Checkpoint.from_text(note.text)
        signed = bool(notes.verify_note(note, [verifier]))
    except notes.NoteError as exc:
        return f"大小为 {size} 的检查点格式错误：{exc}"
    if not signed:
        return f"大小为 {size} 的检查点没有该机关密钥的有效签名"
    if (checkpoint.origin, checkpoint.size, checkpoint.root) != (origin, size, root):
        return f"大小为 {size} 的检查点与其签名内容不符（来源、大小或根哈希被改动）"
    return None


# ---------------------------------------------------------------------------- media refs


@dataclass
class MediaRef:
    """A stored file the ledger names, with the digests it registered."""

    sha256: str
    sm3: str
    size: int | None
    required: bool  # named by a media/document entry itself (not only cited by a record)
    where: str  # the first entry naming it, for messages


def media_refs(data: Any) -> Iterator[tuple[dict[str, Any], bool]]:
    """The stored files an entry names: the entry's own body when it has a ``sha256`` (a media
    ingestion, a generated document — any entry type that stores bytes), required; and the
    media a record cites, optional (imported case files may cite files never uploaded)."""
    if not isinstance(data, dict):
        return
    kind = data.get("type")
    body = data.get(kind) if isinstance(kind, str) else None
    if not isinstance(body, dict):
        return
    if isinstance(body.get("sha256"), str):
        yield body, True
    for item in body.get("media") or [] if kind == "record" else []:
        if isinstance(item, dict) and isinstance(item.get("sha256"), str):
            yield item, False


def add_refs(refs: dict[str, MediaRef], data: Any, where: str) -> None:
    for item, required in media_refs(data):
        sha = str(item["sha256"]).lower()
        sm3 = item.get("sm3") if isinstance(item.get("sm3"), str) else ""
        size = item.get("size") if isinstance(item.get("size"), int) else None
        known = refs.get(sha)
        if known is None:
            refs[sha] = MediaRef(sha, str(sm3).lower(), size, required, where)
        else:
            known.required = known.required or required
            known.sm3 = known.sm3 or str(sm3).lower()
            known.size = known.size if known.size is not None else size


def media_problem(ref: MediaRef, digests: Digests) -> str | None:
    if digests.sha256 != ref.sha256:
        return f"SHA-256 为 {digests.sha256}，登记的是 {ref.sha256}"
    if ref.sm3 and digests.sm3 != ref.sm3:
        return f"SM3 为 {digests.sm3}，登记的是 {ref.sm3}"
    if ref.size is not None and digests.size != ref.size:
        return f"大小为 {digests.size} 字节，登记的是 {ref.size} 字节"
    return None


# ---------------------------------------------------------------------------- results


@dataclass
class LogRun:
    agency: str
    status: str  # copied | unchanged | refused
    from_size: int
    to_size: int
    root: str = ""
    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    timestamps: int = 0
    proof_hashes: int = 0
    segment: str = ""
    segment_bytes: int = 0
    problem: str = ""


@dataclass
class BackupResult:
    run: int
    manifest: str
    destination: str
    logs: list[LogRun] = field(default_factory=list)
    media_copied: int = 0
    media_bytes: int = 0
    media_in_backup: int = 0  # referenced files the backup already had
    files_written: int = 0
    bytes_written: int = 0
    problems: list[str] = field(default_factory=list)
    nothing_new: bool = False
    manifest_sha256: str = ""  # the head of the chain: worth recording outside the backup

    @property
    def ok(self) -> bool:
        return not self.problems


class _Refused(Exception):
    """This agency's log is not consistent with the backup (or not intact): copy nothing."""


@dataclass
class _Scan:
    info: LogInfo
    state: dict[str, Any]
    run: LogRun
    segment: Path | None = None
    frontier: list[tuple[int, bytes]] = field(default_factory=list)  # the tree at from_size
    cosignatures: list[list[Any]] = field(default_factory=list)  # [size, witness] copied
    timestamps: list[int] = field(default_factory=list)  # sizes whose tokens were copied


def _describe(entry: StoredEntry) -> str:
    return f"第 {entry.seq} 条记录（案号 {entry.case_number}，{entry.type} {entry.ref}）"


# ---------------------------------------------------------------------------- the run


class _Backup:
    def __init__(
        self,
        ledger: Ledger,
        media_store: MediaStore,
        dest: Destination,
        *,
        include_signing_keys: bool,
        clock: Clock,
        workdir: Path,
    ) -> None:
        self.ledger = ledger
        self.media_store = media_store
        self.dest = dest
        self.include_signing_keys = include_signing_keys
        self.clock = clock
        self.workdir = workdir
        self.refs: dict[str, MediaRef] = {}
        self.written: list[Written] = []

    def write(self, name: str, source: BinaryIO | list[bytes], **kw: Any) -> Written:
        done = self.dest.create(name, source, **kw)
        if done.created:
            self.written.append(done)
        return done

    def run(self) -> BackupResult:
        started = timeutil.local(self.clock())
        manifests = read_manifests(self.dest)
        previous = manifests[-1] if manifests else None
        number = len(manifests) + 1
        run_id = f"{number:06d}-{secrets.token_hex(4)}"
        result = BackupResult(number, run_name(number), self.dest.url)
        known_cosigs: set[tuple[str, int, str]] = set()
        known_stamps: set[tuple[str, int]] = set()
        known_media: set[str] = set()
        for manifest in manifests:
            for agency, state in manifest.logs.items():
                known_cosigs |= {(agency, int(s), str(w)) for s, w in state["cosignatures_added"]}
                known_stamps |= {(agency, int(s)) for s in state["timestamps_added"]}
            known_media |= {item["sha256"] for item in manifest.media_added()}

        scans = self._scan_all(previous, run_id, known_cosigs, known_stamps)
        keys = self._write_keys([s for s in scans if s.run.status != "refused"])
        for scan in scans:
            result.logs.append(scan.run)
            if scan.run.status == "refused":
                result.problems.append(f"机关 {scan.run.agency}：{scan.run.problem}")
            elif scan.segment is not None:
                self._write_segment(scan)
        media = self._copy_media(known_media, result)
        result.nothing_new = not self.written
        result.files_written = len(self.written)
        result.bytes_written = sum(w.digests.size for w in self.written)
        data = {
            "format": FORMAT,
            "run": number,
            "run_id": run_id,
            "started_at": started.isoformat(),
            "finished_at": timeutil.local(self.clock()).isoformat(),
            "previous": None
            if previous is None
            else {"run": previous.number, "name": previous.name, "sha256": previous.sha256},
            "source": {
                "log_origin_base": self.ledger.origin_base,
                "database": self.ledger.db.dialect,
                "media_store": self.media_store.url,
            },
            "logs": {scan.run.agency: scan.state for scan in scans},
            "keys": keys,
            "media": media,
            "nothing_new": result.nothing_new,
            "totals": {
                "entries": sum(s.run.entries for s in scans),
                "files_written": result.files_written,
                "bytes_written": result.bytes_written,
            },
            "problems": result.problems,
        }
        raw = manifest_bytes(data)
        result.manifest_sha256 = self.write(run_name(number), [raw]).digests.sha256
        result.files_written += 1
        result.bytes_written += len(raw)
        return result

    # ------------------------------------------------------------------ source scan

    def _scan_all(
        self,
        previous: Manifest | None,
        run_id: str,
        known_cosigs: set[tuple[str, int, str]],
        known_stamps: set[tuple[str, int]],
    ) -> list[_Scan]:
        before = dict(previous.logs) if previous else {}
        scans = []
        with self.ledger.db.snapshot():
            logs = {info.agency: info for info in self.ledger.logs()}
            for agency in sorted(set(logs) | set(before)):
                prev = before.get(agency)
                info = logs.get(agency)
                if info is None:
                    assert prev is not None
                    scans.append(
                        self._refused(
                            agency,
                            prev,
                            f"源账本中已没有该机关的日志，而备份中有 {prev['to_size']} 条记录："
                            "日志被删除",
                        )
                    )
                    continue
                try:
                    scan = self._scan(info, prev, run_id, known_cosigs, known_stamps)
                except _Refused as exc:
                    backed_up = int(prev["to_size"]) if prev else 0
                    sizes = (
                        f"（备份中已有 {backed_up} 条，源日志现有 {self.ledger.size(agency)} 条）"
                    )
                    scans.append(self._refused(agency, prev, f"{exc}{sizes}", info))
                    continue
                if scan is not None:
                    scans.append(scan)
        return scans

    def _refused(
        self, agency: str, prev: dict[str, Any] | None, problem: str, info: LogInfo | None = None
    ) -> _Scan:
        """The state carried forward unchanged from the last good run, marked refused."""
        size = int(prev["to_size"]) if prev else 0
        state = {
            **(prev or {}),
            "status": "refused",
            "problem": problem,
            "consistency": "未通过核验，未备份",
            "from_size": size,
            "to_size": size,
            "consistency_proof": [],
            "segment": None,
            "cosignatures_added": [],
            "timestamps_added": [],
        }
        if prev is None:
            state |= {
                "origin": info.origin if info else "",
                "public_key": info.public_key if info else "",
                "created_at": info.created_at if info else "",
                "root": merkle.EMPTY_ROOT.hex(),
                "checkpoint": "",
                "signed_at": "",
            }
        run = LogRun(agency, "refused", size, size, str(state["root"]), problem=problem)
        return _Scan(info or LogInfo(agency, "", "", ""), state, run)

    def _scan(
        self,
        info: LogInfo,
        prev: dict[str, Any] | None,
        run_id: str,
        known_cosigs: set[tuple[str, int, str]],
        known_stamps: set[tuple[str, int]],
    ) -> _Scan | None:
        agency = info.agency
        try:
            check_agency(agency)  # it becomes part of file names
        except BackupError as exc:
            raise _Refused(str(exc)) from exc
        start = int(prev["to_size"]) if prev else 0
        start_root = bytes.fromhex(prev["root"]) if prev else merkle.EMPTY_ROOT
        if prev is not None and (prev["origin"], prev["public_key"]) != (
            info.origin,
            info.public_key,
        ):
            raise _Refused(
                f"日志的来源或公钥与备份中的不同（备份：{prev['origin']} {prev['public_key']}；"
                f"源：{info.origin} {info.public_key}）：日志被替换"
            )
        try:
            verifier = self.ledger.keys.verifier(agency)
        except KeyFileError as exc:
            raise _Refused(f"无法核验检查点签名：{exc}") from exc
        if verifier.verifier_key() != info.public_key:
            raise _Refused(
                f"数据库登记的日志公钥与密钥目录中的不同（{info.public_key} ≠ "
                f"{verifier.verifier_key()}）"
            )
        latest = self.ledger.latest_checkpoint(agency)
        if latest is None:
            size = self.ledger.size(agency)
            if size or start:
                raise _Refused(f"源日志有 {size} 条记录却没有任何已签名的检查点")
            return None  # a log created but never written: nothing to keep
        problem = signed_checkpoint_problem(
            latest.note, info.origin, latest.size, latest.root, verifier
        )
        if problem:
            raise _Refused(f"源日志最新检查点无效：{problem}")
        end = latest.size
        if end < start:
            raise _Refused(
                f"源日志最新的已签名检查点只覆盖 {end} 条记录，而备份中已有 {start} 条："
                "源日志被回退或截断"
            )
        scan = _Scan(info, {}, LogRun(agency, "copied", start, end))
        path = self.workdir / f"{agency}.jsonl"
        with open(path, "wb") as out:
            out.write(
                dump_line(
                    {
                        "kind": "segment",
                        "format": FORMAT,
                        "agency": agency,
                        "origin": info.origin,
                        "from": start,
                        "to": end,
                        "run": run_id,
                    }
                )
            )
            self._stream_log(info, verifier, scan, start, start_root, latest, out)
            proof = self._consistency(info, start, end, start_root, latest.root)
            self._new_witnessing(agency, scan, known_cosigs, known_stamps, out)
        run = scan.run
        run.root = latest.root.hex()
        run.proof_hashes = len(proof)
        changed = run.entries or run.checkpoints or run.cosignatures or run.timestamps
        if changed:
            run.segment = segment_name(agency, start, end, run_id)
            scan.segment = path
        else:
            run.status = "unchanged"
        scan.state = {
            "origin": info.origin,
            "public_key": info.public_key,
            "created_at": info.created_at,
            "status": run.status,
            "from_size": start,
            "to_size": end,
            "root": latest.root.hex(),
            "checkpoint": latest.note,
            "signed_at": latest.signed_at,
            "consistency": "一致",
            "consistency_proof": [h.hex() for h in proof],
            "segment": None,  # filled in once written
            "cosignatures_added": [],
            "timestamps_added": [],
        }
        return scan

    def _stream_log(
        self,
        info: LogInfo,
        verifier: notes.Verifier,
        scan: _Scan,
        start: int,
        start_root: bytes,
        latest: StoredCheckpoint,
        out: BinaryIO,
    ) -> None:
        """Every entry of the source, re-hashed; the new ones and new checkpoints written."""
        agency = info.agency
        # Both are streamed (server-side cursors on PostgreSQL); closed explicitly when a
        # refusal leaves them half-read, while the snapshot's transaction is still open.
        entries = self.ledger.entries(agency)
        checkpoints = self.ledger.checkpoints(agency)
        try:
            self._replay_source(
                info, verifier, scan, start, start_root, latest, out, entries, checkpoints
            )
        finally:
            _close(entries)
            _close(checkpoints)

    def _replay_source(
        self,
        info: LogInfo,
        verifier: notes.Verifier,
        scan: _Scan,
        start: int,
        start_root: bytes,
        latest: StoredCheckpoint,
        out: BinaryIO,
        entries: Iterator[StoredEntry],
        checkpoints: Iterator[StoredCheckpoint],
    ) -> None:
        agency, end = info.agency, latest.size
        upcoming = next(checkpoints, None)
        while upcoming is not None and upcoming.size <= start:  # in the backup already
            upcoming = next(checkpoints, None)
        stack: list[tuple[int, bytes]] = []
        count = 0
        for entry in entries:
            if entry.seq != count:
                raise _Refused(f"源日志第 {count}–{entry.seq - 1} 条记录缺失（被删除）")
            if count >= end:
                raise _Refused(
                    f"源日志第 {count} 条起的记录不在任何已签名的检查点中（最新检查点大小 {end}）"
                    f"：记录是绕过系统写入的，如{_describe(entry)}"
                )
            leaf = merkle.leaf_hash(entry.body)
            if leaf != entry.leaf_hash:
                raise _Refused(f"源日志{_describe(entry)}的内容与其入账时的叶哈希不符：记录被改动")
            add_refs(self.refs, _json(entry.body), f"{agency} {_describe(entry)}")
            merkle.compact_range_push(stack, leaf)
            count += 1
            if count == start:
                if merkle.compact_range_root(stack) != start_root:
                    raise _Refused(
                        f"源日志前 {start} 条记录重算的根与上次备份时已签名的根不同："
                        "源日志在备份之后被改写"
                    )
                scan.frontier = list(stack)
            if count > start:
                out.write(dump_line(_entry_line(entry)))
                scan.run.entries += 1
            while upcoming is not None and upcoming.size == count:
                root = merkle.compact_range_root(stack)
                problem = signed_checkpoint_problem(
                    upcoming.note, info.origin, upcoming.size, upcoming.root, verifier
                )
                if problem is None and upcoming.root != root:
                    problem = f"大小为 {upcoming.size} 的检查点与由记录重算的日志树不符"
                if problem:
                    raise _Refused(f"源日志{problem}")
                out.write(dump_line(_checkpoint_line(upcoming)))
                scan.run.checkpoints += 1
                upcoming = next(checkpoints, None)
        if count < max(start, end):
            raise _Refused(
                f"源日志只有 {count} 条记录，而已签名的检查点覆盖 {end} 条"
                + (f"、备份中已有 {start} 条" if start else "")
                + "：末尾的记录被删除"
            )
        if merkle.compact_range_root(stack) != latest.root:
            raise _Refused(f"源日志 {end} 条记录重算的根与最新已签名检查点的根不符：记录被改动")

    def _consistency(
        self, info: LogInfo, start: int, end: int, start_root: bytes, end_root: bytes
    ) -> list[bytes]:
        """RFC 9162 PROOF(start, D[end]) from the source's stored subtrees, verified against the
        backed-up root and the source's signed root."""
        if start in (0, end):
            return []
        try:
            proof = self.ledger.consistency_proof(info.agency, start, end)
            merkle.verify_consistency(start, end, start_root, end_root, proof)
        except (merkle.ProofError, LedgerError) as exc:
            raise _Refused(
                f"源日志（大小 {end}）与上次备份（大小 {start}）不一致：一致性证明无法核验（{exc}）"
            ) from exc
        return proof

    def _new_witnessing(
        self,
        agency: str,
        scan: _Scan,
        known_cosigs: set[tuple[str, int, str]],
        known_stamps: set[tuple[str, int]],
        out: BinaryIO,
    ) -> None:
        db = self.ledger.db
        for size, witness, cosigned_at, line in db.all(
            "SELECT size, witness, cosigned_at, line FROM ledger_cosignature WHERE agency = ? "
            "ORDER BY size, witness",
            (agency,),
        ):
            if (agency, int(size), witness) in known_cosigs:
                continue
            out.write(
                dump_line(
                    {
                        "kind": "cosignature",
                        "size": int(size),
                        "witness": witness,
                        "cosigned_at": cosigned_at,
                        "line": line,
                    }
                )
            )
            scan.cosignatures.append([int(size), witness])
        # Ledger.timestamps reads a token edited into text as its bytes, not as a TypeError.
        for size, token, gen_time, tsa in self.ledger.timestamps(agency):
            if (agency, size) in known_stamps:
                continue
            out.write(
                dump_line(
                    {
                        "kind": "timestamp",
                        "size": size,
                        "token": b64(token),
                        "gen_time": gen_time,
                        "tsa": tsa,
                    }
                )
            )
            scan.timestamps.append(int(size))
        scan.run.cosignatures = len(scan.cosignatures)
        scan.run.timestamps = len(scan.timestamps)

    # ------------------------------------------------------------------ writing

    def _write_keys(self, scans: list[_Scan]) -> list[dict[str, Any]]:
        """The agencies' and witnesses' public keys (and, only if asked, the signing keys)."""
        keys = self.ledger.keys
        files: list[tuple[str, bytes]] = []
        for scan in scans:
            agency = scan.run.agency
            vkey = keys.verifier(agency).verifier_key()
            files.append((vkey_name(agency), (vkey + "\n").encode()))
            if self.include_signing_keys:
                path = keys.root / f"{agency}.key"
                try:
                    files.append((signing_key_name(agency), path.read_bytes()))
                except OSError as exc:
                    raise KeyFileError(f"无法读取签名私钥 {path}：{exc}") from exc
        folder = keys.root / "witnesses"
        for path in sorted(folder.glob("*.vkey")) if folder.is_dir() else []:
            files.append((witness_key_name(path.name), path.read_bytes()))
        listed = []
        for name, data in files:
            done = self.write(name, [data])
            listed.append({"name": name, "sha256": done.digests.sha256, "created": done.created})
        return listed

    def _write_segment(self, scan: _Scan) -> None:
        agency = scan.run.agency
        info = scan.info
        log_row = {
            "agency": agency,
            "origin": info.origin,
            "public_key": info.public_key,
            "created_at": info.created_at,
        }
        self.write(log_name(agency), [manifest_bytes(log_row)])
        assert scan.segment is not None
        with open(scan.segment, "rb") as fh:
            done = self.write(scan.run.segment, fh)
        self._check_written_segment(scan, done)
        scan.state["segment"] = {
            "name": done.name,
            "sha256": done.digests.sha256,
            "bytes": done.digests.size,
            "entries": scan.run.entries,
            "checkpoints": scan.run.checkpoints,
            "cosignatures": scan.run.cosignatures,
            "timestamps": scan.run.timestamps,
        }
        scan.state["cosignatures_added"] = scan.cosignatures
        scan.state["timestamps_added"] = scan.timestamps
        scan.run.segment_bytes = done.digests.size

    def _check_written_segment(self, scan: _Scan, done: Written) -> None:
        """Read the segment back from the destination: same bytes, and its entries extend the
        backed-up tree (size from_size) to the signed root at to_size."""
        name = done.name
        digest = hashlib.sha256()
        stack = list(scan.frontier)
        count = scan.run.from_size
        with self.dest.open(name) as stream:
            for raw in stream:
                digest.update(raw)
                item = json.loads(raw)
                if item.get("kind") != "entry":
                    continue
                body = unb64(item["body"], name)
                leaf = unhex(item["leaf_hash"], name)
                if item["seq"] != count or merkle.leaf_hash(body) != leaf:
                    raise BackupError(f"写入后读回的备份文件 {name} 第 {count} 条记录与源不符")
                merkle.compact_range_push(stack, leaf)
                count += 1
        if digest.hexdigest() != done.digests.sha256:
            raise BackupError(f"写入后读回的备份文件 {name} 的 SHA-256 与写入的不同")
        if count != scan.run.to_size or merkle.compact_range_root(stack) != bytes.fromhex(
            scan.state["root"]
        ):
            raise BackupError(
                f"备份中机关 {scan.run.agency} 的记录（至大小 {count}）重算的根与已签名的根不符"
            )

    def _copy_media(self, known: set[str], result: BackupResult) -> dict[str, Any]:
        added: list[dict[str, Any]] = []
        missing: list[dict[str, str]] = []
        for sha, ref in sorted(self.refs.items()):
            if sha in known:
                result.media_in_backup += 1
                continue
            name = media_name(sha)
            if self.dest.exists(name):
                # Left by a run that stopped before its manifest: adopt it once re-hashed.
                digests = digest_of(self.dest, name)
                wrong = media_problem(ref, digests)
                if wrong:
                    result.problems.append(f"备份中已有的媒体文件 {name} 与账本登记的不符：{wrong}")
                    continue
                added.append(_media_item(name, digests, created=False))
                continue
            try:
                stream = self.media_store.open(sha)
            except MediaNotFoundError:
                if ref.required:
                    message = f"源媒体存储中缺少文件 sha256 {sha}（登记于 {ref.where}），未能备份"
                    missing.append({"sha256": sha, "message": message})
                    result.problems.append(message)
                continue

            def expect(digests: Digests, ref: MediaRef = ref) -> None:
                wrong = media_problem(ref, digests)
                if wrong:
                    raise BackupError(
                        f"源媒体存储中的文件 sha256 {ref.sha256}（登记于 {ref.where}）与账本登记的"
                        f"摘要不符：{wrong}；文件已损坏或被替换，未备份"
                    )

            try:
                with stream:
                    done = self.write(name, stream, expect=expect)
            except BackupError as exc:
                result.problems.append(str(exc))
                continue
            again = digest_of(self.dest, name)  # re-read and re-hash at the destination
            if again != done.digests:
                result.problems.append(
                    f"备份的媒体文件 {name} 写入后读回的摘要与源不同（sha256 {again.sha256}）"
                )
                continue
            added.append(_media_item(name, done.digests, created=done.created))
            if done.created:
                result.media_copied += 1
                result.media_bytes += done.digests.size
        return {
            "added": added,
            "already_in_backup": result.media_in_backup,
            "missing": missing,
        }


def _media_item(name: str, digests: Digests, *, created: bool) -> dict[str, Any]:
    return {
        "name": name,
        "sha256": digests.sha256,
        "sm3": digests.sm3,
        "size": digests.size,
        "created": created,
    }


def _close(items: Iterator[Any]) -> None:
    close = getattr(items, "close", None)
    if close is not None:
        close()


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _entry_line(entry: StoredEntry) -> dict[str, Any]:
    return {
        "kind": "entry",
        "seq": entry.seq,
        "recorded_at": entry.recorded_at,
        "case_number": entry.case_number,
        "type": entry.type,
        "ref": entry.ref,
        "body": b64(entry.body),
        "leaf_hash": entry.leaf_hash.hex(),
    }


def _checkpoint_line(cp: StoredCheckpoint) -> dict[str, Any]:
    return {
        "kind": "checkpoint",
        "size": cp.size,
        "root": cp.root.hex(),
        "note": cp.note,
        "signed_at": cp.signed_at,
    }


def take_backup(
    ledger: Ledger,
    media_store: MediaStore,
    dest: Destination,
    *,
    include_signing_keys: bool = False,
    clock: Clock = timeutil.now,
) -> BackupResult:
    """One backup run (see the module docstring). Problems that concern one agency or one
    media file are in ``result.problems``; a backup file that would have to be overwritten
    raises :class:`BackupError`."""
    with tempfile.TemporaryDirectory(prefix="lawtrail-backup-") as work:
        return _Backup(
            ledger,
            media_store,
            dest,
            include_signing_keys=include_signing_keys,
            clock=clock,
            workdir=Path(work),
        ).run()
