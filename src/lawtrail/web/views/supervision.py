"""The supervisor's access log: every view, download and refused attempt (ledger entries of type
``access``) in the agencies the supervisor supervises, newest first.

The page picks its entries from the access log's index (:mod:`lawtrail.web.access_index`): the
filters (agency, case, user, outcome, dates), the order and the paging run in the database, each
log's part of the page one range of an index, so a page costs the same whatever the number of
access entries. It then reads those entries from
the ledger by (agency, sequence number) and shows what *they* say: each must hash to its leaf
hash and give exactly its index row's values, else it is not shown as a row but named as an
entry the index does not match (``lawtrail verify`` finds which rows were changed). Viewing this
page is not an access to any case and appends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lawtrail import config
from lawtrail.core import timeutil
from lawtrail.ledger.log import Ledger
from lawtrail.web import access_index, wiring
from lawtrail.web.access_labels import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    action_label,
    target_label,
)
from lawtrail.web.models import AccessIndex, Agency
from lawtrail.web.roles import APPROVER, SUPERVISOR
from lawtrail.web.views.common import current_user
from lawtrail.web.witness_panel import witness_overview

PER_PAGE = 50


_DATE_ERRORS = {"invalid": "日期格式应为 年-月-日，如 2026-11-23"}
_DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AccessFilter(forms.Form):
    agency = forms.ChoiceField(
        label="机关",
        required=False,
        error_messages={"invalid_choice": "只能查看您所监督机关的查阅记录"},
    )
    case = forms.CharField(label="案号", required=False, max_length=100)
    user = forms.CharField(label="用户", required=False, max_length=150)
    outcome = forms.ChoiceField(
        label="结果",
        required=False,
        choices=[("", "全部"), ("allowed", "允许"), ("denied", "拒绝")],
        error_messages={"invalid_choice": "结果只能是“允许”或“拒绝”"},
    )
    since = forms.DateField(
        label="起始日期",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=_DATE_INPUT,
        error_messages=_DATE_ERRORS,
    )
    until = forms.DateField(
        label="截止日期",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=_DATE_INPUT,
        error_messages=_DATE_ERRORS,
    )
    page = forms.IntegerField(
        required=False,
        min_value=1,
        error_messages={"invalid": "页码应为正整数", "min_value": "页码应为正整数"},
    )

    def __init__(self, data: Any, agencies: dict[str, str]) -> None:
        super().__init__(data)
        self.fields["agency"].choices = [("", "全部监督机关"), *agencies.items()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("起始日期不能晚于截止日期")
        return data


@dataclass(frozen=True)
class Row:
    at: datetime | None
    agency: str
    seq: int
    case_number: str
    user: str
    name: str
    user_agency: str
    action: str
    target: str
    outcome: str
    denied: bool
    reason: str
    ip: str
    channel: str
    # Why the index row's entry is not shown ("" for an entry shown): see access_index.matches.
    problem: str = ""


def _outcome_label(body: dict[str, Any]) -> str:
    label = OUTCOME_LABELS.get(str(body.get("outcome")), str(body.get("outcome", "")))
    counted = body.get("suppressed")
    if isinstance(counted, dict):
        # Refusals beyond the per-minute limit are counted, not logged one by one
        # (lawtrail.web.denials): the entry says how many, and until when.
        return f"{label}（另有 {counted.get('count')} 次，至 {str(counted.get('last', ''))[:19]}）"
    return label


# A log's order: newest first (its times never go back, so this is its backward walk). Merged
# across logs by time, entries of the same moment by agency: the order the page always had.
ORDER = ("-recorded_at", "-seq")
_INDEXED = ("agency_id", "seq", *access_index.COLUMNS)


def _picked(
    agencies: list[str], filters: dict[str, Any], skip: int, take: int
) -> list[dict[str, Any]]:
    """Index rows ``skip`` … ``skip + take`` of the filtered, ordered access log.

    Each log's first ``skip + take`` matching rows are one range of one of the index's indexes
    (agency, the filtered column, time): read newest first, they are merged here, as the logs'
    backward walks were. An ``agency IN (…)`` query ordered by time would let the database sort
    every row of those agencies instead."""
    since: date | None = filters.get("since")
    until: date | None = filters.get("until")
    rows = AccessIndex.objects.all()
    if since:
        rows = rows.filter(
            recorded_at__gte=datetime.combine(since, time.min, tzinfo=timeutil.SHANGHAI)
        )
    if until:
        end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=timeutil.SHANGHAI)
        rows = rows.filter(recorded_at__lt=end)
    case = (filters.get("case") or "").strip()
    if case:
        rows = rows.filter(case_number=case)
    if filters.get("outcome"):
        rows = rows.filter(outcome=filters["outcome"])
    user = (filters.get("user") or "").strip()
    # The user is a username or a display name: two ranges (an OR would not be one).
    selections = [rows.filter(username=user), rows.filter(name=user)] if user else [rows]
    found = {
        (row["agency_id"], row["seq"]): row
        for agency in agencies
        for selection in selections
        for row in selection.filter(agency_id=agency)
        .order_by(*ORDER)
        .values(*_INDEXED)[: skip + take]
    }
    merged = sorted(found.values(), key=lambda r: -r["seq"])
    merged.sort(key=lambda r: r["agency_id"])
    merged.sort(key=lambda r: r["recorded_at"], reverse=True)
    return merged[skip : skip + take]


def _page(
    ledger: Ledger,
    agencies: list[str],
    filters: dict[str, Any],
    page: int,
    names: dict[str, str],
) -> tuple[list[Row], bool]:
    """One page of rows, and whether another page follows."""
    picked = _picked(agencies, filters, (page - 1) * PER_PAGE, PER_PAGE + 1)
    shown = picked[:PER_PAGE]
    seqs: dict[str, list[int]] = {}
    for row in shown:
        seqs.setdefault(row["agency_id"], []).append(row["seq"])
    entries = {
        (agency, seq): entry
        for agency, wanted in seqs.items()
        for seq, entry in ledger.entries_at(agency, wanted).items()
    }
    rows = []
    for index_row in shown:
        agency, seq = index_row["agency_id"], index_row["seq"]
        entry = entries.get((agency, seq))
        values = {**index_row, "recorded_at": timeutil.require_aware(index_row["recorded_at"])}
        problem = "账本中没有该序号的条目" if entry is None else access_index.matches(entry, values)
        if problem or entry is None:
            rows.append(_unmatched(agency, seq, names, problem))
            continue
        data = entry.data()
        body = data["access"]
        rows.append(
            Row(
                at=timeutil.local(timeutil.parse_aware(data["recorded_at"])),
                agency=names.get(agency, agency),
                seq=seq,
                case_number=str(data.get("case_number") or ""),
                user=str(body.get("user", "")),
                name=str(body.get("name", "")),
                user_agency=names.get(str(body.get("user_agency", "")), "")
                or str(body.get("user_agency") or "（无所属机关）"),
                action=action_label(body.get("action")),
                target=target_label(body.get("target")),
                outcome=_outcome_label(body),
                denied=body.get("outcome") == "denied",
                reason=str(body.get("reason") or ""),
                ip=str(body.get("ip", "")),
                channel=CHANNEL_LABELS.get(str(body.get("channel")), str(body.get("channel", ""))),
            )
        )
    return rows, len(picked) > PER_PAGE


def _unmatched(agency: str, seq: int, names: dict[str, str], problem: str) -> Row:
    """In place of an entry the index does not match: nothing of the row is shown as fact."""
    return Row(
        at=None,
        agency=names.get(agency, agency),
        seq=seq,
        case_number="",
        user="",
        name="",
        user_agency="",
        action="",
        target="",
        outcome="",
        denied=False,
        reason="",
        ip="",
        channel="",
        problem=problem,
    )


@login_required
def access_log(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not user.has_role(SUPERVISOR):
        raise PermissionDenied("只有监督人员可以查看查阅记录")
    supervised = dict(user.supervised_agencies.order_by("code").values_list("code", "name"))
    names = dict(Agency.objects.values_list("code", "name"))
    form = AccessFilter(request.GET, supervised)
    rows: list[Row] = []
    more = False
    page = 1
    if form.is_valid():
        filters = form.cleaned_data
        page = filters.get("page") or 1
        agencies = [filters["agency"]] if filters.get("agency") else list(supervised)
        rows, more = _page(wiring.ledger(), agencies, filters, page, names)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lawtrail/access_log.html",
        {
            "form": form,
            "rows": rows,
            "unmatched": sum(1 for row in rows if row.problem),
            "page": page,
            "more": more,
            "query": query.urlencode(),
            "per_page": PER_PAGE,
        },
    )


@login_required
def witness_page(request: HttpRequest) -> HttpResponse:
    """The supervisor's witness service: its alerts and, per log, the last cosigned checkpoint
    — for the agencies the supervisor supervises, or for an agency head their own agency's."""
    user = current_user(request)
    if user.has_role(SUPERVISOR):
        codes = list(user.supervised_agencies.order_by("code").values_list("code", flat=True))
    elif user.has_role(APPROVER) and user.agency is not None:
        codes = [user.agency.code]
    else:
        raise PermissionDenied("只有监督人员和机关负责人可以查看见证服务")
    names = dict(Agency.objects.filter(code__in=codes).values_list("code", "name"))
    if user.has_role(SUPERVISOR):
        # the supervisor's own log (案卷评查, lawtrail.case_review) is witnessed like the agencies'
        names[config.supervisor_log()] = "监督机关（案卷评查）"
    return render(request, "lawtrail/witness.html", witness_overview(names))
