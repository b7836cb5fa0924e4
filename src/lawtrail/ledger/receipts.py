"""存证回执: building a receipt for a ledger entry, and checking a receipt against the log as it
is now (issue #12, item 3). The format and the offline checks are in :mod:`lawtrail.receipt_check`.

A receipt names the first signed checkpoint that covers its entry (the first stored checkpoint
whose size exceeds the entry's index; the integrator signs it within ``MAX_DELAY_SECONDS`` of
the append, and a receipt asked for sooner has it signed on the spot), the RFC 9162 inclusion
proof of the leaf in it, and the witness cosignatures the log holds for that checkpoint when the
receipt is built. Checked against the ledger, the log's latest signed checkpoint must be at
least as large, consistent with the receipt's (RFC 9162 consistency proof from the receipt's
size to the latest), and must still hold the same leaf at the receipt's index; otherwise the
log was rolled back or rewritten.
"""

from __future__ import annotations

import base64
from typing import Any

from lawtrail.core import merkle, notes, timeutil
from lawtrail.ledger.integrator import MAX_DELAY_SECONDS
from lawtrail.ledger.log import Ledger, LedgerError, StoredEntry
from lawtrail.receipt_check import FORMAT, Receipt, Result


def build_receipt(ledger: Ledger, entry: StoredEntry) -> dict[str, Any]:
    """The receipt (a JSON value) of a stored entry; LedgerError when no checkpoint covers it."""
    info = ledger.log_info(entry.agency)
    checkpoint = ledger.checkpoint_covering(entry.agency, entry.seq)
    if info is not None and checkpoint is None and entry.seq < ledger.size(entry.agency):
        # Asked for within the integrator's delay: integrate now rather than make the user wait.
        ledger.integrate(entry.agency)
        checkpoint = ledger.checkpoint_covering(entry.agency, entry.seq)
    if info is None or checkpoint is None:
        raise LedgerError(f"机关 {entry.agency} 的日志中没有覆盖第 {entry.seq} 条的检查点")
    proof = ledger.inclusion_proof(entry.agency, entry.seq, checkpoint.size)
    return {
        "format": FORMAT,
        "origin": info.origin,
        "agency": entry.agency,
        "case_number": entry.case_number,
        "type": entry.type,
        "ref": entry.body_ref() or entry.ref,
        "seq": entry.seq,
        "leaf_hash": entry.leaf_hash.hex(),
        "recorded_at": entry.recorded_at,
        "checkpoint": checkpoint.note,
        "inclusion_proof": [p.hex() for p in proof],
        "cosignatures": [
            {"witness": witness, "signature": line}
            for size, witness, line in ledger.cosignatures(entry.agency)
            if size == checkpoint.size
        ],
        "log_key": info.public_key,
        # The promise the log keeps: an acknowledged entry is covered by a signed checkpoint
        # within this many seconds (lawtrail.ledger.integrator).
        "max_integration_delay_seconds": MAX_DELAY_SECONDS,
        "issued_at": timeutil.local(ledger.clock()).isoformat(),
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def check_against_ledger(
    ledger: Ledger, receipt: Receipt, result: Result, verifier: notes.Verifier
) -> None:
    """Is the receipt's checkpoint still part of the log's history? ``verifier`` is the
    agency's key (pinned by the caller) the log's latest checkpoint must be signed with."""
    rolled = f"账本已回退或被改写：{receipt.describe_checkpoint()}"
    cp = receipt.checkpoint
    latest = ledger.latest_checkpoint(receipt.agency)
    if latest is None:
        result.problem("rolled_back", f"{rolled}，而账本中该日志没有任何检查点")
        return
    result.ledger_size = latest.size
    try:
        note, head = latest.parsed()
        signed = bool(notes.verify_note(note, [verifier]))
    except notes.NoteError:
        signed = False
    if not signed or head.size != latest.size or head.root != latest.root:
        result.problem(
            "signature_invalid", f"账本最新检查点（大小 {latest.size}）没有机关公钥的有效签名"
        )
        return
    if head.origin != cp.origin:
        result.problem("rolled_back", f"{rolled}，而账本中的日志来源是 {head.origin}")
        return
    if head.size < cp.size:
        result.problem(
            "rolled_back", f"{rolled}，而账本最新的已签名检查点只有 {head.size} 条（少于回执）"
        )
        return
    try:
        if head.size == cp.size:
            if head.root != cp.root:
                raise merkle.ProofError(f"同为大小 {cp.size}，根却是 {_b64(head.root)}（分叉）")
        else:
            proof = ledger.consistency_proof(receipt.agency, cp.size, head.size)
            merkle.verify_consistency(cp.size, head.size, cp.root, head.root, proof)
    except (merkle.ProofError, LedgerError, ValueError) as exc:
        result.problem(
            "rolled_back",
            f"{rolled}，与账本最新检查点（大小 {head.size}，根 {_b64(head.root)}）不一致：{exc}",
        )
        return
    entry = ledger.entry(receipt.agency, receipt.seq)
    if entry is None or entry.leaf_hash != receipt.leaf_hash:
        now = "已不存在" if entry is None else f"的叶哈希现为 {entry.leaf_hash.hex()}"
        result.problem(
            "rolled_back",
            f"{rolled}，账本第 {receipt.seq} 条{now}，不是回执的 {receipt.leaf_hash.hex()}",
        )
        return
    try:
        proof = ledger.inclusion_proof(receipt.agency, receipt.seq, head.size)
        merkle.verify_inclusion(entry.leaf_hash, receipt.seq, head.size, proof, head.root)
    except (merkle.ProofError, LedgerError, ValueError) as exc:
        result.problem("rolled_back", f"{rolled}，第 {receipt.seq} 条不在账本最新检查点中：{exc}")
