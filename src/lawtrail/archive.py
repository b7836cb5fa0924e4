"""The archive package of one case: a BagIt bag (RFC 8493) that a court or a supervisor can
check without the agency's system (issue #5; 000 art. 31, 001 art. 26, 002 art. 32, 003 art. 24
归档; DA/T 70-2018's four properties).

Layout (everything under ``data/`` is listed in ``manifest-sha256.txt`` and
``manifest-sha512.txt``; the tag files in ``tagmanifest-{sha256,sha512,sm3}.txt``)::

    bagit.txt  bag-info.txt  manifest-*.txt  tagmanifest-*.txt
    bag-signature.txt               the agency's signed note over the manifests (below)
    data/case.json                  the case in the lawtrail-case/1 format (readable)
    data/ledger/entries/<seq>.json  the exact bytes of each ledger entry of the case (leaves)
    data/ledger/checkpoint.txt      the agency's signed checkpoint all proofs are against
    data/ledger/cosigned-<n>.txt    a checkpoint a witness cosigned (with its cosignatures)
    data/ledger/timestamp-<n>.tsr   an RFC 3161 token on checkpoint <n> (+ checkpoint-<n>.txt)
    data/ledger/proofs.json         inclusion proof of every entry, consistency proofs of the
                                    cosigned/time-stamped checkpoints, the file of each digest
    data/media/<sha256>.<ext>       every photo, audio and video file of the case
    data/documents/<name>           every generated document (文书, the 案卷 volume)
    data/keys/<agency>.vkey, data/keys/witnesses/*.vkey   the public keys
    data/report/four-properties.json|.txt   the DA/T 70 report made at export

What is trusted where: the entries are bound to the signed checkpoint by the proofs; media and
documents to the entries by their SHA-256/SM3; ``case.json`` is checked against the entries;
everything else (the report, proofs.json's file names, bag-info) by the manifests, which
``bag-signature.txt`` signs with the agency's checkpoint key — so nothing in the bag can change
unseen, and a key pinned out of band (``lawtrail-verify --key``) closes the circle.

The bag is written by this module (BagIt 1.0, each file hashed while it is copied), not by
bagit-python's ``make_bag``, which writes BagIt 0.97 and hashes in a second pass; the tests and
``export --check`` validate it with bagit-python.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from lawtrail import __version__
from lawtrail.core import completeness, merkle, notes, secrecy, timeutil
from lawtrail.core.caseio import CaseFormatError, parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.model import Case
from lawtrail.core.regulations import article_label
from lawtrail.core.rules import load_pack
from lawtrail.evidence import filetypes
from lawtrail.evidence.hashing import hash_stream
from lawtrail.evidence.store import (
    MediaNotFoundError,
    MediaStore,
    MediaStoreError,
    SyncingWriter,
)
from lawtrail.ledger.keys import KeyDirectory, KeyFileError
from lawtrail.ledger.log import Ledger, LedgerError, StoredCheckpoint, StoredEntry
from lawtrail.ledger.signing import CheckpointSigner
from lawtrail.services import case_json, secrecy_events
from lawtrail.verify import BAG_NOTE_HEADER, SIGNATURE_FILE

PROOFS_FORMAT = "lawtrail-proofs/1"
PAYLOAD_ALGORITHMS = ("sha256", "sha512")
TAG_ALGORITHMS = ("sha256", "sha512", "sm3")
# The case's entries the package carries. Access entries (who looked at the case) stay in the
# agency's log: they name staff and supervisors and are not part of the case file.
PACKAGE_ENTRY_TYPES = completeness.ENTRY_TYPES  # case, record, media, document

# Formats fit for long-term keeping (DA/T 70 可用性). Media files are checked with the ingest
# allow-list's own content tests (evidence/filetypes.py); generated documents by their magic.
_LONG_TERM_MEDIA = ("jpg", "jpeg", "png", "mp4", "mov", "m4a", "3gp", "mp3", "wav")
_DOCUMENT_MAGIC: Mapping[str, bytes] = {"pdf": b"%PDF-", "docx": b"PK\x03\x04"}


class ExportError(Exception):
    """The package cannot be made (Chinese message): unknown case, ledger not intact …"""


@dataclass(frozen=True)
class Check:
    property: str  # 真实性 | 完整性 | 可用性 | 安全性
    item: str
    result: str  # 通过 | 不通过 | 提示
    detail: str = ""


@dataclass
class ExportResult:
    path: Path
    agency: str
    case_number: str
    tree_size: int
    entries: int
    files: int = 0
    payload_bytes: int = 0
    checks: list[Check] = field(default_factory=list)


def _hex(digest: bytes) -> str:
    return digest.hex()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class _Bag:
    """A bag being written: payload files hashed as they are written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.payload: dict[str, dict[str, str]] = {}  # "data/…" -> {algorithm: hex}
        self.payload_bytes = 0

    def add_bytes(self, name: str, data: bytes) -> dict[str, str]:
        return self.add_stream(name, [data])

    def add_stream(self, name: str, source: Any) -> dict[str, str]:
        rel = f"data/{name}"
        if rel in self.payload:
            raise ExportError(f"包内文件重名：{rel}")
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        # The copy is written (and flushed to the disk as it goes) on its own thread while the
        # digests are computed: no serial write or final flush of the whole file after hashing.
        with open(target, "wb") as out, SyncingWriter(out) as writer:
            digests, size = hash_stream(source, PAYLOAD_ALGORITHMS, sink=writer.write)
            writer.finish()
            out.flush()
            os.fsync(out.fileno())
        self.payload[rel] = digests
        self.payload_bytes += size
        return digests

    def finish(self, bag_info: Mapping[str, str], signer: CheckpointSigner, signed: str) -> None:
        (self.root / "bagit.txt").write_text(
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", "utf-8"
        )
        info = {**bag_info, "Payload-Oxum": f"{self.payload_bytes}.{len(self.payload)}"}
        (self.root / "bag-info.txt").write_text(
            "".join(f"{key}: {value}\n" for key, value in info.items()), "utf-8"
        )
        for algorithm in PAYLOAD_ALGORITHMS:
            lines = "".join(
                f"{digests[algorithm]}  {encode_path(name)}\n"
                for name, digests in sorted(self.payload.items())
            )
            (self.root / f"manifest-{algorithm}.txt").write_text(lines, "utf-8")
        tag_files = ["bagit.txt", "bag-info.txt"] + [
            f"manifest-{a}.txt" for a in PAYLOAD_ALGORITHMS
        ]
        tag_digests = {
            name: hash_stream([(self.root / name).read_bytes()], TAG_ALGORITHMS)[0]
            for name in tag_files
        }
        for algorithm in TAG_ALGORITHMS:
            lines = "".join(f"{tag_digests[n][algorithm]}  {n}\n" for n in tag_files)
            (self.root / f"tagmanifest-{algorithm}.txt").write_text(lines, "utf-8")
        # The agency signs the manifests (and through them every payload byte) and every tag
        # file, tag manifests included, with the key that signs its checkpoints: no file of the
        # bag can then change, go or come unseen.
        for algorithm in TAG_ALGORITHMS:
            name = f"tagmanifest-{algorithm}.txt"
            tag_files.append(name)
            tag_digests[name] = hash_stream([(self.root / name).read_bytes()], ["sha256"])[0]
        text = signed + "".join(f"{n} sha256:{tag_digests[n]['sha256']}\n" for n in tag_files)
        (self.root / SIGNATURE_FILE).write_text(signer.sign_note(text), "utf-8")


def encode_path(name: str) -> str:
    """RFC 8493 §2.1.3: CR, LF and % in a manifest's file name are percent-encoded."""
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def bag_signature_text(
    origin: str, agency: str, case_number: str, checkpoint: StoredCheckpoint
) -> str:
    """The fixed head of the signed bag note: what the bag is of and which checkpoint it rests
    on. Its first line can never be an origin of a checkpoint note, so the same key's two kinds
    of notes cannot be confused."""
    return (
        f"{BAG_NOTE_HEADER}\n{origin}\nagency {agency}\ncase {case_number}\n"
        f"tree {checkpoint.size} {base64.b64encode(checkpoint.root).decode()}\n"
    )


def _media_name(sha256: str, filename: str) -> str:
    suffix = PurePosixPath(filename).suffix.lower() if filename else ""
    if not suffix or len(suffix) > 8 or not suffix[1:].isalnum():
        suffix = ".bin"
    return f"media/{sha256}{suffix}"


def _document_name(taken: set[str], seq: int, filename: str, sha256: str) -> str:
    safe = PurePosixPath(filename.replace("\\", "/")).name or f"{sha256[:16]}.bin"
    name = f"documents/{safe}"
    if name in taken:
        stem, suffix = os.path.splitext(safe)
        name = f"documents/{stem}-{seq}{suffix}"
    taken.add(name)
    return name


def export_case(
    ledger: Ledger,
    store: MediaStore,
    keys: KeyDirectory,
    agency: str,
    case_number: str,
    dest: Path,
    *,
    now: datetime | None = None,
    tsa_roots: Sequence[bytes] | None = None,
    allow_missing_media: bool = False,
) -> ExportResult:
    """Write the archive package of one case to ``dest`` (which must not exist yet).

    The package is built in a sibling temporary directory and renamed into place at the end,
    so ``dest`` is either a whole bag or absent. Refused when the case's entries do not prove
    against the agency's signed checkpoint: a package must not certify a tampered ledger; and
    when a media file the ledger registers is not in the store, unless ``allow_missing_media``
    (the package is then marked incomplete and the verifier reports the file as missing)."""
    now = timeutil.require_aware(now or ledger.clock())
    dest = Path(dest)
    if dest.exists():
        raise ExportError(f"目标 {dest} 已存在：请指定一个新的目录")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        result = _export(
            ledger, store, keys, agency, case_number, staging, now, tsa_roots, allow_missing_media
        )
        os.rename(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    result.path = dest
    return result


def _export(
    ledger: Ledger,
    store: MediaStore,
    keys: KeyDirectory,
    agency: str,
    case_number: str,
    root: Path,
    now: datetime,
    tsa_roots: Sequence[bytes] | None,
    allow_missing_media: bool,
) -> ExportResult:
    info = ledger.log_info(agency)
    if info is None:
        raise ExportError(f"账本中没有机关 {agency} 的日志")
    try:
        verifier = keys.verifier(agency)
        signer = keys.checkpoint_signer(agency, info.origin)
    except KeyFileError as exc:
        raise ExportError(f"无法读取机关 {agency} 的密钥：{exc}") from exc
    checks: list[Check] = []
    # What is read from the database is checked before anything is built from it: a stored
    # row altered behind the application's back is refused with the entry named (exit 1),
    # never a traceback from deep inside the export.
    with ledger.db.snapshot():
        checkpoint = ledger.latest_checkpoint(agency)
        if checkpoint is None:
            raise ExportError(f"机关 {agency} 的日志没有已签名的检查点")
        _check_log_head(ledger, agency, checkpoint)
        entries = list(ledger.entries(agency, case_number=case_number, types=PACKAGE_ENTRY_TYPES))
        if not any(e.type == "case" for e in entries):
            raise ExportError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
        _check_checkpoint(checks, checkpoint, verifier, info.origin)
        proofs = _inclusion_proofs(ledger, entries, checkpoint)
        _check_inclusion(checks, entries, proofs, checkpoint)
        _check_times(ledger, entries)
        _check_bodies(entries)
        _check_commitment(checks, ledger, agency, info.origin, case_number, entries)
        data = case_json(ledger, agency, case_number)
        if data is None:  # pragma: no cover - a readable case entry was found above
            raise ExportError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
        # Secrecy labels travel with the package (issue #16): a court's package holds
        # everything, and what of it is 国家秘密 / 商业秘密 / 个人隐私 / 工作秘密 says so.
        labels = secrecy.fold(secrecy_events(ledger, agency, case_number)).labels
        witnesses = _latest_cosigned(ledger, agency, checkpoint.size)
        stamps = [s for s in ledger.timestamps(agency) if s[0] <= checkpoint.size]
        stamp = stamps[-1] if stamps else None
        extra_sizes = {size for size, _ in witnesses.values()} | ({stamp[0]} if stamp else set())
        extra_checkpoints = {size: ledger.checkpoint(agency, size) for size in extra_sizes}
        gone = sorted(size for size, cp in extra_checkpoints.items() if cp is None)
        if gone:
            raise ExportError(
                f"见证方联署或时间戳所指的检查点（大小 {'、'.join(map(str, gone))}）已不在库中："
                "账本不完好，拒绝导出，请运行 lawtrail verify"
            )
        try:
            consistency = {
                size: ledger.consistency_proof(agency, size, checkpoint.size)
                for size in sorted(extra_sizes)
                if size < checkpoint.size
            }
        except LedgerError as exc:
            raise ExportError(
                f"无法从账本读出一致性证明：{exc}；账本不完好，拒绝导出，请运行 lawtrail verify"
            ) from exc

    case = _parse_stored_case(data, case_number)
    result = ExportResult(root, agency, case_number, checkpoint.size, len(entries), checks=checks)
    bag = _Bag(root)
    case_text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    bag.add_bytes("case.json", case_text.encode("utf-8"))
    if labels:
        bag.add_bytes("secrecy/labels.json", _labels_json(labels.values()))

    entry_list = []
    for entry, proof in zip(entries, proofs, strict=True):
        name = f"ledger/entries/{entry.seq:010d}.json"
        bag.add_bytes(name, entry.body)
        entry_list.append(
            {
                "seq": entry.seq,
                "type": entry.type,
                "ref": entry.ref,
                "file": f"data/{name}",
                "leaf_hash": _hex(entry.leaf_hash),
                "inclusion": [_hex(p) for p in proof],
            }
        )
    bag.add_bytes("ledger/checkpoint.txt", checkpoint.note.encode("utf-8"))

    cosigned = []
    by_size: dict[int, list[str]] = {}
    for witness, (size, line) in sorted(witnesses.items()):
        by_size.setdefault(size, []).append(line)
        cosigned.append({"witness": witness, "size": size})
    for size, lines in sorted(by_size.items()):
        cp = extra_checkpoints[size]
        assert cp is not None  # a cosignature's checkpoint is a foreign key
        bag.add_bytes(f"ledger/cosigned-{size}.txt", (cp.note + "".join(lines)).encode("utf-8"))
    _check_cosignatures(checks, keys, extra_checkpoints, witnesses)
    timestamp_list = []
    if stamp is not None:
        size, token, gen_time, tsa = stamp
        cp = extra_checkpoints[size]
        assert cp is not None
        bag.add_bytes(f"ledger/timestamp-{size}.tsr", token)
        bag.add_bytes(f"ledger/checkpoint-{size}.txt", cp.note.encode("utf-8"))
        timestamp_list.append(
            {
                "size": size,
                "token": f"data/ledger/timestamp-{size}.tsr",
                "checkpoint": f"data/ledger/checkpoint-{size}.txt",
                "gen_time": gen_time,
                "tsa": tsa,
            }
        )
        _check_timestamp(checks, token, cp, tsa, gen_time, tsa_roots)

    media_list, document_list = _copy_files(bag, store, entries, checks, allow_missing_media)

    bag.add_bytes(f"keys/{agency}.vkey", (verifier.verifier_key() + "\n").encode("utf-8"))
    for witness_key in keys.witness_verifiers():
        safe = witness_key.name.replace("/", "_")
        bag.add_bytes(
            f"keys/witnesses/{safe}.vkey", (witness_key.verifier_key() + "\n").encode("utf-8")
        )

    proofs_doc = {
        "format": PROOFS_FORMAT,
        "agency": agency,
        "log": info.origin,
        "case_number": case_number,
        "checkpoint": "data/ledger/checkpoint.txt",
        "tree_size": checkpoint.size,
        "root": _hex(checkpoint.root),
        "entries": entry_list,
        "cosigned": [
            {**c, "checkpoint": f"data/ledger/cosigned-{c['size']}.txt"} for c in cosigned
        ],
        "timestamps": timestamp_list,
        "consistency": {str(size): [_hex(p) for p in proof] for size, proof in consistency.items()},
        "media": media_list,
        "documents": document_list,
    }
    bag.add_bytes(
        "ledger/proofs.json",
        (json.dumps(proofs_doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )

    _completeness(checks, data, case, entries, media_list, document_list, now)
    _security(checks, keys, agency)
    report = four_property_report(result, checks, now, data)
    bag.add_bytes(
        "report/four-properties.json",
        (json.dumps(report, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )
    bag.add_bytes("report/four-properties.txt", four_property_text(report).encode("utf-8"))

    pack = load_pack(agency)
    bag_info = {
        "Source-Organization": pack.name,
        "External-Identifier": case_number,
        "External-Description": f"{pack.name}行政执法案件 {case_number} 的电子档案"
        f"（执法全过程记录：文字记录、音像记录、文书、账本证明）",
        "Bagging-Date": timeutil.local(now).date().isoformat(),
        "Bag-Software-Agent": f"LawTrail {__version__}",
        "LawTrail-Agency": agency,
        "LawTrail-Log-Origin": info.origin,
        "LawTrail-Tree-Size": str(checkpoint.size),
        "LawTrail-Root-SHA256": _hex(checkpoint.root),
        "LawTrail-Exported-At": timeutil.local(now).isoformat(),
    }
    bag.finish(bag_info, signer, bag_signature_text(info.origin, agency, case_number, checkpoint))
    result.files = len(bag.payload)
    result.payload_bytes = bag.payload_bytes
    return result


_NOT_INTACT = "账本不完好，拒绝导出，请运行 lawtrail verify"
_NAMED = 5  # entries named in one message


def _labels_json(labels: Iterable[secrecy.Label]) -> bytes:
    """The case's secrecy labels, lifted ones included, each with the sequence number of its
    entry in the agency's log (where it is proven); the package's manifests sign the file."""
    rows = [
        {
            "label": label.id,
            "kind": label.kind,
            "kind_label": label.kind_label,
            "target": label.target.to_json(),
            "holder": label.holder,
            "reference": dict(label.reference),
            "reason": label.reason,
            "by": label.by,
            "at": timeutil.local(label.at).isoformat(),
            "seq": label.seq,
            "active": label.active,
            "lifted_by": label.lifted_by,
            "lifted_reason": label.lifted_reason,
            "lifted_at": timeutil.local(label.lifted_at).isoformat() if label.lifted_at else "",
        }
        for label in sorted(labels, key=lambda lb: lb.seq)
    ]
    doc = {
        "format": "lawtrail-secrecy-labels/1",
        "note": "本包所含内容的密级标识（000 第三十四条等）：标识为国家秘密、商业秘密、个人隐私、"
        "工作秘密的内容应按保密规定管理，不得向无权人员提供",
        "labels": rows,
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _time(text: Any) -> datetime | None:
    try:
        return timeutil.parse_aware(text)
    except (TypeError, ValueError):
        return None


def _back_dated(ledger: Ledger, entry: StoredEntry) -> str:
    """Why the entry's recorded time cannot be right, or "": the ledger keeps the log's time
    monotonic (``Ledger.append``), so only a row written behind its back goes backwards."""
    when = _time(entry.recorded_at)
    if when is None:
        return f"入账时间 {entry.recorded_at!r} 无法解析"
    before = ledger.entry(entry.agency, entry.seq - 1) if entry.seq > 0 else None
    earlier = _time(before.recorded_at) if before is not None else None
    if earlier is not None and when < earlier:
        return (
            f"入账时间 {entry.recorded_at} 早于前一条记录（第 {entry.seq - 1} 条，"
            f"{before.recorded_at if before else ''}）：疑似倒签插入"
        )
    return ""


def _check_log_head(ledger: Ledger, agency: str, checkpoint: StoredCheckpoint) -> None:
    """The log holds exactly the entries its latest signed checkpoint covers. The ledger signs
    in the transaction that appends, so an entry beyond it was written behind the
    application's back (a raw insert, typically back-dated); fewer entries mean the latest
    ones were deleted. Either way the package would certify a log that fails verification
    (and the export's own access entry could not be appended)."""
    size = ledger.size(agency)
    if size < checkpoint.size:
        raise ExportError(
            f"机关 {agency} 已签名的最新检查点覆盖 {checkpoint.size} 条记录，而日志只剩 {size} 条："
            f"末尾的记录被删除，{_NOT_INTACT}"
        )
    if size == checkpoint.size:
        return
    named = []
    for seq in range(checkpoint.size, min(size, checkpoint.size + _NAMED)):
        entry = ledger.entry(agency, seq)
        if entry is None:
            named.append(f"第 {seq} 条（缺失）")
            continue
        why = _back_dated(ledger, entry)
        named.append(entry.describe() + (f"，{why}" if why else ""))
    more = f"等 {size - checkpoint.size} 条" if size - checkpoint.size > _NAMED else ""
    span = f"{checkpoint.size}–{size - 1}" if size - checkpoint.size > 1 else f"{checkpoint.size}"
    raise ExportError(
        f"机关 {agency} 日志第 {span} 条记录不在任何已签名的检查点中"
        f"（账本在追加的同一事务中签名，这些记录是绕过系统写入的）：{'；'.join(named)}{more}。"
        f"{_NOT_INTACT}"
    )


def _inclusion_proofs(
    ledger: Ledger, entries: Sequence[StoredEntry], checkpoint: StoredCheckpoint
) -> list[list[bytes]]:
    proofs = []
    for entry in entries:
        try:
            proofs.append(ledger.inclusion_proof(entry.agency, entry.seq, checkpoint.size))
        except (LedgerError, ValueError) as exc:
            raise ExportError(
                f"{entry.describe()}无法证明包含在已签名的检查点（大小 {checkpoint.size}）中"
                f"（{exc}）：{_NOT_INTACT}"
            ) from exc
    return proofs


def _body_problem(entry: StoredEntry) -> str:
    """What is wrong with a packaged entry's content as the export reads it, or ""."""
    try:
        data = json.loads(entry.body)
    except ValueError as exc:
        return f"的内容无法解析（{exc}）"
    part = data.get(entry.type) if isinstance(data, dict) else None
    if not isinstance(part, dict):
        return f"的内容缺少“{entry.type}”部分"
    row = {
        "index": entry.seq,
        "recorded_at": entry.recorded_at,
        "case_number": entry.case_number,
        "type": entry.type,
    }
    for key, value in row.items():
        if data.get(key) != value:
            return f"的 {key} 列为 {value!r}，而入账内容为 {data.get(key)!r}：记录的索引字段被改动"
    files = [part] if entry.type in ("media", "document") else part.get("media", [])
    if not isinstance(files, list) or not all(
        isinstance(item, dict) and isinstance(item.get("sha256"), str) for item in files
    ):
        return "所登记文件的 SHA-256 无法读取"
    return ""


def _check_bodies(entries: Sequence[StoredEntry]) -> None:
    bad = [e.describe() + p for e in entries if (p := _body_problem(e))]
    if bad:
        raise ExportError("；".join(bad[:_NAMED]) + f"。{_NOT_INTACT}")


def latest_commitment(
    entries: Sequence[StoredEntry],
) -> tuple[StoredEntry, completeness.Commitment] | None:
    """The completeness commitment of the case's latest ``case_file`` record that has one."""
    for entry in reversed(entries):
        if entry.type != "record":
            continue
        record = entry.data().get("record", {})
        try:
            commitment = completeness.from_record(entry.seq, record)
        except ValueError as exc:
            raise ExportError(
                f"{entry.describe()}的完整性承诺无法读取（{exc}）：{_NOT_INTACT}"
            ) from exc
        if commitment is not None:
            return entry, commitment
    return None


def _check_commitment(
    checks: list[Check],
    ledger: Ledger,
    agency: str,
    origin: str,
    case_number: str,
    entries: Sequence[StoredEntry],
) -> None:
    """The case's entries as the export found them (by the ``case_number`` column, each body
    checked to agree) are those its latest archiving committed to (issue #12): an entry whose
    column was changed to another case is named, as is one that should not be there."""
    found = latest_commitment(entries)
    if found is None:
        checks.append(
            Check(
                "完整性",
                "归档时条目齐全",
                "提示",
                "案件没有带完整性承诺的归档记录（尚未归档，或为导入的案件）："
                "包内条目是否齐全只能在账本上核验（lawtrail verify）",
            )
        )
        return
    filed, commitment = found
    where = f"归档记录（第 {filed.seq} 条）"
    if commitment.log != origin:
        checks.append(
            Check(
                "完整性",
                "归档时条目齐全",
                "提示",
                f"{where}的完整性承诺属于日志 {commitment.log}（导入的案件），不适用于本日志",
            )
        )
        return
    held = [(e.seq, merkle.leaf_hash(e.body)) for e in entries if e.type in PACKAGE_ENTRY_TYPES]
    omitted, added, same = completeness.compare(commitment, held)
    bad = []
    for seq in omitted[:_NAMED]:
        entry = ledger.entry(agency, seq)
        if entry is None:
            bad.append(f"第 {seq} 条（缺失）不在本案的条目中，而{where}承诺了它")
            continue
        try:
            named = entry.data().get("case_number")
        except ValueError:
            named = None
        why = (
            f"其入账内容属于案件 {named}，案号列却是 {entry.case_number}：案号列被改动"
            if named == case_number and entry.case_number != case_number
            else f"{where}承诺它属于本案"
        )
        bad.append(f"{entry.describe()}不在按案号读出的本案条目中，{why}")
    for seq in added[:_NAMED]:
        entry = next(e for e in entries if e.seq == seq)
        bad.append(f"{entry.describe()}不在{where}承诺的本案条目清单中")
    if not bad and not same:
        bad.append(f"本案归档前的条目与{where}的完整性承诺（摘要）不符")
    if bad:
        raise ExportError("；".join(bad) + f"。{_NOT_INTACT}")
    checks.append(
        Check(
            "完整性",
            "归档时条目齐全",
            "通过",
            f"{where}承诺的归档前本案 {commitment.count} 个账本条目均在包内",
        )
    )
    later = [e.seq for e in entries if e.seq > filed.seq]
    if later:
        checks.append(
            Check(
                "完整性",
                "归档之后的条目",
                "提示",
                f"归档之后的条目未经完整性承诺：第 {completeness.format_seqs(later)} 条"
                f"（{len(later)} 个）只由包含证明担保，重新归档后即纳入承诺",
            )
        )


def _check_times(ledger: Ledger, entries: Sequence[StoredEntry]) -> None:
    """No entry of the case was back-dated: one lookup per entry, as for its proof."""
    bad = [f"{e.describe()}的{why}" for e in entries if (why := _back_dated(ledger, e))]
    if bad:
        raise ExportError("；".join(bad[:_NAMED]) + f"。{_NOT_INTACT}")


def _parse_stored_case(data: Mapping[str, Any], case_number: str) -> Case:
    try:
        return parse_case(data)
    except CaseFormatError as exc:
        raise ExportError(
            f"账本中案件 {case_number} 的记录不能构成有效的案件（{exc}）：{_NOT_INTACT}"
        ) from exc


def _latest_cosigned(ledger: Ledger, agency: str, size: int) -> dict[str, tuple[int, str]]:
    """Per witness, its latest cosignature on a checkpoint within ``size``."""
    latest: dict[str, tuple[int, str]] = {}
    for cosigned_size, witness, line in ledger.cosignatures(agency):
        if cosigned_size <= size and cosigned_size >= latest.get(witness, (-1, ""))[0]:
            latest[witness] = (cosigned_size, line)
    return latest


# ---------------------------------------------------------------------------- checks at export


def _check_checkpoint(
    checks: list[Check], checkpoint: StoredCheckpoint, verifier: notes.Verifier, origin: str
) -> None:
    try:
        note, parsed = checkpoint.parsed()
        signed = bool(notes.verify_note(note, [verifier]))
    except notes.NoteError as exc:
        raise ExportError(f"检查点（大小 {checkpoint.size}）无法解析：{exc}") from exc
    if not signed or parsed.origin != origin or parsed.root != checkpoint.root:
        raise ExportError(
            f"检查点（大小 {checkpoint.size}）的签名无法用机关公钥验证：账本不完好，拒绝导出，"
            "请先运行 lawtrail verify"
        )
    checks.append(
        Check("真实性", "检查点签名", "通过", f"机关检查点（大小 {checkpoint.size}）签名有效")
    )


def _check_inclusion(
    checks: list[Check],
    entries: Sequence[StoredEntry],
    proofs: Sequence[Sequence[bytes]],
    checkpoint: StoredCheckpoint,
) -> None:
    bad = []
    for entry, proof in zip(entries, proofs, strict=True):
        leaf = merkle.leaf_hash(entry.body)
        try:
            if leaf != entry.leaf_hash:
                raise merkle.ProofError("条目内容与叶哈希不符")
            merkle.verify_inclusion(leaf, entry.seq, checkpoint.size, proof, checkpoint.root)
        except merkle.ProofError as exc:
            bad.append(f"第 {entry.seq} 条（{entry.type} {entry.ref}）：{exc}")
    if bad:
        raise ExportError("案件的账本条目无法证明包含在已签名检查点中，拒绝导出：" + "；".join(bad))
    checks.append(
        Check(
            "真实性",
            "账本包含证明",
            "通过",
            f"本案 {len(entries)} 个账本条目均已证明包含在检查点（大小 {checkpoint.size}）中",
        )
    )


def _check_cosignatures(
    checks: list[Check],
    keys: KeyDirectory,
    checkpoints: Mapping[int, StoredCheckpoint | None],
    witnesses: Mapping[str, tuple[int, str]],
) -> None:
    if not witnesses:
        checks.append(Check("真实性", "见证方联署", "提示", "本案所在日志尚无见证方联署"))
        return
    verifiers = {v.name: v for v in keys.witness_verifiers()}
    for witness, (size, line) in sorted(witnesses.items()):
        verifier = verifiers.get(witness)
        cp = checkpoints[size]
        if verifier is None or cp is None:
            checks.append(
                Check("真实性", "见证方联署", "提示", f"见证方 {witness} 的公钥不在密钥目录中")
            )
            continue
        try:
            note, _ = cp.parsed()
            ok = bool(notes.verify_note(notes.parse_note(note.text + "\n" + line), [verifier]))
        except notes.NoteError:
            ok = False  # a cosignature line edited into something unreadable
        checks.append(
            Check(
                "真实性",
                "见证方联署",
                "通过" if ok else "不通过",
                f"见证方 {witness} 对检查点（大小 {size}）的联署" + ("有效" if ok else "无效"),
            )
        )


def _check_timestamp(
    checks: list[Check],
    token: bytes,
    checkpoint: StoredCheckpoint,
    tsa: str,
    gen_time: str,
    roots: Sequence[bytes] | None,
) -> None:
    if not roots:
        checks.append(
            Check(
                "真实性",
                "可信时间戳",
                "提示",
                f"检查点（大小 {checkpoint.size}）有 {tsa} 的时间戳（{gen_time}），"
                "未配置 LAWTRAIL_TSA_ROOTS，导出时未核验",
            )
        )
        return
    from lawtrail.ledger.tsa import TimestampError, verify_timestamp

    try:
        verify_timestamp(token, checkpoint.note.encode("utf-8"), roots=roots)
        checks.append(
            Check("真实性", "可信时间戳", "通过", f"{tsa} 于 {gen_time} 为检查点盖的时间戳有效")
        )
    except TimestampError as exc:
        checks.append(Check("真实性", "可信时间戳", "不通过", f"时间戳无法验证：{exc}"))


def _copy_files(
    bag: _Bag,
    store: MediaStore,
    entries: Iterable[StoredEntry],
    checks: list[Check],
    allow_missing: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Copy every media file and generated document of the case into the bag, comparing each
    copy's SHA-256 (computed while copying) with the digest the ledger holds."""
    media: dict[str, dict[str, Any]] = {}
    documents: list[dict[str, Any]] = []
    for entry in entries:
        body = entry.data()
        if entry.type == "media":
            items = [body["media"]]
        elif entry.type == "record":
            items = list(body["record"].get("media", []))
        else:
            items = []
        for item in items:
            media.setdefault(item["sha256"], item)
        if entry.type == "document":
            documents.append({**body["document"], "seq": entry.seq})
    media_list = []
    mismatched = []
    absent = []
    for sha, item in sorted(media.items()):
        name = _media_name(sha, item.get("filename", ""))
        if allow_missing and not store.exists(sha):
            absent.append(sha)
            continue
        digests = _copy_one(bag, store, sha, name)
        if digests["sha256"] != sha:
            mismatched.append(name)
        media_list.append(
            {
                "file": f"data/{name}",
                "sha256": sha,
                "sm3": item.get("sm3", ""),
                "size": item.get("size"),
                "type": item.get("type", ""),
            }
        )
    taken: set[str] = set()
    document_list = []
    for doc in documents:
        name = _document_name(taken, doc["seq"], doc.get("filename", ""), doc["sha256"])
        digests = _copy_one(bag, store, doc["sha256"], name)
        if digests["sha256"] != doc["sha256"]:
            mismatched.append(name)
        document_list.append(
            {
                "file": f"data/{name}",
                "seq": doc["seq"],
                "template": doc.get("template", ""),
                "record": doc.get("record", ""),
                "sha256": doc["sha256"],
                "sm3": doc.get("sm3", ""),
                "size": doc.get("size"),
                "pages": doc.get("pages"),
            }
        )
    if mismatched:
        raise ExportError("证据库中的文件与账本登记的摘要不符，拒绝导出：" + "、".join(mismatched))
    if absent:
        checks.append(
            Check(
                "完整性",
                "证据库中的音像文件",
                "不通过",
                f"账本登记的 {len(absent)} 个音像文件不在证据库中，未能打包：" + "、".join(absent),
            )
        )
    checks.append(
        Check(
            "真实性",
            "音像资料与文书的摘要",
            "通过",
            f"{len(media_list)} 个音像文件、{len(document_list)} 份文书复制时重新计算的 SHA-256 "
            "与账本登记一致",
        )
    )
    _usability(checks, bag, [*media_list, *document_list])
    return media_list, document_list


def _copy_one(bag: _Bag, store: MediaStore, sha256: str, name: str) -> dict[str, str]:
    try:
        with store.open(sha256) as source:
            return bag.add_stream(name, source)
    except MediaNotFoundError as exc:
        raise ExportError(
            f"证据库中缺少账本登记的文件 {name}（SHA-256 {sha256}），不能导出完整的档案包；"
            "请先从备份恢复该文件（确需导出不完整的档案包时，用命令行的 --allow-missing-media）"
        ) from exc
    except (MediaStoreError, OSError) as exc:
        raise ExportError(f"无法读取证据库中的文件 {name}：{exc}") from exc


def _usability(checks: list[Check], bag: _Bag, files: Sequence[Mapping[str, Any]]) -> None:
    unusable = []
    for item in files:
        path = bag.root / item["file"]
        ext = filetypes.extension(path.name)
        with open(path, "rb") as fh:
            head = fh.read(filetypes.HEAD_SIZE)
        if ext in _DOCUMENT_MAGIC:
            ok = head.startswith(_DOCUMENT_MAGIC[ext])
        else:
            ok = ext in _LONG_TERM_MEDIA and filetypes.KINDS[ext].matches(head)
        if not ok:
            unusable.append(item["file"])
    checks.append(
        Check(
            "可用性",
            "文件格式",
            "不通过" if unusable else "通过",
            ("格式无法识别或不是长期保存格式：" + "、".join(unusable))
            if unusable
            else f"{len(files)} 个文件均为可识别的通用格式（PDF、DOCX、JPEG、PNG、MP4、MP3 等），"
            "案件数据为 UTF-8 JSON",
        )
    )


def _completeness(
    checks: list[Check],
    data: Mapping[str, Any],
    case: Case,
    entries: Sequence[StoredEntry],
    media: Sequence[Mapping[str, Any]],
    documents: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    records = data["records"]
    ids = [r["id"] for r in records]
    counted = sum(1 for e in entries if e.type == "record")
    checks.append(
        Check(
            "完整性",
            "记录齐全",
            "通过" if counted == len(ids) == len(set(ids)) else "不通过",
            f"案件 {len(ids)} 条记录，账本记录条目 {counted} 个，记录编号无重复",
        )
    )
    referenced = {m["sha256"] for r in records for m in r.get("media", [])}
    packed = {m["sha256"] for m in media}
    missing = sorted(referenced - packed)
    checks.append(
        Check(
            "完整性",
            "音像资料齐全",
            "不通过" if missing else "通过",
            ("记录引用但未打包的音像文件：" + "、".join(missing))
            if missing
            else f"记录引用的 {len(referenced)} 个音像文件均已打包（另有入库未引用的 "
            f"{len(packed - referenced)} 个）",
        )
    )
    volumes = [d for d in documents if d.get("template") == "case_volume"]
    archived = any(r["kind"] == "case_file" for r in records)
    checks.append(
        Check(
            "完整性",
            "案卷",
            "通过" if volumes else "提示",
            f"已组卷归档，案卷 {len(volumes)} 份（含卷内目录与备考表）"
            if volumes
            else ("有归档记录但无系统生成的案卷文件" if archived else "案件尚未组卷归档"),
        )
    )
    evaluation = evaluate(case, at=now)
    violations = evaluation.violations
    checks.append(
        Check(
            "完整性",
            "记录制度检查",
            "提示" if violations else "通过",
            f"按本机关规则包检查，违规 {len(violations)} 项"
            + "".join(f"；{f.title}（{article_label(f.article)}）" for f in violations[:10])
            if violations
            else "按本机关规则包检查，无违规",
        )
    )


def _security(checks: list[Check], keys: KeyDirectory, agency: str) -> None:
    checks.append(
        Check(
            "安全性",
            "防篡改",
            "通过",
            "载荷文件有 SHA-256、SHA-512 清单，标签文件有 SHA-256、SHA-512、SM3 清单，"
            f"清单由机关 {agency} 的检查点密钥签名（{SIGNATURE_FILE}）",
        )
    )
    checks.append(
        Check(
            "安全性",
            "范围",
            "通过",
            "包内不含查阅日志、账号和私钥；只含本案记录、文书、音像资料与公钥",
        )
    )


def four_property_report(
    result: ExportResult, checks: Sequence[Check], now: datetime, data: Mapping[str, Any]
) -> dict[str, Any]:
    """The DA/T 70-2018 four-property report (真实性、完整性、可用性、安全性) made at export."""
    order = ("真实性", "完整性", "可用性", "安全性")
    verdicts = {}
    for prop in order:
        results = [c.result for c in checks if c.property == prop]
        verdicts[prop] = "不通过" if "不通过" in results else "通过"
    return {
        "format": "lawtrail-four-properties/1",
        "standard": "DA/T 70-2018 文书类电子档案检测一般要求",
        "agency": result.agency,
        "case_number": result.case_number,
        "title": data.get("title", ""),
        "made_at": timeutil.local(now).isoformat(),
        "tree_size": result.tree_size,
        "entries": result.entries,
        "verdicts": verdicts,
        "checks": [
            {"property": c.property, "item": c.item, "result": c.result, "detail": c.detail}
            for c in sorted(checks, key=lambda c: order.index(c.property))
        ],
    }


def four_property_text(report: Mapping[str, Any]) -> str:
    lines = [
        f"电子档案“四性”检测报告（{report['standard']}）",
        f"案号：{report['case_number']}　{report['title']}",
        f"检测时间：{report['made_at']}　账本检查点大小：{report['tree_size']}",
        "",
    ]
    for prop, verdict in report["verdicts"].items():
        lines.append(f"【{prop}】{verdict}")
        for check in report["checks"]:
            if check["property"] == prop:
                lines.append(f"  · {check['item']}：{check['result']}。{check['detail']}")
    return "\n".join(lines) + "\n"


def validate_with_bagit(path: Path) -> None:
    """Validate the bag with bagit-python (the Library of Congress implementation)."""
    import bagit

    try:
        bagit.Bag(str(path)).validate(processes=1)
    except bagit.BagError as exc:
        raise ExportError(f"bagit 校验未通过：{exc}") from exc
