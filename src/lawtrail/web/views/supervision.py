"""The supervisor's access log: every view, download and refused attempt (ledger entries of type
``access``) in the agencies the supervisor supervises, newest first.

The entries are streamed from the agencies' logs newest first (one cursor per agency, merged by
time) and reading stops after the requested page: the log is never loaded whole. Filters on the
case number run in the database (its index); the others on the streamed entries, and the date
range also ends the walk early (a log's times never go back). Viewing this page is not an access
to any case and appends nothing.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
from collections.abc import Generator, Iterator
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
from lawtrail.ledger.db import POSTGRESQL
from lawtrail.ledger.log import Ledger, StoredEntry
from lawtrail.web import wiring
from lawtrail.web.access_labels import (
    CHANNEL_LABELS,
    OUTCOME_LABELS,
    action_label,
    target_label,
)
from lawtrail.web.models import Agency
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
    at: datetime
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


def _time(entry: StoredEntry) -> datetime:
    return timeutil.parse_aware(entry.recorded_at)


def _newest_first(
    ledger: Ledger, agencies: list[str], case_number: str
) -> Generator[StoredEntry, None, None]:
    """Access entries of all ``agencies``, newest first (each log's times only grow, so its
    backward walk is in time order and a merge keeps the whole stream in order)."""
    streams = [
        ledger.entries(
            agency, case_number=case_number or None, types=("access",), newest_first=True
        )
        for agency in agencies
        if ledger.log_info(agency) is not None
    ]
    try:
        yield from heapq.merge(*streams, key=_time, reverse=True)
    finally:
        for stream in streams:  # end the cursors now, inside the reading transaction
            close = getattr(stream, "close", None)
            if close is not None:
                close()


def _outcome_label(body: dict[str, Any]) -> str:
    label = OUTCOME_LABELS.get(str(body.get("outcome")), str(body.get("outcome", "")))
    counted = body.get("suppressed")
    if isinstance(counted, dict):
        # Refusals beyond the per-minute limit are counted, not logged one by one
        # (lawtrail.web.denials): the entry says how many, and until when.
        return f"{label}（另有 {counted.get('count')} 次，至 {str(counted.get('last', ''))[:19]}）"
    return label


def _matches(body: dict[str, Any], user: str, outcome: str) -> bool:
    if user and user not in (body.get("user"), body.get("name")):
        return False
    return not (outcome and body.get("outcome") != outcome)


def _page(
    ledger: Ledger,
    agencies: list[str],
    filters: dict[str, Any],
    page: int,
    names: dict[str, str],
) -> tuple[list[Row], bool]:
    """One page of rows, and whether another page follows."""
    since: date | None = filters.get("since")
    until: date | None = filters.get("until")
    start = datetime.combine(since, time.min, tzinfo=timeutil.SHANGHAI) if since else None
    end = (
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=timeutil.SHANGHAI)
        if until
        else None
    )
    user = (filters.get("user") or "").strip()
    outcome = filters.get("outcome") or ""
    reading = (
        ledger.db.snapshot()  # a server-side cursor needs a transaction to stay lazy
        if ledger.db.dialect == POSTGRESQL
        else contextlib.nullcontext()
    )
    with reading:
        entries = _newest_first(ledger, agencies, (filters.get("case") or "").strip())
        try:

            def selected() -> Iterator[tuple[datetime, StoredEntry, dict[str, Any]]]:
                for entry in entries:
                    at = _time(entry)
                    if start is not None and at < start:
                        return  # everything after this is older still
                    if end is not None and at >= end:
                        continue
                    body = entry.data().get("access") or {}
                    if _matches(body, user, outcome):
                        yield at, entry, body

            skip = (page - 1) * PER_PAGE
            found = list(itertools.islice(selected(), skip, skip + PER_PAGE + 1))
        finally:
            entries.close()
    rows = [
        Row(
            at=timeutil.local(at),
            agency=names.get(entry.agency, entry.agency),
            seq=entry.seq,
            case_number=entry.case_number,
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
        for at, entry, body in found[:PER_PAGE]
    ]
    return rows, len(found) > PER_PAGE


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
