"""The bytes a record is committed to in the ledger: RFC 8785 canonical JSON.

A ledger entry names its log, its position in it, the agency and the case, and carries the
whole record as the case format writes it — fields, officers, signatures, refusals, AV
exemption, correction link and every media file's digests — plus when it was recorded, so
that a later change to any of these, a move, or a back-dated insertion changes the leaf hash.
RFC 8785 (JSON Canonicalization Scheme) makes the bytes independent of key order and number
formatting; all instants are written in Asia/Shanghai (+08:00) so the same instant always
gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import rfc8785

from lawtrail.core import timeutil
from lawtrail.core.caseio import case_to_json, record_to_json
from lawtrail.core.model import Case, Record

ENTRY_FORMAT = "lawtrail-entry/1"

# What one ledger entry carries: the case's header (when a case is opened or its parties and
# people change), one record, one media file's ingestion (its digests and both clocks), or one
# access: who viewed or downloaded what of the case, or was refused (issue #4), or one document
# generated from the case (a 文书 or the archived 案卷 volume: its template and digests, issue #5),
# or one act of supervision (issue #14): a supervisor's 责令限期整改 order to the agency or the
# head's answer to it (lawtrail.supervision), in the log of the agency it is addressed to; or one
# act of 案卷评查 (issue #14 item 2): a sampling of an agency's closed cases or the scoring sheet of
# one, in the supervising body's own log (lawtrail.case_review).
# ``secrecy``: a secrecy label and its lifting, a request for access to labelled content and its
# decision, a party's 查阅/复制 request and each act on it (issue #16; lawtrail.core.secrecy).
ENTRY_TYPES = (
    "case",
    "record",
    "media",
    "access",
    "document",
    "supervision",
    "review",
    "secrecy",
)


def ledger_entry(
    *,
    origin: str,
    index: int,
    recorded_at: datetime,
    agency: str,
    case_number: str,
    type: str,
    body: Mapping[str, Any],
    actor: str = "",
) -> dict[str, Any]:
    """One ledger entry as a JSON-ready dict; its canonical bytes are the Merkle leaf data.

    The entry names its own log (``origin``) and position (``index``), so that moving it —
    swapping two rows, inserting one in between, renumbering after a deletion — is visible in
    the entry itself, not only in the tree. ``recorded_at`` is the server clock when the ledger
    accepted it; ``actor``, when known, the account that made the entry (the signed-in user of
    the web application), so that who entered each record is as tamper-evident as the record.
    """
    if type not in ENTRY_TYPES:
        raise ValueError(f"unknown ledger entry type {type!r}")
    if index < 0:
        raise ValueError(f"ledger index {index} is negative")
    entry = {
        "format": ENTRY_FORMAT,
        "log": origin,
        "index": index,
        "recorded_at": timeutil.local(recorded_at).isoformat(),
        "agency": agency,
        "case_number": case_number,
        "type": type,
        type: dict(body),
    }
    if actor:
        entry["actor"] = actor
    return entry


def record_entry(
    *, origin: str, index: int, agency: str, case_number: str, record: Record, recorded_at: datetime
) -> dict[str, Any]:
    """The ledger entry of one record (with its media digests, signatures, correction link …)."""
    return ledger_entry(
        origin=origin,
        index=index,
        recorded_at=recorded_at,
        agency=agency,
        case_number=case_number,
        type="record",
        body=record_to_json(record),
    )


def case_header(case: Case) -> dict[str, Any]:
    """The case-level part of the case format (everything but the records)."""
    header = case_to_json(case)
    for key in ("format", "agency", "case_number", "records"):
        header.pop(key, None)
    return header


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 serialisation (UTF-8, sorted keys, no insignificant whitespace)."""
    return rfc8785.dumps(value)
