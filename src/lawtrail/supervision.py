"""责令限期整改: a supervisor's rectification order to an agency and the agency head's answer
(issue #14 item 4). Framework-free, like :mod:`lawtrail.services`: validate, append to the ledger,
one transaction per call.

The rules (regulations in ``/work/shared/regulations/``):

- a failure in the whole-process record is ordered corrected within a time limit (责令限期整改)
  by the superior organ or the competent department — 000 art. 36, 001 art. 30, 002 art. 37,
  004 art. 15; the categories of failure are 000 art. 36 (一)–(四) plus 其他;
- the 依法治市办 supervises, inspects and guides the recording work (001 art. 6).

**Where the orders live.** Each order and each answer is a ledger entry of type
``supervision`` in the log of the agency the order is addressed to — the log of the case it is
about (``case_number`` the case's; ``""`` for an order about a pattern). No new key or witness
is needed, the agency's supervisors already read and witness that log, and the order sits next
to the case it concerns. The entry's ``ref`` (:func:`lawtrail.ledger.log.body_ref`) is the order
id, shared by the order and its answer; who made it is the entry's ``actor``.

**Not in a case's archive.** Supervision entries are not part of the case file (案卷): like the
access log they are about the agency's work on the case, not the case itself, and an order may
be issued after the case was archived. So they are neither in the archive package nor in the
completeness commitment of a ``case_file`` record (:data:`lawtrail.core.completeness.ENTRY_TYPES`),
and an order issued after archiving does not break the offline verification of the package.

Body of an order: ``{"act": "order", "order", "about": {"case_number"?, "record"?, "finding"?,
"pattern"?}, "category", "text", "due" (a date: a plain due date, not working days), "issued_by"}``;
of an answer: ``{"act": "answer", "order", "answered_by", "done", "evidence": [{"sha256", "sm3",
"size", "filename"}]}``. The evidence bytes are in the content-addressed media store; the answer
commits to their digests.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from lawtrail.core import timeutil
from lawtrail.core.canonical import canonical_bytes
from lawtrail.core.caseio import FormatIssue
from lawtrail.ledger.log import Ledger, NewEntry, StoredEntry
from lawtrail.services import ServiceError

ENTRY_TYPE = "supervision"
ORDER, ANSWER = "order", "answer"

# 000 art. 36 (一)–(四) (likewise 002 art. 37, 004 art. 15): what the failure was; 其他 for the
# rest (001 art. 30: 未按规定进行全过程记录 …).
CATEGORIES: dict[str, str] = {
    "not_made": "不制作或不按要求制作执法全过程记录",
    "leaked": "违反规定泄露执法记录信息",
    "tampered": "毁损、删除、修改执法全过程中文字或音像记录信息",
    "storage": "储存、维护不当造成执法记录信息损毁、丢失",
    "other": "其他",
}
MAX_TEXT = 2000
MAX_EVIDENCE = 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_ORDER_ID = re.compile(r"^ZG[0-9]{8}-[0-9a-f]{6}$")


class OrderRefused(ServiceError):
    """The order cannot take this act (answered already, unknown): a refusal of the act."""


@dataclass(frozen=True)
class Evidence:
    sha256: str
    sm3: str
    size: int
    filename: str


@dataclass(frozen=True)
class Answer:
    answered_by: str
    done: str
    evidence: tuple[Evidence, ...]
    answered_at: datetime
    seq: int


@dataclass(frozen=True)
class Order:
    id: str
    agency: str
    case_number: str
    record: str
    finding: str
    pattern: str
    category: str
    text: str
    due: date
    issued_by: str
    issued_at: datetime
    seq: int
    answer: Answer | None = None
    later_answers: tuple[int, ...] = field(default=())  # seqs of answers beyond the first

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def answered(self) -> bool:
        return self.answer is not None

    def overdue(self, at: datetime) -> bool:
        """Open after its due date (the whole due day counts, Asia/Shanghai)."""
        return self.answer is None and timeutil.local_date(at) > self.due

    def status(self, at: datetime) -> str:
        """open | answered | overdue."""
        if self.answer is not None:
            return "answered"
        return "overdue" if self.overdue(at) else "open"


STATUS_LABELS = {"open": "待整改", "answered": "已答复", "overdue": "已逾期"}


# ---------------------------------------------------------------------------- reading


def _order_of(agency: str, entry: StoredEntry, body: Mapping[str, Any]) -> Order:
    about = body.get("about") or {}
    return Order(
        id=str(body["order"]),
        agency=agency,
        case_number=str(about.get("case_number") or ""),
        record=str(about.get("record") or ""),
        finding=str(about.get("finding") or ""),
        pattern=str(about.get("pattern") or ""),
        category=str(body.get("category") or ""),
        text=str(body.get("text") or ""),
        due=date.fromisoformat(str(body["due"])),
        issued_by=str(body.get("issued_by") or ""),
        issued_at=timeutil.local(timeutil.parse_aware(entry.recorded_at)),
        seq=entry.seq,
    )


def _answer_of(entry: StoredEntry, body: Mapping[str, Any]) -> Answer:
    return Answer(
        answered_by=str(body.get("answered_by") or ""),
        done=str(body.get("done") or ""),
        evidence=tuple(
            Evidence(
                str(e["sha256"]),
                str(e.get("sm3") or ""),
                int(e.get("size") or 0),
                str(e.get("filename") or ""),
            )
            for e in body.get("evidence") or []
        ),
        answered_at=timeutil.local(timeutil.parse_aware(entry.recorded_at)),
        seq=entry.seq,
    )


def fold(agency: str, entries: Iterable[StoredEntry]) -> dict[str, Order]:
    """The orders of these supervision entries (log order), each with its first answer — read
    from the *hashed* bodies (not the ``ref`` column)."""
    orders: dict[str, Order] = {}
    for entry in entries:
        try:
            data = entry.data()
        except ValueError:
            continue
        body = data.get(ENTRY_TYPE)
        if data.get("type") != ENTRY_TYPE or not isinstance(body, Mapping):
            continue
        order_id = body.get("order")
        if not isinstance(order_id, str):
            continue
        if body.get("act") == ORDER and order_id not in orders:
            orders[order_id] = _order_of(agency, entry, body)
        elif body.get("act") == ANSWER and order_id in orders:
            current = orders[order_id]
            if current.answer is None:
                answer = _answer_of(entry, body)
                orders[order_id] = replace(current, answer=answer)
            else:
                later = (*current.later_answers, entry.seq)
                orders[order_id] = replace(current, later_answers=later)
    return orders


def orders(ledger: Ledger, agency: str) -> list[Order]:
    """Every order to the agency, in log order (an agency without a log has none)."""
    if ledger.log_info(agency) is None:
        return []
    return list(fold(agency, list(ledger.entries(agency, types=(ENTRY_TYPE,)))).values())


def get_order(ledger: Ledger, agency: str, order_id: str) -> Order | None:
    if not _ORDER_ID.match(order_id) or ledger.log_info(agency) is None:
        return None
    return fold(agency, ledger.entries_named(agency, ENTRY_TYPE, order_id)).get(order_id)


def _case_exists(ledger: Ledger, agency: str, case_number: str) -> bool:
    for entry in list(ledger.entries(agency, case_number=case_number, types=("case",))):
        try:
            if entry.data().get("case_number") == case_number:
                return True
        except ValueError:
            continue
    return False


def _record_exists(ledger: Ledger, agency: str, case_number: str, record: str) -> bool:
    return bool(ledger.entries_named(agency, "record", record, case_number=case_number))


# ---------------------------------------------------------------------------- writing


def _text(value: object, path: str, label: str, issues: list[FormatIssue]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        issues.append(FormatIssue(path, f"请填写{label}"))
    elif len(text) > MAX_TEXT:
        issues.append(
            FormatIssue(path, f"{label}不能超过 {MAX_TEXT} 个字（当前 {len(text)} 个字）")
        )
    elif "\x00" in text:
        issues.append(FormatIssue(path, "不能包含空字符（NUL）"))
    return text


def _check_canonical(body: Mapping[str, Any], what: str) -> None:
    try:
        canonical_bytes(body)
    except ValueError as exc:
        raise ServiceError(f"{what}未通过校验", [FormatIssue("$", str(exc))]) from exc


def new_order_id(at: datetime) -> str:
    return f"ZG{timeutil.local(at):%Y%m%d}-{secrets.token_hex(3)}"


def do_issue_order(
    ledger: Ledger,
    agency: str,
    *,
    category: str,
    text: str,
    due: date,
    issued_by: str,
    case_number: str = "",
    record: str = "",
    finding: str = "",
    pattern: str = "",
    now: datetime | None = None,
) -> Order:
    """Issue a 责令限期整改 order to ``agency`` (000 art. 36, 001 art. 30, 002 art. 37,
    004 art. 15): about a case (optionally one of its records and a finding) or, without a
    case, a pattern.

    Who may issue (a supervisor of the agency, 001 art. 6) is the caller's to check; the
    supervisor's username is the entry's actor and the body's ``issued_by``."""
    now = timeutil.local(now or timeutil.now())
    issues: list[FormatIssue] = []
    if category not in CATEGORIES:
        issues.append(FormatIssue("$.category", "整改事项类别不在 000 号第三十六条所列类别中"))
    body_text = _text(text, "$.text", "整改要求", issues)
    if not isinstance(due, date) or isinstance(due, datetime):
        issues.append(FormatIssue("$.due", "整改期限应为日期"))
    elif due <= now.date():
        issues.append(FormatIssue("$.due", "整改期限应晚于今天"))
    if not issued_by:
        issues.append(FormatIssue("$.issued_by", "缺少责令人"))
    case_number = (case_number or "").strip()
    record, finding = (record or "").strip(), (finding or "").strip()
    pattern = (pattern or "").strip()
    about: dict[str, str] = {}
    if case_number:
        about["case_number"] = case_number
        if record:
            about["record"] = record
        if finding:
            about["finding"] = finding
    elif record or finding:
        issues.append(FormatIssue("$.about", "指明记录或检查结果时须同时指明案件"))
    if pattern:
        about["pattern"] = _text(pattern, "$.about.pattern", "问题描述", issues)
    elif not case_number:
        issues.append(FormatIssue("$.about.pattern", "不针对具体案件的整改须描述存在的问题"))
    if issues:
        raise ServiceError("责令整改未通过校验", issues)
    ledger.ensure_log(agency)
    with ledger.db.write():
        ledger.lock(agency)
        if case_number and not _case_exists(ledger, agency, case_number):
            raise ServiceError(
                "责令整改未通过校验",
                [FormatIssue("$.about.case_number", f"案件 {case_number} 不存在于该机关的账本中")],
            )
        if record and not _record_exists(ledger, agency, case_number, record):
            raise ServiceError(
                "责令整改未通过校验",
                [FormatIssue("$.about.record", f"案件 {case_number} 中没有记录 {record}")],
            )
        order_id = new_order_id(now)
        while ledger.entries_named(agency, ENTRY_TYPE, order_id):  # pragma: no cover - 2^24
            order_id = new_order_id(now)
        body = {
            "act": ORDER,
            "order": order_id,
            "about": about,
            "category": category,
            "text": body_text,
            "due": due.isoformat(),
            "issued_by": issued_by,
        }
        _check_canonical(body, "责令整改")
        [receipt] = ledger.append_in_transaction(
            agency, [NewEntry(case_number, ENTRY_TYPE, order_id, body, actor=issued_by)]
        )
    return Order(
        id=order_id,
        agency=agency,
        case_number=case_number,
        record=record if case_number else "",
        finding=finding if case_number else "",
        pattern=about.get("pattern", ""),
        category=category,
        text=body_text,
        due=due,
        issued_by=issued_by,
        issued_at=timeutil.local(receipt.recorded_at),
        seq=receipt.seq,
    )


def evidence_json(items: Sequence[Evidence]) -> list[dict[str, Any]]:
    return [
        {"sha256": e.sha256, "sm3": e.sm3, "size": e.size, "filename": e.filename} for e in items
    ]


def do_answer_order(
    ledger: Ledger,
    agency: str,
    order_id: str,
    *,
    done: str,
    answered_by: str,
    evidence: Sequence[Evidence] = (),
) -> Order:
    """The agency head's answer to an order: what was done, with evidence files (already in the
    media store; the answer commits to their digests). One answer per order: a second one is
    refused (:class:`OrderRefused`) — a supervisor not satisfied issues a further order.

    Who may answer (the agency's head) is the caller's to check."""
    issues: list[FormatIssue] = []
    done_text = _text(done, "$.done", "整改情况", issues)
    if not answered_by:
        issues.append(FormatIssue("$.answered_by", "缺少答复人"))
    if len(evidence) > MAX_EVIDENCE:
        issues.append(FormatIssue("$.evidence", f"证明材料不能超过 {MAX_EVIDENCE} 个文件"))
    for i, item in enumerate(evidence):
        if not _SHA256.match(item.sha256):
            issues.append(FormatIssue(f"$.evidence[{i}].sha256", "应为 64 位十六进制 SHA-256"))
        if "\x00" in item.filename or len(item.filename) > 255:
            issues.append(FormatIssue(f"$.evidence[{i}].filename", "文件名无效"))
    if issues:
        raise ServiceError("整改答复未通过校验", issues)
    if ledger.log_info(agency) is None:
        raise OrderRefused(f"责令整改 {order_id} 不存在")
    with ledger.db.write():
        ledger.lock(agency)
        order = get_order(ledger, agency, order_id)
        if order is None:
            raise OrderRefused(f"责令整改 {order_id} 不存在")
        if order.answer is not None:
            raise OrderRefused(
                f"责令整改 {order_id} 已于 {order.answer.answered_at:%Y-%m-%d %H:%M} 答复，"
                "不能再次答复；如需补充，请由监督机关另行责令"
            )
        body = {
            "act": ANSWER,
            "order": order_id,
            "answered_by": answered_by,
            "done": done_text,
            "evidence": evidence_json(evidence),
        }
        _check_canonical(body, "整改答复")
        [receipt] = ledger.append_in_transaction(
            agency, [NewEntry(order.case_number, ENTRY_TYPE, order_id, body, actor=answered_by)]
        )
    answer = Answer(
        answered_by, done_text, tuple(evidence), timeutil.local(receipt.recorded_at), receipt.seq
    )
    return replace(order, answer=answer)
