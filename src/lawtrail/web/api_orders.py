"""The REST API of 责令限期整改 orders (issue #14 item 4), registered on the one API of
:mod:`lawtrail.web.api`: list and read the orders of the caller's scope (the agencies it
supervises; a head: its own agency), issue one (a supervisor of the agency), answer one (the
agency's head, once). The same actions as the pages (:mod:`lawtrail.web.orders`); a read of one
order is an access of the agency's log, a refusal is logged with its reason."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest
from ninja import FileEx, Form, P, QueryEx, Schema, Status, UploadedFile
from pydantic import Field

from lawtrail import supervision
from lawtrail.core import timeutil
from lawtrail.web import accessscope, actions, orders, wiring
from lawtrail.web.api import _errors, api
from lawtrail.web.models import Agency
from lawtrail.web.views.common import client_ip, current_user

_AGENCY = r"^[a-z0-9-]{1,64}$"
Category = Literal["not_made", "leaked", "tampered", "storage", "other"]
OrderStatus = Literal["open", "overdue", "answered"]


class EvidenceOut(Schema):
    sha256: str
    sm3: str
    size: int
    filename: str


class AnswerOut(Schema):
    answered_by: str
    done: str
    evidence: list[EvidenceOut]
    answered_at: datetime
    seq: int


class OrderOut(Schema):
    id: str
    agency: str
    case_number: str
    record: str
    finding: str
    pattern: str
    category: Category
    category_label: str
    text: str
    due: date
    status: OrderStatus
    issued_by: str
    issued_at: datetime
    seq: int
    answer: AnswerOut | None


class OrderSummary(Schema):
    id: str
    agency: str
    case_number: str
    category: str
    due: date
    status: OrderStatus
    issued_by: str
    issued_at: datetime
    answered_at: datetime | None


class OrderIn(Schema):
    agency: str = Field(pattern=_AGENCY, description="被责令机关代码")
    case_number: str = Field("", max_length=100, description="案号（针对具体案件时）")
    record: str = Field("", max_length=64, description="记录编号（可选）")
    finding: str = Field("", max_length=300, description="针对的检查结果（可选）")
    pattern: str = Field(
        "", max_length=supervision.MAX_TEXT, description="不针对案件时：存在的问题"
    )
    category: Category = Field(description="问题类别（000 号第三十六条）")
    text: str = Field(min_length=1, max_length=supervision.MAX_TEXT, description="整改要求")
    due: date = Field(description="整改期限（日期，须晚于今天）")


class AnswerIn(Schema):
    done: str = Field(min_length=1, max_length=supervision.MAX_TEXT, description="整改情况")


def _out(order: supervision.Order) -> dict[str, Any]:
    answer = order.answer
    return {
        "id": order.id,
        "agency": order.agency,
        "case_number": order.case_number,
        "record": order.record,
        "finding": order.finding,
        "pattern": order.pattern,
        "category": order.category,
        "category_label": order.category_label,
        "text": order.text,
        "due": order.due,
        "status": order.status(timeutil.now()),
        "issued_by": order.issued_by,
        "issued_at": order.issued_at,
        "seq": order.seq,
        "answer": None
        if answer is None
        else {
            "answered_by": answer.answered_by,
            "done": answer.done,
            "evidence": supervision.evidence_json(answer.evidence),
            "answered_at": answer.answered_at,
            "seq": answer.seq,
        },
    }


def _order(request: HttpRequest, agency: str, order_id: str, action: str) -> supervision.Order:
    if not Agency.objects.filter(code=agency).exists():
        raise Http404("机关不存在")
    order = supervision.get_order(wiring.ledger(), agency, order_id)
    if order is None:
        raise Http404("责令整改不存在")
    accessscope.note(accessscope.Context(agency, order.case_number, action, order_id, "api"))
    orders.require_read(current_user(request), agency)
    return order


@api.get(
    "/orders",
    response={200: list[OrderSummary], **_errors(400, 403)},
    summary="责令限期整改列表",
    description="所监督机关（监督人员）或本机关（负责人）收到的责令限期整改，最新的在前；"
    "状态“已逾期”按请求时的日期判断。列表不记入查阅记录。",
    tags=["责令整改"],
)
def list_orders(
    request: HttpRequest,
    agency: QueryEx[str | None, P(pattern=_AGENCY, description="机关代码")] = None,
    status: QueryEx[OrderStatus | None, P(description="状态")] = None,
) -> list[dict[str, Any]]:
    user = current_user(request)
    if not orders.supervised(user) and not (
        user.agency_id and orders.is_head(user, user.agency_id)
    ):
        raise actions.PermissionDenied("只有监督人员和机关负责人可以查看责令整改")
    rows = orders.visible(user)
    if agency is not None:
        rows = rows.filter(agency_id=agency)
    today = timeutil.local_date(timeutil.now())
    out = []
    for row in rows:
        state = "answered" if row.answered_at else ("overdue" if today > row.due else "open")
        if status is not None and state != status:
            continue
        out.append(
            {
                "id": row.order_id,
                "agency": row.agency_id,
                "case_number": row.case_number,
                "category": row.category,
                "due": row.due,
                "status": state,
                "issued_by": row.issued_by,
                "issued_at": timeutil.local(row.issued_at),
                "answered_at": timeutil.local(row.answered_at) if row.answered_at else None,
            }
        )
    return out


@api.get(
    "/orders/{agency}/{order_id}",
    response={200: OrderOut, **_errors(403, 404)},
    summary="一项责令限期整改",
    description="责令书及答复，取自被责令机关的账本；记入该机关的查阅记录。",
    tags=["责令整改"],
)
def get_order(
    request: HttpRequest,
    agency: str,
    order_id: str,
) -> dict[str, Any]:
    order = _order(request, agency, order_id, "view_order")
    actions.do_log_access(
        current_user(request),
        agency,
        order.case_number,
        action="view_order",
        target=order_id,
        ip=client_ip(request),
        channel="api",
    )
    return _out(order)


@api.post(
    "/orders",
    response={201: OrderOut, **_errors(400, 403, 404)},
    summary="责令限期整改",
    description="监督人员对所监督机关责令限期整改（000 号第三十六条、001 号第三十条等）：针对"
    "一个案件（可指明记录和检查结果），或不针对案件而描述普遍存在的问题。记入被责令机关的账本。",
    tags=["责令整改"],
)
def issue_order(request: HttpRequest, body: OrderIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not Agency.objects.filter(code=body.agency).exists():
        raise Http404("机关不存在")
    accessscope.note(
        accessscope.Context(body.agency, body.case_number.strip(), "issue_order", "", "api")
    )
    orders.require_issue(user, body.agency)
    order = orders.do_issue_order(
        user,
        body.agency,
        category=body.category,
        text=body.text,
        due=body.due,
        case_number=body.case_number,
        record=body.record,
        finding=body.finding,
        pattern=body.pattern,
    )
    return Status(201, _out(order))


@api.post(
    "/orders/{agency}/{order_id}/answer",
    response={200: OrderOut, **_errors(400, 403, 404)},
    summary="答复责令整改",
    description="被责令机关负责人答复整改情况，每项责令只能答复一次。请求体为 multipart/form-data："
    "done（整改情况）与 evidence（证明材料文件，可多个，可无）。证明材料存入音像资料库，答复以其 "
    "SHA-256 与 SM3 摘要记入本机关账本。",
    tags=["责令整改"],
)
def answer_order(
    request: HttpRequest,
    agency: str,
    order_id: str,
    body: Form[AnswerIn],
    evidence: FileEx[list[UploadedFile] | None, P(description="证明材料（可多个）")] = None,
) -> dict[str, Any]:
    order = _order(request, agency, order_id, "answer_order")
    user = current_user(request)
    orders.require_answer(user, agency)
    if order.answer is not None:
        raise actions.PermissionDenied(f"责令整改 {order_id} 已答复，不能再次答复")
    try:
        answered = orders.do_answer_order(
            user,
            agency,
            order_id,
            done=body.done,
            evidence=[orders.EvidenceUpload(f.name or "", f.chunks()) for f in evidence or []],
        )
    except supervision.OrderRefused as exc:
        raise actions.PermissionDenied(str(exc)) from exc
    return _out(answered)
