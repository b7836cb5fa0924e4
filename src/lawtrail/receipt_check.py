"""Check a 存证回执 (a ledger receipt, ``lawtrail-receipt/1``) offline (issue #12, item 3).

A receipt says: entry ``seq`` of the agency's log has leaf hash ``leaf_hash``, and the signed
checkpoint ``checkpoint`` (the one the append signed) covers it — with the RFC 9162 inclusion
proof of the leaf in that checkpoint and the witness cosignatures the log held for it when the
receipt was downloaded. Its holder (an officer, a party) can later show that the log still
contains what it acknowledged: a log rolled back below the receipt's size, or rewritten, can
no longer prove consistency with the receipt's checkpoint (``lawtrail receipt check
--against-ledger``, :mod:`lawtrail.ledger.receipts`).

Like the archive verifier (:mod:`lawtrail.verify`) this module needs the standard library,
``cryptography`` and ``lawtrail.core.merkle`` / ``lawtrail.core.notes`` only.

Format (JSON object; hashes are lowercase hex)::

    {"format": "lawtrail-receipt/1", "origin": …, "agency": …, "case_number": …,
     "type": "record", "ref": <record id>, "seq": …, "leaf_hash": …, "recorded_at": …,
     "checkpoint": <signed note text>, "inclusion_proof": [hex, …],
     "cosignatures": [{"witness": …, "signature": <note signature line>}, …],
     "log_key": <the log's verifier key — informational, pin your own>, "issued_at": …}
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from lawtrail.core import merkle, notes

FORMAT = "lawtrail-receipt/1"

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_CANNOT_RUN = 2

PROBLEM_LABELS = {
    "malformed": "回执格式错误",
    "signature_invalid": "签名无效",
    "proof_failed": "包含证明失败",
    "cosignature_missing": "缺少见证联署",
    "rolled_back": "账本已回退或被改写",
}


class ReceiptError(Exception):
    """The receipt cannot be checked at all (not JSON, not a receipt); Chinese message."""


@dataclass(frozen=True)
class Receipt:
    """A parsed receipt: the values its checks need, already decoded."""

    origin: str
    agency: str
    case_number: str
    type: str
    ref: str
    seq: int
    leaf_hash: bytes
    recorded_at: str
    note: notes.Note
    checkpoint: notes.Checkpoint
    checkpoint_text: str  # the whole signed note, as in the receipt
    inclusion_proof: tuple[bytes, ...]
    cosignatures: tuple[tuple[str, str], ...]  # (witness name, signature line)

    def describe_checkpoint(self) -> str:
        root = base64.b64encode(self.checkpoint.root).decode("ascii")
        return f"回执的检查点（{self.checkpoint.origin}，大小 {self.checkpoint.size}，根 {root}）"


@dataclass(frozen=True)
class Problem:
    code: str  # a key of PROBLEM_LABELS
    message: str  # Chinese


@dataclass
class Result:
    file: str
    origin: str = ""
    agency: str = ""
    case_number: str = ""
    ref: str = ""
    seq: int | None = None
    checkpoint_size: int | None = None
    key_source: str = ""
    cosigned_by: list[str] = field(default_factory=list)
    ledger_size: int | None = None  # the log's latest signed size (--against-ledger)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def problem(self, code: str, message: str) -> None:
        self.problems.append(Problem(code, message))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["intact"] = self.intact
        return data


def _hex(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise ReceiptError(f"{what} 应为十六进制字符串")
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ReceiptError(f"{what} 不是十六进制字符串") from None
    if len(raw) != merkle.HASH_SIZE:
        raise ReceiptError(f"{what} 应为 {merkle.HASH_SIZE} 字节的哈希，实为 {len(raw)} 字节")
    return raw


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ReceiptError(f"回执缺少字段 {key}（字符串）")
    return value


def parse_receipt(data: Any) -> Receipt:
    """Decode a receipt's JSON value; ReceiptError (Chinese) names what is malformed."""
    if not isinstance(data, Mapping):
        raise ReceiptError("回执应为 JSON 对象")
    if data.get("format") != FORMAT:
        raise ReceiptError(f"不是 LawTrail 存证回执（format 应为 {FORMAT}）")
    seq = data.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ReceiptError("回执的 seq 应为非负整数")
    try:
        note = notes.parse_note(_text(data, "checkpoint"))
        checkpoint = notes.Checkpoint.from_text(note.text)
    except notes.NoteError as exc:
        raise ReceiptError(f"回执的 checkpoint 不是有效的已签名检查点：{exc}") from exc
    proof = data.get("inclusion_proof")
    if not isinstance(proof, list):
        raise ReceiptError("回执的 inclusion_proof 应为数组")
    cosignatures = []
    for i, item in enumerate(data.get("cosignatures") or []):
        if not isinstance(item, Mapping):
            raise ReceiptError(f"回执的 cosignatures[{i}] 应为对象")
        cosignatures.append((_text(item, "witness"), _text(item, "signature")))
    return Receipt(
        origin=_text(data, "origin"),
        agency=_text(data, "agency"),
        case_number=_text(data, "case_number"),
        type=_text(data, "type"),
        ref=_text(data, "ref"),
        seq=seq,
        leaf_hash=_hex(data.get("leaf_hash"), "leaf_hash"),
        recorded_at=_text(data, "recorded_at"),
        note=note,
        checkpoint=checkpoint,
        checkpoint_text=_text(data, "checkpoint"),
        inclusion_proof=tuple(_hex(p, f"inclusion_proof[{i}]") for i, p in enumerate(proof)),
        cosignatures=tuple(cosignatures),
    )


def load_receipt(text: str) -> Receipt:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReceiptError(f"回执不是有效的 JSON：{exc}") from exc
    return parse_receipt(data)


def _verifies(note: notes.Note, verifier: notes.Verifier) -> bool:
    try:
        return bool(notes.verify_note(note, [verifier]))
    except notes.NoteError:
        return False


def check_receipt(
    receipt: Receipt,
    result: Result,
    *,
    key: str | None,
    witness_keys: Sequence[str] = (),
    key_source: str = "",
) -> None:
    """Check the receipt by itself: the checkpoint's signature with ``key`` (the agency's
    verifier key, pinned by the caller), the leaf's inclusion proof in it, and — for each of
    ``witness_keys`` — a valid cosignature of that witness. Problems go into ``result``."""
    cp = receipt.checkpoint
    result.origin, result.agency = receipt.origin, receipt.agency
    result.case_number, result.ref = receipt.case_number, receipt.ref
    result.seq, result.checkpoint_size = receipt.seq, cp.size
    if cp.origin != receipt.origin:
        result.problem("malformed", f"检查点的来源 {cp.origin} 不是回执所称的日志 {receipt.origin}")
    if key is None:
        result.notes.append("未指定机关公钥：未核验检查点签名（请用 --key 指定机关公钥文件）")
    else:
        result.key_source = key_source
        try:
            verifier = notes.Ed25519Verifier.from_verifier_key_string(key.strip())
        except notes.NoteError as exc:
            raise ReceiptError(f"机关公钥无法读取：{exc}") from exc
        if not _verifies(receipt.note, verifier):
            result.problem(
                "signature_invalid",
                f"{receipt.describe_checkpoint()}没有机关公钥 {verifier.name} 的有效签名",
            )
    if receipt.seq >= cp.size:
        result.problem(
            "proof_failed", f"第 {receipt.seq} 条不在大小为 {cp.size} 的检查点覆盖范围内"
        )
    else:
        try:
            merkle.verify_inclusion(
                receipt.leaf_hash, receipt.seq, cp.size, receipt.inclusion_proof, cp.root
            )
        except (merkle.ProofError, ValueError) as exc:
            result.problem(
                "proof_failed",
                f"第 {receipt.seq} 条（叶哈希 {receipt.leaf_hash.hex()}）的包含证明"
                f"不能通向{receipt.describe_checkpoint()}的根：{exc}",
            )
    for text in witness_keys:
        try:
            witness = notes.CosignatureVerifier.from_verifier_key_string(text.strip())
        except notes.NoteError as exc:
            raise ReceiptError(f"见证方公钥无法读取：{exc}") from exc
        ok = False
        for name, line in receipt.cosignatures:
            if name != witness.name:
                continue
            try:
                cosigned = notes.parse_note(receipt.note.text + "\n" + line)
            except notes.NoteError:
                continue
            ok = ok or _verifies(cosigned, witness)
        if ok:
            result.cosigned_by.append(witness.name)
        else:
            result.problem(
                "cosignature_missing",
                f"{receipt.describe_checkpoint()}没有见证方 {witness.name} 的有效联署",
            )
    if not witness_keys and receipt.cosignatures:
        names = "、".join(sorted({name for name, _ in receipt.cosignatures}))
        result.notes.append(f"回执带有 {names} 的联署；未指定见证方公钥（--witness-key），未核验")


def report_text(result: Result) -> str:
    lines = [
        f"LawTrail 存证回执核验：{result.file}",
        f"日志：{result.origin or '未知'}　案号：{result.case_number or '未知'}　"
        f"记录：{result.ref or '未知'}　账本序号：第 {result.seq} 条　"
        f"检查点大小：{result.checkpoint_size}",
    ]
    if result.key_source:
        lines.append(f"机关公钥：{result.key_source}")
    if result.cosigned_by:
        lines.append(f"见证联署：{'、'.join(result.cosigned_by)}")
    if result.ledger_size is not None:
        lines.append(f"账本当前最新检查点大小：{result.ledger_size}")
    if result.intact:
        lines.append(
            "结果：完好——检查点签名、包含证明"
            + ("、与当前账本的一致性" if result.ledger_size is not None else "")
            + "全部通过"
        )
    else:
        lines.append(f"结果：发现 {len(result.problems)} 处问题")
        for p in result.problems:
            lines.append(f"  [{PROBLEM_LABELS.get(p.code, p.code)}] {p.message}")
    for note in result.notes:
        lines.append(f"提示：{note}")
    return "\n".join(lines) + "\n"


def cannot_run_json(file: str, message: str) -> dict[str, Any]:
    return {"file": file, "intact": False, "error": message}
