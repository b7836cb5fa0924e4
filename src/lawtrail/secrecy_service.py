"""Secrecy labels, access requests and the party's 查阅/复制 (issue #16): the writers.
Framework-free, like :mod:`lawtrail.services`: validate, append to the ledger, one transaction
per call. The rules and the fold are in :mod:`lawtrail.core.secrecy`; who may act (the head
decides, the case team labels …) is the caller's to check.

Every act is one ledger entry of type ``secrecy`` in the agency's log, with the case's number,
the acting account as ``actor`` and the label's or request's id as ``ref`` — adding or lifting a
label, like every decision, is an act with its author and reason, never an UPDATE.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lawtrail.core import secrecy, timeutil
from lawtrail.core.canonical import canonical_bytes
from lawtrail.core.secrecy import (
    ENTRY_TYPE,
    Event,
    Item,
    SecrecyError,
    State,
    Target,
    Withheld,
)
from lawtrail.ledger.log import Ledger, NewEntry, Receipt
from lawtrail.services import ServiceError, case_json, secrecy_events

__all__ = [
    "SecrecyError",
    "do_decide_access",
    "do_decide_copy",
    "do_extend_copy",
    "do_issue_copy",
    "do_label",
    "do_lift",
    "do_mark_downloaded",
    "do_register_copy",
    "do_request_access",
    "events",
    "state",
]


def events(ledger: Ledger, agency: str, case_number: str | None = None) -> list[Event]:
    """The secrecy entries of the agency (or of one case), read from their hashed bodies."""
    return secrecy_events(ledger, agency, case_number)


def state(ledger: Ledger, agency: str, case_number: str | None = None) -> State:
    return secrecy.fold(events(ledger, agency, case_number))


def _new_id(prefix: str, now: datetime) -> str:
    return f"{prefix}{timeutil.local(now):%Y%m%d}-{secrets.token_hex(3)}"


def _append(
    ledger: Ledger, agency: str, case_number: str, ref: str, body: Mapping[str, Any], by: str
) -> Receipt:
    try:
        canonical_bytes(body)
    except ValueError as exc:
        raise SecrecyError(f"无法记入账本：{exc}") from exc
    [receipt] = ledger.append_in_transaction(
        agency, [NewEntry(case_number, ENTRY_TYPE, ref, body, actor=by)]
    )
    return receipt


def _require_case(ledger: Ledger, agency: str, case_number: str) -> dict[str, Any]:
    data = case_json(ledger, agency, case_number)
    if data is None:
        raise ServiceError(f"案件 {case_number} 不存在于机关 {agency} 的账本中")
    return data


def _check_target(data: Mapping[str, Any], ledger: Ledger, agency: str, target: Target) -> None:
    case_number = str(data.get("case_number") or "")
    if target.kind in ("record", "field"):
        records = {str(r.get("id")): r for r in data.get("records") or []}
        record = records.get(target.record)
        if record is None:
            raise SecrecyError(f"案件中没有记录 {target.record}")
        if target.kind == "field" and target.field not in (record.get("fields") or {}):
            raise SecrecyError(f"记录 {target.record} 中没有字段 {target.field}")
    if target.kind == "media" and not ledger.entries_named(
        agency, "media", target.sha256, case_number=case_number
    ):
        raise SecrecyError("案件中没有该音像资料")


# ---------------------------------------------------------------------------- labels


def do_label(
    ledger: Ledger,
    agency: str,
    case_number: str,
    *,
    kind: str,
    target: Target,
    reason: str,
    by: str,
    holder: str = "",
    reference: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> str:
    """Add a secrecy label (000 art. 34, 001 art. 29, 002 art. 35, 003 art. 27): the label's
    id. A 涉及国家秘密 label carries only its reference; content is refused."""
    now = now or timeutil.now()
    ledger.ensure_log(agency)
    with ledger.db.write():
        ledger.lock(agency)
        data = _require_case(ledger, agency, case_number)
        label_id = _new_id("BM", now)
        body = secrecy.label_body(
            label_id, kind, target, reason, holder=holder, reference=reference
        )
        _check_target(data, ledger, agency, target)
        _append(ledger, agency, case_number, label_id, body, by)
    return label_id


def do_lift(
    ledger: Ledger, agency: str, case_number: str, label_id: str, *, reason: str, by: str
) -> None:
    """Lift a label (解除): a new entry naming it and why; the label stays in the history."""
    reason = secrecy.reason_text(reason, "解除理由")
    with ledger.db.write():
        ledger.lock(agency)
        current = state(ledger, agency, case_number).labels.get(label_id)
        if current is None:
            raise SecrecyError(f"标识 {label_id} 不存在")
        if not current.active:
            raise SecrecyError(f"标识 {label_id} 已于 {current.lifted_at:%Y-%m-%d %H:%M} 解除")
        _append(
            ledger,
            agency,
            case_number,
            label_id,
            {"act": secrecy.LIFT, "label": label_id, "reason": reason},
            by,
        )


# ---------------------------------------------------------------------------- access


def do_request_access(
    ledger: Ledger,
    agency: str,
    case_number: str,
    *,
    reason: str,
    by: str,
    now: datetime | None = None,
) -> str:
    """An officer outside the case team asks the head for access to its labelled content."""
    now = now or timeutil.now()
    reason = secrecy.reason_text(reason, "申请理由")
    with ledger.db.write():
        ledger.lock(agency)
        _require_case(ledger, agency, case_number)
        current = state(ledger, agency, case_number)
        for req in current.access.values():
            if req.user == by and req.granted is None:
                raise SecrecyError(f"您已于 {req.at:%Y-%m-%d %H:%M} 申请，负责人尚未决定")
        request_id = _new_id("FW", now)
        body = {"act": secrecy.ACCESS_REQUEST, "request": request_id, "reason": reason}
        _append(ledger, agency, case_number, request_id, body, by)
    return request_id


def do_decide_access(
    ledger: Ledger,
    agency: str,
    case_number: str,
    request_id: str,
    *,
    granted: bool,
    reason: str,
    by: str,
) -> None:
    """The head's decision on an access request (an act: who, why)."""
    reason = secrecy.reason_text(reason, "决定理由")
    with ledger.db.write():
        ledger.lock(agency)
        req = state(ledger, agency, case_number).access.get(request_id)
        if req is None:
            raise SecrecyError(f"查看申请 {request_id} 不存在")
        if req.granted is not None:
            raise SecrecyError(f"查看申请 {request_id} 已决定")
        if req.user == by:
            raise SecrecyError("不能决定自己的查看申请")
        body = {
            "act": secrecy.ACCESS_DECISION,
            "request": request_id,
            "granted": bool(granted),
            "reason": reason,
        }
        _append(ledger, agency, case_number, request_id, body, by)


# ---------------------------------------------------------------------------- copies


def _case_items(ledger: Ledger, agency: str, data: Mapping[str, Any]) -> set[str]:
    """The keys of what a party may ask for in this case: its records, media, documents."""
    case_number = str(data.get("case_number") or "")
    keys = {f"record:{r.get('id')}" for r in data.get("records") or []}
    for entry in list(ledger.entries(agency, case_number=case_number, types=("media", "document"))):
        ref = entry.body_ref()
        if ref:
            keys.add(f"{entry.type}:{ref}")
    return keys


def do_register_copy(
    ledger: Ledger,
    agency: str,
    case_number: str,
    *,
    requester: Mapping[str, str],
    items: Sequence[Item],
    mode: str,
    received_via: str,
    received_at: datetime,
    by: str,
    note: str = "",
    now: datetime | None = None,
) -> str:
    """Register a party's request to read or copy (000 art. 33, 001 art. 28, 002 art. 34,
    003 art. 26): who asks, what, 查阅 or 复制, how and when it was received."""
    now = now or timeutil.now()
    timeutil.require_aware(received_at)
    name = secrecy.reason_text(requester.get("name"), "申请人姓名或名称")
    if mode not in secrecy.MODES:
        raise SecrecyError("申请类型应为查阅或复制")
    if received_via not in secrecy.RECEIVED_VIA:
        raise SecrecyError("收到方式应为：" + "、".join(secrecy.RECEIVED_VIA.values()))
    if received_at > now:
        raise SecrecyError("收到申请的时间不能晚于现在")
    if not items:
        raise SecrecyError("请选择申请查阅、复制的记录、音像资料或文书")
    with ledger.db.write():
        ledger.lock(agency)
        data = _require_case(ledger, agency, case_number)
        known = _case_items(ledger, agency, data)
        unknown = [i.key for i in items if i.key not in known]
        if unknown:
            raise SecrecyError("案件中没有：" + "、".join(unknown))
        parties = {str(p.get("id")) for p in data.get("parties") or []}
        party = str(requester.get("party") or "")
        if party and party not in parties:
            raise SecrecyError(f"案件中没有当事人 {party}")
        request_id = _new_id("CY", now)
        body: dict[str, Any] = {
            "act": secrecy.COPY_REQUEST,
            "request": request_id,
            "requester": {
                "name": name,
                "party": party,
                "contact": str(requester.get("contact") or "").strip()[:100],
            },
            "items": [i.to_json() for i in items],
            "mode": mode,
            "received_via": received_via,
            "received_at": timeutil.local(received_at).isoformat(),
            "note": str(note or "").strip()[: secrecy.MAX_TEXT],
        }
        _append(ledger, agency, case_number, request_id, body, by)
    return request_id


def _copy(ledger: Ledger, agency: str, case_number: str, request_id: str) -> secrecy.CopyRequest:
    found = state(ledger, agency, case_number).copies.get(request_id)
    if found is None:
        raise SecrecyError(f"查阅、复制申请 {request_id} 不存在")
    return found


def do_extend_copy(
    ledger: Ledger,
    agency: str,
    case_number: str,
    request_id: str,
    *,
    reason: str,
    by: str,
    allowed: bool,
) -> None:
    """Extend the answer period once (政府信息公开条例 第三十三条: with approval, by at most
    20 working days). ``allowed``: the agency's pack sets such periods."""
    if not allowed:
        raise SecrecyError("本机关的记录制度未规定答复期限，无需延长")
    reason = secrecy.reason_text(reason, "延长理由")
    with ledger.db.write():
        ledger.lock(agency)
        copy = _copy(ledger, agency, case_number, request_id)
        if copy.outcome:
            raise SecrecyError("申请已决定，不能再延长答复期限")
        if copy.extended is not None:
            raise SecrecyError("答复期限只能延长一次")
        body = {"act": secrecy.COPY_EXTENSION, "request": request_id, "reason": reason}
        _append(ledger, agency, case_number, request_id, body, by)


def do_decide_copy(
    ledger: Ledger,
    agency: str,
    case_number: str,
    request_id: str,
    *,
    outcome: str,
    approved: Sequence[Item],
    withheld: Sequence[Withheld],
    reason: str,
    by: str,
) -> None:
    """The head's decision (经行政机关负责人同意): in whole, in part (what is withheld, and why),
    or refused, with reasons."""
    if outcome not in secrecy.OUTCOMES:
        raise SecrecyError("决定应为全部同意、部分同意或不予同意")
    reason = secrecy.reason_text(reason, "决定理由")
    with ledger.db.write():
        ledger.lock(agency)
        copy = _copy(ledger, agency, case_number, request_id)
        if copy.outcome:
            raise SecrecyError(f"申请 {request_id} 已决定")
        asked = {i.key for i in copy.items}
        approved_keys = {i.key for i in approved}
        if approved_keys - asked:
            raise SecrecyError("只能同意申请中所列的内容")
        if outcome == "refused":
            approved = ()
            withheld = [Withheld(i, reason) for i in copy.items]
        elif outcome == "whole":
            approved = copy.items
            withheld = []
        else:
            if not approved:
                raise SecrecyError("部分同意须至少同意一项")
            if approved_keys == asked:
                raise SecrecyError("已同意全部内容，请选择全部同意")
            reasons = {w.item.key: w.reason.strip() for w in withheld}
            withheld = [
                Withheld(i, reasons.get(i.key) or reason)
                for i in copy.items
                if i.key not in approved_keys
            ]
        body = {
            "act": secrecy.COPY_DECISION,
            "request": request_id,
            "outcome": outcome,
            "approved": [i.to_json() for i in approved],
            "withheld": [{"item": w.item.to_json(), "reason": w.reason} for w in withheld],
            "reason": reason,
        }
        _append(ledger, agency, case_number, request_id, body, by)


def do_issue_copy(
    ledger: Ledger,
    agency: str,
    case_number: str,
    request_id: str,
    *,
    sha256: str,
    sm3: str,
    size: int,
    pages: int,
    given: Sequence[Item],
    withheld: Sequence[Withheld],
    redactions: Sequence[Mapping[str, str]],
    delivery: str,
    token_sha256: str,
    expires_at: datetime | None,
    by: str,
) -> Receipt:
    """Record the produced copy: its digests, what was given, withheld and redacted (where and
    why — never the redacted value), how it is delivered; for a link, the SHA-256 of its
    one-time token and when it expires."""
    if delivery not in secrecy.DELIVERIES:
        raise SecrecyError("交付方式应为：" + "、".join(secrecy.DELIVERIES.values()))
    with ledger.db.write():
        ledger.lock(agency)
        copy = _copy(ledger, agency, case_number, request_id)
        if copy.outcome not in ("whole", "part"):
            raise SecrecyError("负责人同意之前不能制作副本")
        if copy.issued is not None:
            raise SecrecyError(f"申请 {request_id} 的副本已制作")
        approved = {i.key for i in copy.approved}
        if any(i.key not in approved for i in given):
            raise SecrecyError("副本只能包含负责人同意提供的内容")
        body: dict[str, Any] = {
            "act": secrecy.COPY_ISSUED,
            "request": request_id,
            "sha256": sha256,
            "sm3": sm3,
            "size": size,
            "pages": pages,
            "given": [i.to_json() for i in given],
            "withheld": [{"item": w.item.to_json(), "reason": w.reason} for w in withheld],
            "redactions": [dict(r) for r in redactions],
            "delivery": delivery,
        }
        if delivery == "link":
            body["token_sha256"] = token_sha256
            body["expires_at"] = timeutil.local(expires_at).isoformat() if expires_at else ""
        return _append(ledger, agency, case_number, request_id, body, by)


def do_mark_downloaded(
    ledger: Ledger,
    agency: str,
    case_number: str,
    request_id: str,
    *,
    token_sha256: str,
    by: str,
    now: datetime | None = None,
) -> secrecy.Issued:
    """The one use of a download link: refused when the token is wrong, already used or
    expired; otherwise the download is appended (so the next use is refused)."""
    now = now or timeutil.now()
    with ledger.db.write():
        ledger.lock(agency)
        copy = _copy(ledger, agency, case_number, request_id)
        issued = copy.issued
        if issued is None or issued.delivery != "link":
            raise SecrecyError("下载链接无效")
        if not secrets.compare_digest(issued.token_sha256, token_sha256):
            raise SecrecyError("下载链接无效")
        if issued.downloaded_at is not None:
            raise SecrecyError(
                f"下载链接已于 {issued.downloaded_at:%Y-%m-%d %H:%M} 使用，只能使用一次"
            )
        if issued.expires_at is None or now > issued.expires_at:
            raise SecrecyError("下载链接已过期，请联系承办机关重新提供")
        body = {"act": secrecy.COPY_DOWNLOADED, "request": request_id, "sha256": issued.sha256}
        _append(ledger, agency, case_number, request_id, body, by)
    return issued
