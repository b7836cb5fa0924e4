"""The completeness commitment of a case (issue #12 item 4): what the 案卷归档 (``case_file``)
record says about the case's ledger entries before it, so that an archive package that leaves
one out is caught offline.

When a case is archived (``services.do_archive_case``), the ``case_file`` record's fields
``ledger_log``, ``ledger_entries``, ``ledger_count`` and ``ledger_digest`` name the log, the
sequence numbers (as ranges, "0-3, 7, 9-12"), their number, and :func:`digest` over the ordered
(seq, leaf hash) of every entry of the case that precedes the record in the log — the case
header, records, media ingestions and documents (the archiving's own 案卷 volume included), the
case being the one the *hashed* entry body names. Access entries (who looked at the case) are
not part of the case file: they name staff, stay in the agency's log and are left out of both
the package and the commitment. So are supervision entries (责令限期整改 orders and their answers,
``lawtrail.supervision``): they are about the agency's work on the case, not the case file, and
may come after the archiving.

Both the export (``lawtrail.archive``) and the offline verifier (``lawtrail.verify``) use this
module, so it uses the standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FORMAT = b"lawtrail-case-entries/1\n"
# The entry types a case's archive package carries and the commitment covers.
ENTRY_TYPES = ("case", "record", "media", "document")
FIELDS = ("ledger_log", "ledger_entries", "ledger_count", "ledger_digest")


def digest(entries: Iterable[tuple[int, bytes]]) -> str:
    """``sha256:<hex>`` of the domain tag followed by each (seq as 8 bytes big-endian, 32-byte
    leaf hash) in the order given (log order)."""
    h = hashlib.sha256(FORMAT)
    for seq, leaf in entries:
        if len(leaf) != 32:
            raise ValueError(f"leaf hash of entry {seq} is not 32 bytes")
        h.update(int(seq).to_bytes(8, "big") + leaf)
    return "sha256:" + h.hexdigest()


def seq_runs(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted sequence numbers as (first, last) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs


def format_seqs(seqs: Iterable[int]) -> str:
    """Sorted sequence numbers as ranges: ``[0, 1, 2, 3, 7, 9, 10]`` → ``"0-3, 7, 9-10"``."""
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in seq_runs(seqs))


def parse_seqs(text: str) -> list[int]:
    """The inverse of :func:`format_seqs`; ValueError when it is not such a text."""
    seqs: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        first, sep, last = part.partition("-")
        start, end = int(first), int(last) if sep else int(first)
        if start < 0 or end < start:
            raise ValueError(f"bad range {part!r}")
        seqs.extend(range(start, end + 1))
    if seqs != sorted(set(seqs)):
        raise ValueError("ranges overlap or are out of order")
    return seqs


@dataclass(frozen=True)
class Commitment:
    """What a ``case_file`` record commits to: entries ``seqs`` of log ``log`` before ``at``
    (the record's own sequence number)."""

    at: int
    log: str
    seqs: tuple[int, ...]
    count: int
    digest: str


def fields(log: str, entries: Sequence[tuple[int, bytes]]) -> dict[str, Any]:
    """The ``case_file`` record fields committing to ``entries`` ((seq, leaf hash), log order)."""
    return {
        "ledger_log": log,
        "ledger_entries": format_seqs(seq for seq, _ in entries),
        "ledger_count": len(entries),
        "ledger_digest": digest(entries),
    }


def from_record(at: int, record: Mapping[str, Any]) -> Commitment | None:
    """The commitment of a ``case_file`` record (its JSON as the ledger entry holds it) at
    sequence number ``at``; None when the record carries none (a case imported archived, or
    archived before commitments existed). ValueError when the fields cannot be read."""
    values = record.get("fields") if record.get("kind") == "case_file" else None
    if not isinstance(values, Mapping) or not any(k in values for k in FIELDS):
        return None
    log, seqs, count, committed = (values.get(k) for k in FIELDS)
    if not isinstance(log, str) or not isinstance(seqs, str) or not isinstance(committed, str):
        raise ValueError("完整性承诺字段不完整")
    if isinstance(count, bool) or not isinstance(count, int):
        raise ValueError("ledger_count 不是整数")
    parsed = tuple(parse_seqs(seqs))
    if len(parsed) != count or (parsed and parsed[-1] >= at):
        raise ValueError("条目序号与条目数或归档记录位置不符")
    return Commitment(at, log, parsed, count, committed)


def compare(
    commitment: Commitment, entries: Iterable[tuple[int, bytes]]
) -> tuple[list[int], list[int], bool]:
    """Check the entries of the case before ``commitment.at`` against it: (omitted seqs,
    added seqs, digest matches)."""
    held = sorted((seq, leaf) for seq, leaf in entries if seq < commitment.at)
    held_seqs = {seq for seq, _ in held}
    committed = set(commitment.seqs)
    omitted = sorted(committed - held_seqs)
    added = sorted(held_seqs - committed)
    return omitted, added, digest(held) == commitment.digest
