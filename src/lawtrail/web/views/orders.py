"""责令限期整改 pages (issue #14 item 4): the supervisor's list of orders and the form to issue one
(about a case, one of its findings, or a pattern), the order page with its answer, the head's
answer form and the evidence files.

Every page that shows an order is an access of the agency it is addressed to (an ``access``
entry: ``view_order``, ``order_form``, ``answer_form``, ``download_evidence``, with the order's
case number and the order id as target); a refusal is noted against that agency and written,
with its reason, by the access-log middleware. The list reads the order index
(:class:`~lawtrail.web.models.RectificationOrder`, checked by ``lawtrail verify``) and shows no
case data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from lawtrail import services, supervision
from lawtrail.core import timeutil
from lawtrail.core.engine import evaluate
from lawtrail.evidence.store import MediaNotFoundError
from lawtrail.web import actions, orders, wiring
from lawtrail.web.models import Agency, CaseIndex, RectificationOrder, User
from lawtrail.web.views.common import current_user, log_access, note_access

_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _order(request: HttpRequest, agency: str, order_id: str, action: str) -> supervision.Order:
    """The order if the user may read it (a supervisor of the agency, the agency's head); the
    read is logged — or the refusal, in the agency's log."""
    if not Agency.objects.filter(code=agency).exists():
        raise Http404("机关不存在")
    order = supervision.get_order(wiring.ledger(), agency, order_id)
    if order is None:
        raise Http404("责令整改不存在")
    note_access(agency, order.case_number, action, order_id)
    user = current_user(request)
    if not orders.can_read(user, agency):
        raise PermissionDenied("您无权查看该责令整改：只有监督人员和被责令机关负责人可以查看")
    return order


# ---------------------------------------------------------------------------- list


class OrderFilter(forms.Form):
    agency = forms.ChoiceField(label="机关", required=False)
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), ("open", "待整改"), ("overdue", "已逾期"), ("answered", "已答复")],
    )

    def __init__(self, data: Any, agencies: dict[str, str]) -> None:
        super().__init__(data)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "全部机关"), *agencies.items()]


def _status(row: RectificationOrder, today: date) -> str:
    if row.answered_at is not None:
        return "answered"
    return "overdue" if today > row.due else "open"


@require_GET
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows_qs = orders.visible(user)
    agencies = dict(
        Agency.objects.filter(code__in=orders.supervised(user)).values_list("code", "name")
    )
    if not agencies and not (user.agency_id and orders.is_head(user, user.agency_id)):
        raise PermissionDenied("只有监督人员和机关负责人可以查看责令整改")
    form = OrderFilter(request.GET or None, agencies)
    today = timeutil.local_date(timeutil.now())
    status = ""
    if form.is_bound and form.is_valid():
        if form.cleaned_data["agency"]:
            rows_qs = rows_qs.filter(agency_id=form.cleaned_data["agency"])
        status = form.cleaned_data["status"]
    rows = [(row, _status(row, today)) for row in rows_qs]
    if status:
        rows = [(row, s) for row, s in rows if s == status]
    return render(
        request,
        "lawtrail/orders.html",
        {
            "form": form,
            "rows": rows,
            "labels": supervision.STATUS_LABELS,
            "categories": supervision.CATEGORIES,
            "can_issue": bool(agencies),
            "overdue": sum(1 for _, s in rows if s == "overdue"),
            "today": today,
        },
    )


# ---------------------------------------------------------------------------- issue


class IssueForm(forms.Form):
    agency = forms.ChoiceField(
        label="被责令机关", error_messages={"invalid_choice": "只能责令您所监督的机关"}
    )
    category = forms.ChoiceField(
        label="问题类别",
        choices=list(supervision.CATEGORIES.items()),
        error_messages={"required": "请选择问题类别"},
    )
    pattern = forms.CharField(
        label="存在的问题",
        required=False,
        max_length=supervision.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="不针对具体案件时必填：描述普遍存在的问题",
    )
    text = forms.CharField(
        label="整改要求",
        max_length=supervision.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "请填写整改要求"},
    )
    due = forms.DateField(
        label="整改期限",
        input_formats=["%Y-%m-%d"],
        widget=_DATE_INPUT,
        error_messages={"required": "请填写整改期限", "invalid": "日期格式应为 年-月-日"},
    )

    def __init__(self, data: Any, agencies: dict[str, str]) -> None:
        super().__init__(data)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(agencies.items())


def _case_param(request: HttpRequest) -> CaseIndex | None:
    raw = request.GET.get("case") or request.POST.get("case") or ""
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404("案件不存在") from None
    index = CaseIndex.objects.select_related("agency").filter(pk=pk).first() if pk > 0 else None
    if index is None:
        raise Http404("案件不存在")
    return index


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def order_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    posted = request.method == "POST"
    index = _case_param(request)
    record = (request.GET.get("record") or request.POST.get("record") or "").strip()[:100]
    finding = (request.GET.get("finding") or request.POST.get("finding") or "").strip()[:300]
    if index is not None:
        note_access(index.agency_id, index.case_number, "issue_order" if posted else "order_form")
        orders.require_issue(user, index.agency_id)
        agencies = {index.agency_id: index.agency.name}
    else:
        agencies = dict(
            Agency.objects.filter(code__in=orders.supervised(user)).values_list("code", "name")
        )
        if not agencies:
            raise PermissionDenied("只有监督人员可以责令限期整改")
    form = IssueForm(request.POST if posted else None, agencies)
    if not posted:
        form.initial = {
            "agency": next(iter(agencies)),
            "due": timeutil.local_date(timeutil.now()) + timedelta(days=15),
        }
        if index is not None:
            log_access(request, index.agency_id, index.case_number, "order_form", index.case_number)
    elif form.is_valid():
        data = form.cleaned_data
        try:
            order = orders.do_issue_order(
                user,
                data["agency"],
                category=data["category"],
                text=data["text"],
                due=data["due"],
                case_number=index.case_number if index else "",
                record=record if index else "",
                finding=finding if index else "",
                pattern=data["pattern"],
            )
        except services.ServiceError as exc:
            for issue in exc.issues or []:
                form.add_error(None, issue.message)
            if not exc.issues:
                form.add_error(None, str(exc))
        else:
            messages.success(request, f"已责令限期整改（{order.id}），已记入账本")
            return redirect("order_detail", order.agency, order.id)
    findings: list[str] = []
    if index is not None:
        case = actions.case_of(index)
        findings = [f.title for f in evaluate(case, at=timeutil.now()).findings]
    return render(
        request,
        "lawtrail/order_new.html",
        {
            "form": form,
            "index": index,
            "record": record if index else "",
            "finding": finding if index else "",
            "findings": findings,
        },
        status=400 if posted and form.errors else 200,
    )


# ---------------------------------------------------------------------------- one order


@require_GET
@login_required
def order_detail(request: HttpRequest, agency: str, order_id: str) -> HttpResponse:
    order = _order(request, agency, order_id, "view_order")
    log_access(request, agency, order.case_number, "view_order", order_id)
    user = current_user(request)
    index = (
        CaseIndex.objects.filter(agency_id=agency, case_number=order.case_number).first()
        if order.case_number
        else None
    )
    names = {
        u.username: u.display_name
        for u in User.objects.filter(
            username__in=[order.issued_by, order.answer.answered_by if order.answer else ""]
        )
    }
    now = timeutil.now()
    return render(
        request,
        "lawtrail/order_detail.html",
        {
            "order": order,
            "agency": Agency.objects.get(code=agency),
            "index": index,
            "status": order.status(now),
            "status_label": supervision.STATUS_LABELS[order.status(now)],
            "issuer": names.get(order.issued_by, order.issued_by),
            "answerer": names.get(order.answer.answered_by, "") if order.answer else "",
            "can_answer": order.answer is None and orders.is_head(user, agency),
        },
    )


class AnswerForm(forms.Form):
    done = forms.CharField(
        label="整改情况",
        max_length=supervision.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "请填写整改情况"},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def order_answer(request: HttpRequest, agency: str, order_id: str) -> HttpResponse:
    posted = request.method == "POST"
    action = "answer_order" if posted else "answer_form"
    order = _order(request, agency, order_id, action)
    user = current_user(request)
    orders.require_answer(user, agency)
    if order.answer is not None:
        raise actions.PermissionDenied(
            f"责令整改 {order_id} 已答复，不能再次答复；如需补充，请由监督机关另行责令"
        )
    form = AnswerForm(request.POST if posted else None)
    if not posted:
        log_access(request, agency, order.case_number, "answer_form", order_id)
    elif form.is_valid():
        uploads = [
            orders.EvidenceUpload(f.name or "", f.chunks())
            for f in request.FILES.getlist("evidence")
        ]
        try:
            orders.do_answer_order(
                user, agency, order_id, done=form.cleaned_data["done"], evidence=uploads
            )
        except supervision.OrderRefused as exc:
            raise actions.PermissionDenied(str(exc)) from exc
        except services.ServiceError as exc:
            for issue in exc.issues or []:
                form.add_error(None, issue.message)
            if not exc.issues:
                form.add_error(None, str(exc))
        else:
            messages.success(request, "整改情况已答复，已记入账本")
            return redirect("order_detail", agency, order_id)
    return render(
        request,
        "lawtrail/order_answer.html",
        {"form": form, "order": order, "agency": Agency.objects.get(code=agency)},
        status=400 if posted and form.errors else 200,
    )


@require_GET
@login_required
def order_evidence(request: HttpRequest, agency: str, order_id: str, sha256: str) -> HttpResponse:
    order = _order(request, agency, order_id, "download_evidence")
    named = [e for e in (order.answer.evidence if order.answer else ()) if e.sha256 == sha256]
    if not named:
        raise Http404("该答复没有此证明材料")
    try:
        source = wiring.media_store().open(sha256)
    except MediaNotFoundError:
        raise Http404("证明材料不在存储中") from None
    log_access(request, agency, order.case_number, "download_evidence", sha256)

    def stream() -> Any:
        with source:
            while chunk := source.read(1 << 20):
                yield chunk

    response = StreamingHttpResponse(stream(), content_type="application/octet-stream")
    response["Content-Length"] = str(named[0].size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = content_disposition_header(
        True, named[0].filename or f"{sha256}.bin"
    )
    return response


def order_url(order: supervision.Order) -> str:
    return reverse("order_detail", args=[order.agency, order.id])
