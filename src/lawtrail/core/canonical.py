"""The bytes a record is committed to in the ledger: RFC 8785 canonical JSON.

A ledger entry names the agency and case and carries the whole record as the case format
writes it — fields, officers, signatures, refusals, AV exemption, correction link and every
media file's digests — plus when it was recorded, so that a later change to any of these,
or a back-dated insertion, changes the leaf hash. RFC 8785 (JSON Canonicalization Scheme)
makes the bytes independent of key order and number formatting; all instants are written in
Asia/Shanghai (+08:00) so the same instant always gives the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import rfc8785

from lawtrail.core import timeutil
from lawtrail.core.caseio import record_to_json
from lawtrail.core.model import Record

ENTRY_FORMAT = "lawtrail-entry/1"


def record_entry(
    agency: str, case_number: str, record: Record, recorded_at: datetime
) -> dict[str, Any]:
    """The ledger entry of one record, as a JSON-ready dict."""
    body = record_to_json(record)
    body["recorded_at"] = timeutil.local(recorded_at).isoformat()
    return {
        "format": ENTRY_FORMAT,
        "agency": agency,
        "case_number": case_number,
        "record": body,
    }


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 serialisation (UTF-8, sorted keys, no insignificant whitespace)."""
    return rfc8785.dumps(value)
