"""The fast path of `lawtrail verify` reads an entry's body with a compiled decoder: for every body
it reads, it must read what ``json.loads`` reads (else it refuses, and the detailed pass judges),
and give the ref :func:`body_ref` gives."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from lawtrail.core.canonical import canonical_bytes
from lawtrail.ledger.log import body_ref
from lawtrail.ledger.verify_fast import (
    _DECODE,
    _claimed_ref,
    _Claims,
    log_decoder,
    records_decoder,
)

HEADER = {
    "agency": "tonghua-market",
    "case_number": "通市监罚〔2026〕12号",
    "format": "lawtrail-entry/1",
    "index": 7,
    "log": "lawtrail.local/tonghua-market",
    "recorded_at": "2026-09-02T12:00:00+08:00",
}

# Each entry type with the fields body_ref reads, missing, of another type, or falsy.
PARTS: list[tuple[str, Any]] = [
    ("record", {"id": "r3", "kind": "site_inspection", "fields": {"a": [1, 2.5, None]}}),
    ("record", {"kind": "site_inspection"}),
    ("record", {"id": 3}),
    ("record", None),
    ("media", {"sha256": "ab" * 32, "ingested_at": "2026-09-02T12:00:00+08:00"}),
    ("media", {"sha256": ""}),
    ("document", {"sha256": "cd" * 32, "template": "立案审批表"}),
    ("case", {"parties": [{"name": "某公司"}]}),
    ("case", None),
    ("access", {"target": "r3", "action": "view"}),
    ("access", {"target": "", "action": "view"}),
    ("access", {"target": None}),
    ("access", {"target": 0}),
    ("supervision", {"order": "o1"}),
    ("supervision", {"order": ["o1"]}),
    ("review", {"act": "sheet", "sheet": "s1", "sampling": "p1"}),
    ("review", {"act": "sample", "sheet": "s1", "sampling": "p1"}),
    ("review", {"act": None, "sampling": "p1"}),
    ("secrecy", {"label": "l1", "request": "q1"}),
    ("secrecy", {"label": "", "request": "q1"}),
    ("secrecy", {"label": False}),
    ("unknown", {"id": "x"}),
]


@pytest.mark.parametrize(("kind", "part"), PARTS)
def test_the_decoder_claims_what_json_and_body_ref_claim(kind: str, part: Any) -> None:
    body = canonical_bytes({**HEADER, "type": kind, kind: part})
    data = json.loads(body)
    claims = _DECODE(body)
    assert (
        claims.log,
        claims.index,
        claims.agency,
        claims.case_number,
        claims.type,
        claims.recorded_at,
    ) == (
        data["log"],
        data["index"],
        data["agency"],
        data["case_number"],
        data["type"],
        data["recorded_at"],
    )
    assert _claimed_ref(claims) == body_ref(data)


BASE = canonical_bytes({**HEADER, "type": "record", "record": {"id": "r3", "note": "仓库"}})

# Bodies json.loads reads one way and a careless decoder another.
ODD: list[bytes] = [
    BASE.replace(b'"index":7', b'"index":1,"index":7'),
    BASE.replace(b'"index":7', b'"index":7,"index":1'),
    BASE.replace(b'"id":"r3"', b'"id":"r3","id":"r4"'),
    BASE.replace(b'"record":{', b'"record":{"id":"r9"},"record":{'),
    BASE.replace(b'"type":"record"', b'"type":"rec\\u006frd"'),
    BASE.replace(b'"id":"r3"', b'"id":"\\ud800"'),
    BASE.replace(b'"note":"', b'"note":"\\ud800'),
    BASE.replace("仓库".encode(), b"\xff"),
    BASE.replace("仓库".encode(), b"\xed\xa0\x80"),
    BASE.replace("仓库".encode(), b"\xc0\xaf"),
    BASE.replace(b'"note":', b'"n":NaN,"note":'),
    BASE.replace(b'"note":', b'"n":1e999,"note":'),
    BASE.replace(b'"index":7', b'"index":7.0'),
    BASE.replace(b'"index":7', b'"index":true'),
    BASE.replace(b'"index":7', b'"index":70000000000000000000000'),
    b"\xef\xbb\xbf" + BASE,
    b" \n" + BASE + b"\r\n",
    BASE + b" x",
    BASE[:-1] + b",}",
    BASE.replace(b'"note":"', b'"note":"\x01'),
]


@pytest.mark.parametrize("body", ODD)
def test_an_odd_body_is_read_as_json_reads_it_or_refused(body: bytes) -> None:
    try:
        # What the fast path does: strict UTF-8 (the decoder skips strings unchecked), decode.
        body.decode("utf-8")
        claims = _DECODE(body)
    except Exception:
        return  # refused: the fast path declines and the detailed pass judges the body
    try:
        data = json.loads(body)
    except ValueError:
        pytest.fail("the fast path read a body json.loads refuses")
    assert (claims.index, claims.type, _claimed_ref(claims)) == (
        data["index"],
        data["type"],
        body_ref(data),
    )
    assert type(claims.index) is type(data["index"])


LOG_DECODE = log_decoder(HEADER["log"], HEADER["agency"])


@pytest.mark.parametrize(("kind", "part"), PARTS)
def test_the_log_decoder_claims_what_the_general_one_claims(kind: str, part: Any) -> None:
    # The fast path decodes with the log's own decoder (its log and agency matched while
    # decoding): for the log's bodies it must claim exactly what _DECODE claims.
    body = canonical_bytes({**HEADER, "type": kind, kind: part})
    claims = LOG_DECODE(body)
    assert isinstance(claims, _Claims)
    assert msgspec.structs.asdict(claims) == msgspec.structs.asdict(_DECODE(body))


@pytest.mark.parametrize(
    "body",
    [
        BASE.replace(b'"log":"lawtrail.local/', b'"log":"lawtrail.local\\/'),
        BASE.replace(b'"agency":"tonghua-market"', b'"agency":"\\u0074onghua-market"'),
    ],
)
def test_the_log_decoder_reads_an_escaped_log_or_agency_as_json_reads_it(body: bytes) -> None:
    data = json.loads(body)
    assert (data["log"], data["agency"]) == (HEADER["log"], HEADER["agency"])
    claims = LOG_DECODE(body)
    assert (claims.log, claims.agency, claims.index) == (data["log"], data["agency"], 7)


@pytest.mark.parametrize(
    "body",
    [
        BASE.replace(b'"log":"lawtrail.local/tonghua-market"', b'"log":"lawtrail.local/other"'),
        BASE.replace(b'"agency":"tonghua-market"', b'"agency":"other"'),
        BASE.replace(b'"agency":"tonghua-market"', b'"agency":"tonghua-market","agency":"x"'),
        BASE.replace(b'"agency":"tonghua-market"', b'"agency":"x","agency":"tonghua-market"'),
        BASE.replace(b'"agency":"tonghua-market"', b'"agency":"tonghua-market "'),
        BASE.replace(b'"agency":"tonghua-market"', b'"agency":"Tonghua-market"'),
        BASE.replace(b'"log":"lawtrail.local/tonghua-market"', b'"log":null'),
        BASE.replace(b'"log":"lawtrail.local/tonghua-market"', b'"log":["lawtrail.local"]'),
        BASE.replace(b'"agency":"tonghua-market",', b""),
    ],
)
def test_the_log_decoder_never_reads_another_log_or_agency_as_its_own(body: bytes) -> None:
    # Whatever json.loads reads as another log or agency (a header mismatch for the detailed
    # pass), or as none: the log decoder refuses it (the fast path is unsure), and what it
    # reads it reads as json.loads does.
    try:
        claims = LOG_DECODE(body)
    except msgspec.ValidationError:
        return
    data = json.loads(body)
    assert (claims.log, claims.agency) == (data["log"], data["agency"])
    assert (data["log"], data["agency"]) == (HEADER["log"], HEADER["agency"])


@pytest.mark.parametrize("body", ODD)
def test_an_odd_body_is_read_by_the_log_decoder_as_json_reads_it_or_refused(body: bytes) -> None:
    try:
        body.decode("utf-8")
        claims = LOG_DECODE(body)
    except Exception:
        return
    try:
        data = json.loads(body)
    except ValueError:
        pytest.fail("the fast path read a body json.loads refuses")
    assert (claims.log, claims.agency, claims.index, claims.type, _claimed_ref(claims)) == (
        data["log"],
        data["agency"],
        data["index"],
        data["type"],
        body_ref(data),
    )
    assert type(claims.index) is type(data["index"])


RECORDS_DECODE = records_decoder(HEADER["log"], HEADER["agency"])


@pytest.mark.parametrize(("kind", "part"), PARTS)
def test_the_records_decoder_claims_what_the_general_one_claims_or_refuses(
    kind: str, part: Any
) -> None:
    # A chunk whose type column is "record" throughout is decoded by the records decoder: for
    # a record it claims what _DECODE claims; a body claiming another type it refuses (the
    # column says "record": a mismatch, which the detailed pass names).
    body = canonical_bytes({**HEADER, "type": kind, kind: part})
    general = _DECODE(body)
    if kind != "record":
        with pytest.raises(msgspec.ValidationError):
            RECORDS_DECODE(body)
        return
    claims = RECORDS_DECODE(body)
    assert (claims.log, claims.index, claims.agency, claims.case_number, claims.type) == (
        general.log,
        general.index,
        general.agency,
        general.case_number,
        general.type,
    )
    assert claims.recorded_at == general.recorded_at
    assert _claimed_ref(claims) == _claimed_ref(general) == body_ref(json.loads(body))


@pytest.mark.parametrize(
    "body",
    [
        *ODD,
        BASE.replace(b'"type":"record"', b'"type":"media","media":{"sha256":"ab"}'),
        BASE.replace(b'"type":"record"', b'"type":"record","type":"media"'),
        BASE.replace(b'"type":"record"', b'"type":"media","type":"record"'),
        BASE.replace(b'"record":{', b'"media":{"sha256":"x"},"record":{'),
        BASE.replace(b'"record":{"id":"r3","note":"\xe4\xbb\x93\xe5\xba\x93"}', b'"record":null'),
    ],
)
def test_an_odd_body_is_read_by_the_records_decoder_as_json_reads_it_or_refused(
    body: bytes,
) -> None:
    try:
        body.decode("utf-8")
        claims = RECORDS_DECODE(body)
    except Exception:
        return
    try:
        data = json.loads(body)
    except ValueError:
        pytest.fail("the fast path read a body json.loads refuses")
    assert (claims.log, claims.agency, claims.index, claims.type, _claimed_ref(claims)) == (
        data["log"],
        data["agency"],
        data["index"],
        data["type"],
        body_ref(data),
    )
    assert type(claims.index) is type(data["index"])
