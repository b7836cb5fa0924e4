"""The 待办 inbox and the steps of the internal approval chain (承办人 → 审核人 → 批准人).

The inbox reads the case index's ``pending`` (written by :func:`lawtrail.web.actions.project`
in the same transaction as every ledger write, see :mod:`lawtrail.web.inbox`); whether a task is
overdue is decided here, at request time, from its deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from lawtrail import services
from lawtrail.core import role_acts, secrecy, timeutil
from lawtrail.core.engine import evaluate
from lawtrail.core.model import Case, Record
from lawtrail.core.record_kinds import RECORD_KINDS, FieldSpec, FieldType, RoleAct
from lawtrail.core.regulations import article_label
from lawtrail.web import actions, drafts, inbox_index, orders, secrecy_actions, wiring
from lawtrail.web import secrecy as web_secrecy
from lawtrail.web.casepage import shown_value
from lawtrail.web.forms import field_json, form_context, kind_field
from lawtrail.web.inbox import (
    ACT_STEP_PREFIX,
    CHAIN_STEPS,
    REVIEW,
    STEP_LABELS,
    chain_head,
    chain_versions,
    decision_of,
    next_step,
    step_refusal,
)
from lawtrail.web.middleware import refused
from lawtrail.web.models import CaseIndex, InboxTask, RectificationOrder, User
from lawtrail.web.roles import ROLE_LABELS, SUPERVISOR
from lawtrail.web.views.common import case_for, current_user

# ---------------------------------------------------------------------------- inbox


@dataclass(frozen=True)
class Item:
    index: CaseIndex
    title: str
    who: str  # who must act: the role and the people holding it ("审核人：王五")
    kind: str
    due: datetime | None
    overdue: bool
    article: str
    regulation: str
    url: str  # the page that settles it ("" when it is not this user's to do)


def _url(row: InboxTask) -> str:
    if row.step.startswith(ACT_STEP_PREFIX) and row.record:
        return reverse("role_act", args=[row.case_id, row.record, row.step[len(ACT_STEP_PREFIX) :]])
    if row.step and row.record:
        return reverse("approval_step", args=[row.case_id, row.record])
    return reverse("record_new", args=[row.case_id, row.kind])


def _item(row: InboxTask, now: datetime, people: inbox_index.People, *, mine: bool) -> Item:
    return Item(
        index=row.case,
        title=row.title,
        who=people.names(row),
        kind=RECORD_KINDS[row.kind].label if row.kind in RECORD_KINDS else "",
        due=timeutil.local(row.due) if row.due else None,
        overdue=row.due is not None and row.due < now,
        article=article_label(row.article) if row.article is not None else "",
        regulation=row.regulation,
        url=_url(row) if mine else "",
    )


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """待办: what I must do, what I wait for from others (on the cases I handle), overdue first;
    the 责令整改 my agency must answer (a head); the overdue tasks of the agencies I supervise
    (a supervisor, read-only). Each list is an indexed query for this user
    (:mod:`lawtrail.web.inbox_index`), whatever the number of cases."""
    user = current_user(request)
    now = timeutil.now()
    people = inbox_index.People()
    rows, total = inbox_index.shown(inbox_index.mine(user))
    mine = [_item(row, now, people, mine=True) for row in rows]
    rows, waiting_total = inbox_index.shown(inbox_index.waiting(user))
    waiting = [_item(row, now, people, mine=False) for row in rows]
    supervised: list[Item] | None = None
    supervised_total = 0
    if user.has_role(SUPERVISOR):
        codes = user.supervised_agencies.values_list("code", flat=True)
        rows, supervised_total = inbox_index.shown(inbox_index.overdue_in(codes, now))
        supervised = [_item(row, now, people, mine=False) for row in rows]
    today = timeutil.local_date(now)
    # 责令限期整改 to the user's agency, for its head (000 art. 36, 001 art. 30 …): not case tasks,
    # a section of their own; and the supervisor's overdue orders.
    to_answer = None
    if user.agency_id is not None and orders.is_head(user, user.agency_id):
        to_answer = [
            (row, today > row.due)
            for row in RectificationOrder.objects.filter(
                agency_id=user.agency_id, answered_at__isnull=True
            ).order_by("due", "order_id")
        ]
    overdue_orders = None
    if user.has_role(SUPERVISOR):
        overdue_orders = list(
            RectificationOrder.objects.filter(
                agency__in=user.supervised_agencies.all(), answered_at__isnull=True, due__lt=today
            )
            .select_related("agency")
            .order_by("due", "order_id")
        )
    # 保密与查阅、复制 (issue #16): the head decides on officers' access requests and parties'
    # copy requests of the agency — read from the agency's secrecy entries.
    secrecy_tasks = None
    if user.agency_id is not None and web_secrecy.is_head(user, user.agency_id):
        secrecy_tasks = secrecy_inbox(user.agency_id)
    return render(
        request,
        "lawtrail/inbox.html",
        {
            "secrecy_tasks": secrecy_tasks,
            "to_answer": to_answer,
            "overdue_orders": overdue_orders,
            "items": mine,
            "total": total,
            "overdue_count": inbox_index.mine(user).filter(due__lt=now).count()
            if total > len(mine)
            else sum(1 for i in mine if i.overdue),
            "waiting": waiting,
            "drafts": drafts.labelled(drafts.my_drafts(user)),
            "waiting_total": waiting_total,
            "supervised": supervised,
            "supervised_total": supervised_total,
            "page_size": inbox_index.PAGE,
            "now": now,
        },
    )


@dataclass(frozen=True)
class SecrecyTask:
    index: CaseIndex
    what: str
    who: str
    since: datetime
    due: datetime | None
    overdue: bool
    url: str


def secrecy_inbox(agency: str) -> list[SecrecyTask]:
    """The head's undecided access and copy requests of the agency, the earliest due first."""
    state = secrecy.fold(services.secrecy_events(wiring.ledger(), agency))
    numbers = {r.case_number for r in state.access.values() if r.granted is None}
    numbers |= {c.case_number for c in state.copies.values() if not c.outcome}
    cases = {
        row.case_number: row
        for row in CaseIndex.objects.filter(agency_id=agency, case_number__in=numbers)
    }
    now = timeutil.now()
    tasks = []
    for req in state.access.values():
        index = cases.get(req.case_number)
        if req.granted is None and index is not None:
            url = reverse("case_secrecy", args=[index.pk])
            tasks.append(SecrecyTask(index, "申请查看标识内容", req.user, req.at, None, False, url))
    for copy in state.copies.values():
        index = cases.get(copy.case_number)
        if copy.outcome or index is None:
            continue
        due = secrecy_actions.due(copy, agency)
        what = f"当事人{secrecy.MODES.get(copy.mode, '')}申请 {copy.id}"
        url = reverse("copy_detail", args=[index.pk, copy.id])
        tasks.append(
            SecrecyTask(
                index,
                what,
                copy.requester_name,
                copy.received_at,
                due,
                due is not None and due < now,
                url,
            )
        )
    far = timeutil.end_of_day(timeutil.local_date(now).replace(year=9999))
    return sorted(tasks, key=lambda t: (t.due or far, t.since))


# ---------------------------------------------------------------------------- approval steps


class StepForm(forms.Form):
    opinion = forms.CharField(
        label="意见",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "请填写意见",
            "max_length": "意见不能超过 %(limit_value)d 个字（当前 %(show_value)d 个字）",
        },
    )
    decision = forms.ChoiceField(
        choices=[("agree", "同意"), ("disagree", "不同意")],
        error_messages={
            "required": "请选择同意或不同意",
            "invalid_choice": "请选择同意或不同意",
        },
    )


@dataclass(frozen=True)
class ChainRow:
    step: str
    person: str
    opinion: str
    reason: str
    at: datetime | None
    agreed: bool | None
    done: bool


def _person(case: Case, value: object) -> str:
    if not isinstance(value, str) or not value:
        return ""
    person = case.person(value)
    return f"{person.name}（{value}）" if person else value


def _moment(value: object) -> datetime | None:
    return timeutil.local(value) if isinstance(value, datetime) else None


def _chain_rows(case: Case, head: Record) -> list[ChainRow]:
    opinion = head.value("handler_opinion")
    rows = [
        ChainRow(
            step="承办人提出",
            person=_person(case, head.value("handler")),
            opinion=str(opinion or ""),
            reason=str(head.value("handler_reason") or ""),
            at=timeutil.local(head.at),
            agreed=None,
            done=head.has_value("handler_opinion"),
        )
    ]
    for step, (_role, person_field, opinion_field, time_field) in CHAIN_STEPS.items():
        opinion = head.value(opinion_field)
        rows.append(
            ChainRow(
                step=("审核人" if step == REVIEW else "批准人") + STEP_LABELS[step],
                person=_person(case, head.value(person_field)),
                opinion=str(opinion or ""),
                reason="",
                at=_moment(head.value(time_field)),
                agreed=decision_of(opinion),
                done=head.has_value(opinion_field),
            )
        )
    return rows


def _waiting_for(head: Record) -> str:
    step = next_step(head)
    if step is None:
        if head.has_value("approver_opinion"):
            agreed = decision_of(head.value("approver_opinion"))
            if agreed is None:
                return "审批已结束：批准人已签署意见"
            return "审批已结束：" + ("批准人同意" if agreed else "批准人不同意")
        return "承办人尚未提出意见"
    return f"等待{ROLE_LABELS[CHAIN_STEPS[step][0]]}{STEP_LABELS[step]}"


@login_required
def approval_step(request: HttpRequest, pk: int, record_id: str) -> HttpResponse:
    posting = request.method == "POST"
    index = case_for(
        request, pk, action="approval_step" if posting else "view_approval", target=record_id
    )
    user = current_user(request)
    case = actions.case_of(index)
    record = case.record(record_id)
    if record is None or record.kind != "internal_approval":
        raise Http404("审批记录不存在")
    head = chain_head(case, record_id)
    assert head is not None
    if head.id != record_id and not posting:
        return redirect("approval_step", pk=index.pk, record_id=head.id)
    refusal: str | None
    if not actions.can_write(user, index.agency_id):
        refusal = "您无权办理该机关的内部审批"
    elif head.id != record_id:
        refusal = "该审批已有新的审批环节，请在最新版本上办理"
    else:
        refusal = step_refusal(user.username, list(user.roles), head)
    form = StepForm()
    if posting:
        if refusal is not None:
            raise PermissionDenied(refusal)
        form = StepForm(request.POST)
        if form.is_valid():
            step = next_step(head)
            try:
                receipt = actions.do_approval_step(
                    user,
                    index,
                    record_id,
                    opinion=form.cleaned_data["opinion"],
                    approve=form.cleaned_data["decision"] == "agree",
                )
            except actions.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except services.ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                assert step is not None
                messages.success(
                    request, f"已记录{STEP_LABELS[step]}意见（账本序号 {receipt.seq}）"
                )
                entry = wiring.ledger().entry(receipt.agency, receipt.seq)
                new_id = (entry.body_ref() if entry is not None else None) or record_id
                return redirect("approval_step", pk=index.pk, record_id=new_id)
    step = next_step(head)
    findings = [
        (article_label(f.article), f.message)
        for f in evaluate(case, at=timeutil.now()).findings
        if f.record == head.id
    ]
    return render(
        request,
        "lawtrail/approval.html",
        {
            "index": index,
            "head": head,
            "subject": str(head.value("subject") or "内部审批"),
            "rows": _chain_rows(case, head),
            "versions": chain_versions(case, head),
            "waiting_for": _waiting_for(head),
            "form": form if refusal is None else None,
            "refusal": refusal,
            "step_label": STEP_LABELS[step] if step else "",
            "findings": findings,
        },
    )


# ---------------------------------------------------------------------------- role acts


def _act_specs(kind_id: str, act: RoleAct) -> list[FieldSpec]:
    if act.where == "av_exemption":
        return [FieldSpec("approved", "是否批准不进行音像记录", FieldType.BOOL)]
    kind = RECORD_KINDS[kind_id]
    return [kind.field(name) for name in act.fields]


def _act_form(specs: list[FieldSpec], case: Case, data: Any = None) -> forms.Form:
    form = forms.Form(data=data, label_suffix="：")
    ctx = form_context(case, [])
    for spec in specs:
        form.fields[spec.name] = kind_field(spec, ctx)
    return form


def _act_refusal(user: User, index: CaseIndex, head: Record, act: RoleAct) -> str | None:
    if not actions.can_write(user, index.agency_id):
        return "您无权在该机关的案件中办理"
    if role_acts.made(head, act):
        return f"“{act.label}”已办理"
    if act.role and act.role not in user.roles:
        role = role_acts.role_label(act.role)
        return f"“{act.label}”由{role}办理，您不是{role}"
    return None


@login_required
def role_act(request: HttpRequest, pk: int, record_id: str, act: str) -> HttpResponse:
    """One role's part of a drafted record (RecordKind.role_acts): the record as drafted, and
    for the role a form of the act's fields only; its person and time are the user and now."""
    posting = request.method == "POST"
    index = case_for(request, pk, action="role_act" if posting else "view_record", target=record_id)
    user = current_user(request)
    case = actions.case_of(index)
    if case.record(record_id) is None:
        raise Http404("记录不存在")
    head = chain_head(case, record_id)
    assert head is not None
    if head.id != record_id and not posting:
        return redirect("role_act", pk=index.pk, record_id=head.id, act=act)
    try:
        spec = actions.role_act_of(head.kind, act)
    except services.ServiceError:
        raise Http404("该记录没有这一办理事项") from None
    specs = _act_specs(head.kind, spec)
    refusal = _act_refusal(user, index, head, spec)
    if head.id != record_id:
        refusal = "该记录已有新的版本，请在最新版本上办理"
    form = _act_form(specs, case)
    status = 200
    if posting:
        if refusal is not None:
            raise PermissionDenied(refusal)
        form = _act_form(specs, case, request.POST)
        if form.is_valid():
            values = {s.name: field_json(s, form.cleaned_data.get(s.name)) for s in specs}
            try:
                receipt = actions.do_role_act(user, index, record_id, act, values)
            except actions.PermissionDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            except services.ServiceError as exc:
                form.add_error(None, str(exc))
                if isinstance(exc, services.ActRefused):
                    refused(request, str(exc))  # logged with the reason shown
                    status = 403
            else:
                messages.success(request, f"已办理{spec.label}（账本第 {receipt.seq} 条）")
                entry = wiring.ledger().entry(receipt.agency, receipt.seq)
                new_id = (entry.body_ref() if entry is not None else None) or record_id
                return redirect("record_detail", index.pk, new_id)
    kind = RECORD_KINDS[head.kind]
    # as the record page shows them: 是/否, choices and people by their Chinese names
    shown = [
        (item.label, "\n".join(item.lines) if item.lines else item.text)
        for item in (
            shown_value(f, head.fields[f.name], case)
            for f in kind.fields
            if f.name in head.fields and not f.system
        )
    ]
    return render(
        request,
        "lawtrail/role_act.html",
        {
            "index": index,
            "head": head,
            "kind": kind,
            "act": spec,
            "role": role_acts.role_label(spec.role),
            "shown": shown,
            "exemption": head.av_exemption,
            "form": form if refusal is None else None,
            "refusal": refusal,
        },
        status=status,
    )
