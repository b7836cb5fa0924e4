"""案卷评查 pages (issue #14 item 2): the list of samplings and sheets with the ranking of the
agencies, the form that draws a random sample of closed cases, a sampling's page (seed,
population, selection — enough to re-check the draw), the scoring page of a sampled case and a
sheet's page.

The list and the sampling pages show no case data beyond case numbers and grades. The scoring
page and a sheet's page show the case's findings: each is an access of the agency's log
(``review_form``, ``view_review``; the scoring itself ``review_case``), and a refusal is noted
against that agency and written by the access-log middleware, as for the orders' pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lawtrail import case_review, services
from lawtrail.core import review, timeutil
from lawtrail.core.rules import load_pack
from lawtrail.web import actions, dashboard, orders, reviews, wiring
from lawtrail.web.models import Agency, CaseIndex, CaseReview, User
from lawtrail.web.views.common import current_user, log_access, note_access

_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _agencies(user: User) -> dict[str, str]:
    """The agencies whose reviews the user may see; anyone else is refused (logged)."""
    codes = reviews.readable(user)
    if not codes:
        raise PermissionDenied("只有监督人员和机关负责人可以查看案卷评查")
    return dict(Agency.objects.filter(code__in=codes).order_by("code").values_list("code", "name"))


def _sampling(request: HttpRequest, sampling_id: str) -> case_review.Sampling:
    sampling = case_review.get_sampling(wiring.ledger(), reviews.log_name(), sampling_id)
    if sampling is None:
        raise Http404("抽取记录不存在")
    return sampling


# ---------------------------------------------------------------------------- list


@require_GET
@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    agencies = _agencies(user)
    only = (request.GET.get("agency") or "").strip()
    now = timeutil.now()
    context: dict[str, Any] = {
        "all_agencies": agencies,
        "only": only,
        "can_sample": bool(orders.supervised(user)),
        **{k: request.GET.get(k, "") for k in ("year", "month", "from", "to")},
    }
    try:
        if only and only not in agencies:
            raise dashboard.PeriodError(f"机关「{only}」不在您可查看的范围内")
        period = dashboard.parse_period(request.GET, timeutil.local_date(now))
    except dashboard.PeriodError as exc:
        return render(request, "lawtrail/reviews.html", {**context, "error": str(exc)})
    shown = {only: agencies[only]} if only else agencies
    samplings = list(reviews.samplings_in(shown, period))
    sheets: dict[tuple[str, str], CaseReview] = {
        (r.sampling_id, r.case_number): r
        for r in reviews.current_reviews([s.sampling_id for s in samplings])
    }
    indexes = {
        (i.agency_id, i.case_number): i.pk
        for i in CaseIndex.objects.filter(
            agency_id__in=list(shown),
            case_number__in=[c for s in samplings for c in s.selected],
        ).only("pk", "agency_id", "case_number")
    }
    rows = [
        (
            s,
            [
                (c, sheets.get((s.sampling_id, c)), indexes.get((s.agency_id, c)))
                for c in s.selected
            ],
        )
        for s in samplings
    ]
    return render(
        request,
        "lawtrail/reviews.html",
        {
            **context,
            "period": period,
            "ranking": reviews.ranking(shown, period),
            "grades": reviews.GRADE_ORDER,
            "rows": rows,
            "reviewable": orders.supervised(user),
        },
    )


# ---------------------------------------------------------------------------- sampling


class SampleForm(forms.Form):
    agency = forms.ChoiceField(
        label="被评查机关",
        error_messages={
            "invalid_choice": "只能抽取您所监督的机关的案卷",
            "required": "请选择被评查机关",
        },
    )
    period_from = forms.DateField(
        label="终结时间自",
        input_formats=["%Y-%m-%d"],
        widget=_DATE_INPUT,
        error_messages={"required": "请填写起始日期", "invalid": "日期格式应为 年-月-日"},
    )
    period_to = forms.DateField(
        label="至",
        input_formats=["%Y-%m-%d"],
        widget=_DATE_INPUT,
        error_messages={"required": "请填写截止日期", "invalid": "日期格式应为 年-月-日"},
    )
    percent = forms.IntegerField(
        label="抽取比例（%）",
        min_value=1,
        max_value=100,
        error_messages={
            "required": "请填写抽取比例",
            "invalid": "抽取比例应为整数",
            "min_value": "抽取比例应为 1 至 100 的整数",
            "max_value": "抽取比例应为 1 至 100 的整数",
        },
    )

    def __init__(self, data: Any, agencies: dict[str, str]) -> None:
        super().__init__(data)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(agencies.items())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_from"), data.get("period_to")
        if start and end:
            if end < start:
                self.add_error("period_to", "截止日期早于起始日期")
            elif not (2000 <= start.year <= 2100 and 2000 <= end.year <= 2100):
                self.add_error("period_to", "日期应在 2000 年至 2100 年之间")
        return data


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_sample(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    posted = request.method == "POST"
    agency = (request.POST.get("agency") or "").strip()
    if posted and agency and Agency.objects.filter(code=agency).exists():
        note_access(agency, "", "sample_cases")
        reviews.require_review(user, agency)
    codes = orders.supervised(user)
    if not codes:
        raise PermissionDenied("只有监督人员可以抽取评查案卷")
    agencies = dict(
        Agency.objects.filter(code__in=codes).order_by("code").values_list("code", "name")
    )
    form = SampleForm(request.POST if posted else None, agencies)
    if not posted:
        today = timeutil.local_date(timeutil.now())
        form.initial = {
            "agency": request.GET.get("agency") if request.GET.get("agency") in agencies else "",
            "period_from": date(today.year, 1, 1),
            "period_to": date(today.year, 12, 31),
            "percent": reviews.DEFAULT_PERCENT,
        }
    elif form.is_valid():
        data = form.cleaned_data
        period = reviews.period_of(data["period_from"], data["period_to"])
        try:
            sampling = reviews.do_sample(user, data["agency"], period, data["percent"])
        except services.ServiceError as exc:
            for issue in exc.issues or []:
                form.add_error(None, issue.message)
            if not exc.issues:
                form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"已从 {len(sampling.population)} 件已终结案件中随机抽取 "
                f"{len(sampling.selected)} 件（{sampling.id}），已记入监督机关账本",
            )
            return redirect("review_sampling", sampling.id)
    return render(
        request,
        "lawtrail/review_sample.html",
        {"form": form},
        status=400 if posted and form.errors else 200,
    )


@require_GET
@login_required
def review_sampling(request: HttpRequest, sampling_id: str) -> HttpResponse:
    sampling = _sampling(request, sampling_id)
    user = current_user(request)
    note_access(sampling.agency, "", "review_sampling", sampling.id)
    reviews.require_read(user, sampling.agency)
    folded = case_review.read(wiring.ledger(), reviews.log_name())
    indexes = dict(
        CaseIndex.objects.filter(
            agency_id=sampling.agency, case_number__in=sampling.selected
        ).values_list("case_number", "pk")
    )
    cases = [(c, folded.current(sampling.id, c), indexes.get(c)) for c in sampling.selected]
    return render(
        request,
        "lawtrail/review_sampling.html",
        {
            "sampling": sampling,
            "agency": Agency.objects.get(code=sampling.agency),
            "cases": cases,
            "reproduces": sampling.reproduces(),
            "can_review": reviews.can_review(user, sampling.agency),
            "log": reviews.log_name(),
        },
    )


# ---------------------------------------------------------------------------- scoring


def _field(item_id: str) -> str:
    return item_id.replace(".", "__")


class ScoreForm(forms.Form):
    def __init__(self, data: Any, sheet: review.Sheet) -> None:
        super().__init__(data)
        self.sheet = sheet
        for item in sheet.manual_items:
            self.fields[f"score_{_field(item.id)}"] = forms.IntegerField(
                label=f"{item.heading}：{item.text}",
                min_value=0,
                max_value=item.points,
                initial=item.points,
                widget=forms.NumberInput(attrs={"min": 0, "max": item.points, "step": 1}),
                error_messages={
                    "required": f"请为“{item.heading}”一项评分",
                    "invalid": f"“{item.heading}”一项的得分应为整数",
                    "min_value": f"“{item.heading}”一项的得分应为 0 至 {item.points} 的整数",
                    "max_value": f"“{item.heading}”一项的得分应为 0 至 {item.points} 的整数",
                },
            )
            self.fields[f"comment_{_field(item.id)}"] = forms.CharField(
                label="扣分理由",
                required=False,
                max_length=review.MAX_COMMENT,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"max_length": f"扣分理由不能超过 {review.MAX_COMMENT} 个字"},
            )

    def manual(self) -> dict[str, review.ManualScore]:
        data = self.cleaned_data
        return {
            item.id: review.ManualScore(
                data[f"score_{_field(item.id)}"], data.get(f"comment_{_field(item.id)}") or ""
            )
            for item in self.sheet.manual_items
        }

    def rows(self) -> list[tuple[review.Item, Any, Any]]:
        return [
            (item, self[f"score_{_field(item.id)}"], self[f"comment_{_field(item.id)}"])
            for item in self.sheet.manual_items
        ]


def _quotes(agency: str) -> dict[str, tuple[str, str]]:
    """Rule id → (title, quote) of the agency's pack, for the cited findings."""
    return {r.id: (r.title, r.citation.quote) for r in load_pack(agency).rules}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_score(request: HttpRequest, sampling_id: str, case_pk: int) -> HttpResponse:
    sampling = _sampling(request, sampling_id)
    index = CaseIndex.objects.select_related("agency").filter(pk=case_pk).first()
    if index is None or index.agency_id != sampling.agency:
        raise Http404("案件不存在")
    posted = request.method == "POST"
    user = current_user(request)
    note_access(
        sampling.agency, index.case_number, "review_case" if posted else "review_form", sampling.id
    )
    reviews.require_review(user, sampling.agency)
    if index.case_number not in sampling.selected:
        raise actions.PermissionDenied(
            f"案件 {index.case_number} 未在抽取记录 {sampling.id} 中被抽中，不能评查"
        )
    supersedes = (request.GET.get("supersedes") or request.POST.get("supersedes") or "").strip()
    current = case_review.read(wiring.ledger(), reviews.log_name()).current(
        sampling.id, index.case_number
    )
    if current is not None and supersedes != current.id:
        return redirect("review_detail", current.id)
    sheet = review.load_sheet(sampling.agency)
    form = ScoreForm(request.POST if posted else None, sheet)
    if not posted:
        log_access(request, sampling.agency, index.case_number, "review_form", sampling.id)
    elif form.is_valid():
        try:
            done = reviews.do_review(
                user, sampling, index.case_number, form.manual(), supersedes=supersedes
            )
        except case_review.ReviewRefused as exc:
            raise actions.PermissionDenied(str(exc)) from exc
        except services.ServiceError as exc:
            for issue in exc.issues or []:
                form.add_error(None, issue.message)
            if not exc.issues:
                form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"评查表已提交（{done.id}）：{done.total} 分，{done.grade}；已记入监督机关账本",
            )
            return redirect("review_detail", done.id)
    preview = case_review.preview(wiring.ledger(), sampling.agency, index.case_number)
    return render(
        request,
        "lawtrail/review_score.html",
        {
            "form": form,
            "sampling": sampling,
            "index": index,
            "sheet": sheet,
            "preview": preview,
            "auto": [s for s in preview.items if not s.item.manual],
            "auto_total": sum(s.awarded for s in preview.items if not s.item.manual),
            "manual_points": sum(i.points for i in sheet.manual_items),
            "quotes": _quotes(sampling.agency),
            "supersedes": supersedes,
        },
        status=400 if posted and form.errors else 200,
    )


@require_GET
@login_required
def review_detail(request: HttpRequest, sheet_id: str) -> HttpResponse:
    found = case_review.get_review(wiring.ledger(), reviews.log_name(), sheet_id)
    if found is None:
        raise Http404("评查表不存在")
    sheet, sampling = found
    user = current_user(request)
    note_access(sheet.agency, sheet.case_number, "view_review", sheet.id)
    reviews.require_read(user, sheet.agency)
    log_access(request, sheet.agency, sheet.case_number, "view_review", sheet.id)
    index = CaseIndex.objects.filter(agency_id=sheet.agency, case_number=sheet.case_number).first()
    form = review.load_sheet(sheet.agency)
    texts = {i.id: i.text for i in form.items}
    quotes = _quotes(sheet.agency)
    items = [
        {
            **item,
            "text": texts.get(str(item.get("id")), ""),
            "findings": [
                {**f, "quote": quotes.get(str(f.get("rule")), ("", ""))[1]}
                for f in item.get("findings") or []
            ],
        }
        for item in sheet.items
    ]
    reviewer = User.objects.filter(username=sheet.reviewed_by).first()
    return render(
        request,
        "lawtrail/review_detail.html",
        {
            "sheet": sheet,
            "sampling": sampling,
            "agency": Agency.objects.get(code=sheet.agency),
            "index": index,
            "items": items,
            "headings": [
                (
                    heading,
                    sum(int(i.get("awarded") or 0) for i in items if i["heading"] == heading),
                    p,
                )
                for heading, p in form.headings()
            ],
            "reviewer": reviewer.display_name if reviewer else sheet.reviewed_by,
            "can_rescore": sheet.current and reviews.can_review(user, sheet.agency),
            "log": reviews.log_name(),
        },
    )
