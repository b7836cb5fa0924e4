"""The REST API of 案卷评查 (case file review, issue #14 item 2), registered on the one API of
:mod:`lawtrail.web.api`: list the sheets of the caller's scope (the agencies it supervises; a
head: its own agency, read-only), draw a sampling, submit a sheet for a sampled case, read a
sampling or a sheet. The same actions as the pages (:mod:`lawtrail.web.reviews`); reading or
submitting a sheet is an access of the agency's log, a refusal is logged with its reason."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import P, QueryEx, Schema, Status
from pydantic import Field

from lawtrail import case_review
from lawtrail.core import review, timeutil
from lawtrail.core.caseio import FormatIssue
from lawtrail.services import ServiceError
from lawtrail.web import accessscope, actions, reviews, wiring
from lawtrail.web.api import _errors, api
from lawtrail.web.models import Agency, CaseReview
from lawtrail.web.views.common import client_ip, current_user

_AGENCY = r"^[a-z0-9-]{1,64}$"
_ITEM = r"^[a-z][a-z0-9_.-]{0,63}$"


class SamplingIn(Schema):
    agency: str = Field(pattern=_AGENCY, description="被评查机关代码")
    period_from: date = Field(description="终结时间自（含）")
    period_to: date = Field(description="终结时间至（含）")
    percent: int = Field(
        reviews.DEFAULT_PERCENT, ge=1, le=100, description="抽取比例（%），向上取整"
    )


class SamplingOut(Schema):
    id: str
    agency: str
    period_from: date
    period_to: date
    period_label: str
    percent: int
    population: list[str] = Field(description="期间内已终结的案件（案号，排序）")
    population_sha256: str
    seed: str = Field(description="随机种子：抽中的案件 = 按 SHA-256（种子 + 换行 + 案号）最小者")
    selected: list[str]
    sampled_by: str
    sampled_at: datetime
    seq: int = Field(description="在监督机关日志中的序号")


class ManualIn(Schema):
    score: int = Field(ge=0, le=100, description="得分（0 至该项分值）")
    comment: str = Field("", max_length=review.MAX_COMMENT, description="扣分理由（扣分时必填）")


class SheetIn(Schema):
    case_number: str = Field(min_length=1, max_length=100, description="被抽中的案号")
    manual: dict[str, ManualIn] = Field(description="人工评分项：评分项编号 → 得分和理由")
    supersedes: str = Field("", max_length=40, description="重新评分时：所取代的评查表编号")


class CitedOut(Schema):
    rule: str
    regulation: str
    article: int
    record: str | None
    message: str
    severity: str
    deduction: int


class ItemOut(Schema):
    id: str
    heading: str
    points: int
    awarded: int
    deduction: int
    mode: str = Field(description="auto（按规则自动评分）或 manual（评查人员评分）")
    comment: str = ""
    findings: list[CitedOut] = []


class VetoOut(Schema):
    id: str
    text: str
    finding: CitedOut


class SheetOut(Schema):
    id: str
    sampling: str
    agency: str
    case_number: str
    judged_size: int = Field(description="评查时被评查机关日志的大小")
    form_id: str
    form_version: int
    items: list[ItemOut]
    vetoes: list[VetoOut]
    unscored: list[CitedOut]
    total: int
    grade: str
    reviewed_by: str
    reviewed_at: datetime
    seq: int
    supersedes: str
    superseded_by: str


class SheetSummary(Schema):
    id: str
    sampling: str
    agency: str
    case_number: str
    total: int
    grade: str
    vetoes: int
    reviewed_by: str
    reviewed_at: datetime
    current: bool


def _sampling_out(s: case_review.Sampling) -> dict[str, Any]:
    return {
        "id": s.id,
        "agency": s.agency,
        "period_from": s.period_from,
        "period_to": s.period_to,
        "period_label": s.period_label,
        "percent": s.percent,
        "population": list(s.population),
        "population_sha256": s.population_sha256,
        "seed": s.seed,
        "selected": list(s.selected),
        "sampled_by": s.sampled_by,
        "sampled_at": s.sampled_at,
        "seq": s.seq,
    }


def _sheet_out(r: case_review.Review) -> dict[str, Any]:
    return {
        "id": r.id,
        "sampling": r.sampling,
        "agency": r.agency,
        "case_number": r.case_number,
        "judged_size": r.judged_size,
        "form_id": r.form_id,
        "form_version": r.form_version,
        "items": list(r.items),
        "vetoes": list(r.vetoes),
        "unscored": list(r.unscored),
        "total": r.total,
        "grade": r.grade,
        "reviewed_by": r.reviewed_by,
        "reviewed_at": r.reviewed_at,
        "seq": r.seq,
        "supersedes": r.supersedes,
        "superseded_by": r.superseded_by,
    }


def _sampling(request: HttpRequest, sampling_id: str, action: str) -> case_review.Sampling:
    sampling = case_review.get_sampling(wiring.ledger(), reviews.log_name(), sampling_id)
    if sampling is None:
        raise Http404("抽取记录不存在")
    accessscope.note(accessscope.Context(sampling.agency, "", action, sampling_id, "api"))
    return sampling


@api.get(
    "/reviews",
    response={200: list[SheetSummary], **_errors(400, 403)},
    summary="案卷评查表列表",
    description="所监督机关（监督人员）或本机关（负责人，只读）的案卷评查表，最新的在前；"
    "current 为 false 的已被重新评分取代。列表不记入查阅记录。",
    tags=["案卷评查"],
)
def list_reviews(
    request: HttpRequest,
    agency: QueryEx[str | None, P(pattern=_AGENCY, description="机关代码")] = None,
    current_only: QueryEx[bool, P(description="只列出未被取代的评查表")] = False,
) -> list[dict[str, Any]]:
    user = current_user(request)
    codes = reviews.readable(user)
    if not codes:
        raise actions.PermissionDenied("只有监督人员和机关负责人可以查看案卷评查")
    rows = CaseReview.objects.filter(agency_id__in=list(codes))
    if agency is not None:
        rows = rows.filter(agency_id=agency)
    if current_only:
        rows = rows.filter(superseded_by="")
    return [
        {
            "id": row.sheet_id,
            "sampling": row.sampling_id,
            "agency": row.agency_id,
            "case_number": row.case_number,
            "total": row.total,
            "grade": row.grade,
            "vetoes": row.vetoes,
            "reviewed_by": row.reviewed_by,
            "reviewed_at": timeutil.local(row.reviewed_at),
            "current": not row.superseded_by,
        }
        for row in rows
    ]


@api.post(
    "/reviews/samplings",
    response={201: SamplingOut, **_errors(400, 403, 404)},
    summary="抽取评查案卷",
    description="监督人员从所监督机关在期间内已终结的案件中随机抽取所填比例（向上取整，至少 1 件）"
    "的案卷；随机种子、案件总体和抽中的案件记入监督机关自己的账本，任何人可据此复核。",
    tags=["案卷评查"],
)
def create_sampling(request: HttpRequest, body: SamplingIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    if not Agency.objects.filter(code=body.agency).exists():
        raise Http404("机关不存在")
    accessscope.note(accessscope.Context(body.agency, "", "sample_cases", "", "api"))
    reviews.require_review(user, body.agency)
    if body.period_to < body.period_from:
        raise ServiceError(
            "抽取案卷未通过校验", [FormatIssue("$.period_to", "截止日期早于起始日期")]
        )
    sampling = reviews.do_sample(
        user, body.agency, reviews.period_of(body.period_from, body.period_to), body.percent
    )
    return Status(201, _sampling_out(sampling))


@api.get(
    "/reviews/samplings/{sampling_id}",
    response={200: SamplingOut, **_errors(403, 404)},
    summary="一次案卷抽取",
    description="抽取记录：期间、比例、案件总体、随机种子和抽中的案件，取自监督机关的账本。",
    tags=["案卷评查"],
)
def get_sampling(request: HttpRequest, sampling_id: str) -> dict[str, Any]:
    sampling = _sampling(request, sampling_id, "get_sampling")
    reviews.require_read(current_user(request), sampling.agency)
    return _sampling_out(sampling)


@api.post(
    "/reviews/samplings/{sampling_id}/sheets",
    response={201: SheetOut, **_errors(400, 403, 404)},
    summary="提交案卷评查表",
    description="监督人员对被抽中的案件评分：按规则自动评分的项由系统依当时账本中的案件计算（每项"
    "扣分引用所依据的检查结果），人工评分项在 0 至该项分值之间，扣分须说明理由；有一票否决项的为"
    "不合格。评查表提交后不能修改，重新评分须指明所取代的评查表。记入监督机关自己的账本。",
    tags=["案卷评查"],
)
def submit_review(request: HttpRequest, sampling_id: str, body: SheetIn) -> Status[dict[str, Any]]:
    sampling = _sampling(request, sampling_id, "review_case")
    case_number = body.case_number.strip()
    accessscope.note(
        accessscope.Context(sampling.agency, case_number, "review_case", sampling_id, "api")
    )
    user = current_user(request)
    reviews.require_review(user, sampling.agency)
    manual = {k: review.ManualScore(v.score, v.comment) for k, v in body.manual.items()}
    sheet = reviews.do_review(user, sampling, case_number, manual, supersedes=body.supersedes)
    actions.do_log_access(  # the answer shows the case's findings: a read of the case
        user,
        sampling.agency,
        case_number,
        action="review_case",
        target=sheet.id,
        ip=client_ip(request),
        channel="api",
    )
    return Status(201, _sheet_out(sheet))


@api.get(
    "/reviews/sheets/{sheet_id}",
    response={200: SheetOut, **_errors(403, 404)},
    summary="一份案卷评查表",
    description="评查表的各项得分、扣分所引用的检查结果、一票否决项、总分和等级，取自监督机关的账本；"
    "记入被评查机关的查阅记录。",
    tags=["案卷评查"],
)
def get_review(request: HttpRequest, sheet_id: str) -> dict[str, Any]:
    found = case_review.get_review(wiring.ledger(), reviews.log_name(), sheet_id)
    if found is None:
        raise Http404("评查表不存在")
    sheet, _ = found
    accessscope.note(
        accessscope.Context(sheet.agency, sheet.case_number, "view_review", sheet_id, "api")
    )
    user = current_user(request)
    reviews.require_read(user, sheet.agency)
    actions.do_log_access(
        user,
        sheet.agency,
        sheet.case_number,
        action="view_review",
        target=sheet_id,
        ip=client_ip(request),
        channel="api",
    )
    return _sheet_out(sheet)
