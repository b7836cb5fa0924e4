"""Case pages: the list, starting a case, the case page (timeline with proof status, what is
required next, findings), record forms generated from the record kinds, a record's page.

Nothing is edited or deleted: the only writes are a new case and a new record (a correction or
a void is a new record too); every other page answers GET only. A page that shows a case gets
it through :func:`case_for`, which appends the access to the ledger. A POST that appends checks
the permission itself and logs only a refused attempt: an accepted one is itself a ledger
entry, and a rejected one (bad input) stores nothing in the ledger — the input is kept as the
user's draft (:mod:`lawtrail.web.drafts`), outside the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from lawtrail.core import timeutil
from lawtrail.core.engine import evaluate
from lawtrail.core.merkle import leaf_hash
from lawtrail.core.model import Case, Record
from lawtrail.core.record_kinds import (
    MEDIA_TYPES,
    ORIGINS,
    PROCEDURES,
    RECORD_KINDS,
    SIGNATURE_ROLES,
)
from lawtrail.core.role_acts import role_label
from lawtrail.core.rules import load_pack
from lawtrail.services import ActRefused, ServiceError
from lawtrail.web import (
    actions,
    case_numbers,
    casepage,
    dashboard,
    drafts,
    inbox,
    inbox_index,
    orders,
    pagecache,
    wiring,
)
from lawtrail.web import secrecy as web_secrecy
from lawtrail.web.forms import (
    ORIGIN_KINDS,
    CaseForm,
    HeaderChangeForm,
    next_record_id,
    record_form,
)
from lawtrail.web.middleware import refused
from lawtrail.web.models import CaseIndex, User
from lawtrail.web.roles import HANDLER
from lawtrail.web.views.common import case_for, case_to_write, client_ip, current_user

ARCHIVED_FINAL = (
    "案件已归档：案卷已按档案法规定归档保存，不能再变更案件信息（如确需变更，应先撤销归档记录）"
)
STATUSES = [
    ("", "全部"),
    ("open", "办理中"),
    ("closed", "已终结"),
    ("archived", "已归档"),
    ("overdue", "已逾期"),
    ("violations", "有违规"),
]


@require_safe
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    agencies = user.readable_agencies()
    cases = CaseIndex.objects.filter(agency__in=agencies).select_related("agency", "handler")
    q = request.GET.get("q", "").strip()
    if q:
        cases = cases.filter(Q(case_number__icontains=q) | Q(title__icontains=q))
    now = timeutil.now()
    status = request.GET.get("status", "")
    filters = {
        "open": Q(closed=False),
        "closed": Q(closed=True),
        "archived": Q(archived=True),
        "overdue": Q(next_due__lt=now),
        "violations": Q(violations__gt=0),
    }
    if status in filters:
        cases = cases.filter(filters[status])
    # The dashboard's drill-down (d=1): the cases behind one of its figures, by the same
    # condition the figure counts (lawtrail.web.dashboard.drill_filter).
    drill: list[str] = []
    drill_error = ""
    drill_params = ""
    if request.GET.get("d"):
        try:
            condition, drill = dashboard.drill_filter(request.GET, now)
            cases = cases.filter(condition)
        except dashboard.PeriodError as exc:
            drill_error = str(exc)
            cases = cases.none()
        kept = request.GET.copy()
        kept.pop("page", None)
        drill_params = kept.urlencode()
    page = Paginator(cases, 50).get_page(request.GET.get("page"))
    rows = [
        {
            "index": index,
            "stage": casepage.stage_label(index.stage),
            "overdue": index.next_due is not None and index.next_due < now,
        }
        for index in page
    ]
    return render(
        request,
        "lawtrail/case_list.html",
        {
            "rows": rows,
            "page": page,
            "q": q,
            "status": status,
            "statuses": STATUSES,
            "show_agency": len(agencies) > 1,
            "drill": drill,
            "drill_error": drill_error,
            "drill_params": drill_params,
            "can_open": bool(user.agency_id) and actions.can_write(user, user.agency_id),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    agency = user.agency_id
    if not agency or not actions.can_write(user, agency):
        raise PermissionDenied("您无权立案：只有执法机关的工作人员可以在本机关立案")
    origin = request.GET.get("origin", "ex_officio")
    if origin not in ORIGIN_KINDS:
        raise Http404("未知的启动方式")
    kind = RECORD_KINDS[ORIGIN_KINDS[origin]]
    posted = request.method == "POST"
    data = request.POST if posted else None
    case_form = CaseForm(
        load_pack(agency).acts_covered,
        origin,
        lambda number: CaseIndex.objects.filter(agency_id=agency, case_number=number).exists(),
        data=data,
        suggestions=None
        if posted
        else {
            procedure: case_numbers.suggest(
                user.agency, procedure, timeutil.local_date(timeutil.now()).year
            )
            for procedure in PROCEDURES
        },
    )
    first = record_form(
        kind,
        None,
        casepage.agency_users(agency),
        parties=CaseForm.party_choices(),
        roles=user.roles,
        user=user,
        agency=agency,
        data=data,
        files=request.FILES if posted else None,
    )
    errors: list[str] = []
    if posted and (forged := first.withheld_posted()):
        raise PermissionDenied(
            f"{'、'.join(forged)}是其他角色的职责，只能由其本人在待办中办理，本次提交未记录"
        )
    if posted and case_form.is_valid() & first.is_valid():  # both, to show all errors at once
        try:
            index = actions.do_open_case_with_signatures(
                user, case_form.header(), first.record("r1"), first.images
            )
        except ServiceError as exc:
            errors = first.apply_issues(case_form.apply_issues(exc.issues))
            if not exc.issues:
                errors.append(str(exc))
        except actions.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"已立案：{index.case_number}")
            return redirect("case_detail", index.pk)
    origins = [(value, ORIGINS[value], RECORD_KINDS[k].label) for value, k in ORIGIN_KINDS.items()]
    return render(
        request,
        "lawtrail/case_new.html",
        {
            "case_form": case_form,
            "form": first,
            "kind": kind,
            "origin": origin,
            "origins": origins,
            "errors": errors,
        },
    )


@require_safe
@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The case page: where the case stands (its steps, what each waits for, from whom, by
    when), what the rules require next, the record of its acts, the findings; the ledger's
    details (sequence numbers, each entry's proof) are on its 核验 page."""
    index = case_for(request, pk, action="view_case", related=False)
    user = current_user(request)
    now = timeutil.now()
    # The content is rendered once per change of what it shows (web.pagecache, issue #18);
    # the access entry above is written for every view.
    content_key = pagecache.key(index, user, request.GET.get("p"), request)
    content = pagecache.get_or_fill(
        content_key, index.agency_id, now, lambda: _case_content(request, index, user, now)
    )
    return pagecache.framed(
        request, user, "lawtrail/case_detail.html", {"index": index}, (index.case_number,), content
    )


def _case_content(
    request: HttpRequest, index: CaseIndex, user: User, now: datetime
) -> pagecache.Content:
    """The case page's content as of ``now``, until when it stays so and the entries it shows
    (see web.pagecache)."""
    # Judged once per change of the case or of its deadlines, not once per view (issue #18).
    judged = casepage.case_judged(index.agency_id, index.case_number, now)
    evaluation, case = judged.evaluation, judged.evaluation.case
    findings = casepage.finding_rows(evaluation.findings)
    names = casepage.names_of(case, casepage.agency_users(index.agency_id))
    entries = list(
        wiring.ledger().entries(
            index.agency_id, case_number=index.case_number, types=casepage.SHOWN_TYPES
        )
    )
    # A long case shows its latest entries, a page at a time (the others a link away).
    page = casepage.timeline_page(len(entries), request.GET.get("p"))
    # The shown entries' content against their hashes, the checkpoint and the witnesses'
    # coverage of the whole case: not each entry's inclusion proof, nor the content of the
    # entries on other pages — its 核验 page proves every entry (issue #18).
    proof = casepage.proof_report(
        index.agency_id,
        index.case_number,
        inclusion=False,
        only_seqs={entries[i].seq for i in page.window} if page.count > 1 else None,
    )
    rows = casepage.timeline(case, entries, names, findings, proof, page.window)
    people = inbox_index.People()
    handler = index.handler.display_name if index.handler is not None else ""

    def who(task: Mapping[str, Any]) -> str:
        barred = {str(n) for n in task.get("not_by") or ()}
        return people.who(index.agency_id, str(task.get("role")), barred, handler)

    required = casepage.required_rows(evaluation, now)
    disclosure = web_secrecy.disclosure(user, index, case)
    steps = casepage.steps(case, judged.pending, now, who)
    html = render_to_string(
        "lawtrail/case_detail_content.html",
        {
            "index": index,
            "case": case,
            "labels": casepage.header_labels(case),
            "parties": [(p, casepage.party_kind_label(p.kind)) for p in case.parties],
            "rows": rows,
            "page": page,
            "entry_count": len(entries),
            "proof": proof,
            "proof_elsewhere": proof.elsewhere(row.seq for row in rows),
            "steps": steps,
            "required": [
                (req, who({"role": inbox.KIND_ROLE.get(req.kinds[0][0], HANDLER)}))
                if req.kinds
                else (req, "")
                for req in required
            ],
            "pending": len(judged.pending),
            "case_findings": findings.get(None, []),
            "violations": len(evaluation.violations),
            "warnings": len(evaluation.warnings),
            "menu": casepage.kind_menu(user.roles, index.agency_id),
            "can_write": actions.can_write(user, index.agency_id),
            "can_order": orders.can_issue(user, index.agency_id),
            # An archived case is final (services.do_change_header refuses): no button.
            "can_change_header": not index.archived
            and actions.can_change_header(user, index, case),
            "drafts": drafts.labelled(drafts.open_drafts(user, index, case)),
            # Personal data of natural persons: shown to those who need to know (issue #16).
            "sees_personal": disclosure.sees_personal,
            "csrf_token": pagecache.CSRF_PLACEHOLDER,
        },
        request,
    )
    # Until a deadline shown passes, the judgement ends or the viewer's access grant ends.
    until = pagecache.expiry(
        now,
        [
            judged.until,
            *(req.due for req in required),
            *(task.due for step in steps for task in step.pending),
            web_secrecy.grant_ends(disclosure.state, user.username),
        ],
    )
    shown = (entries[i] for i in page.window)
    return pagecache.Content(html, until, tuple((e.seq, leaf_hash(e.body)) for e in shown))


@require_safe
@login_required
def case_verification(request: HttpRequest, pk: int) -> HttpResponse:
    """核验: the ledger's side of the case — each entry's sequence number and proof against the
    agency's signed checkpoint and the witness's cosignature, and how to check it offline."""
    index = case_for(request, pk, action="view_verification")
    case = actions.case_of(index)
    names = casepage.names_of(case, casepage.agency_users(index.agency_id))
    proof = casepage.proof_report(index.agency_id, index.case_number)
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=casepage.SHOWN_TYPES
    )
    rows = casepage.timeline(case, entries, names, {}, proof)
    return render(
        request,
        "lawtrail/case_verification.html",
        {
            "index": index,
            "case": case,
            "rows": rows,
            "proof": proof,
            "proof_elsewhere": proof.elsewhere(row.seq for row in rows),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def case_change(request: HttpRequest, pk: int) -> HttpResponse:
    """变更案件信息 (issue #15): the form pre-filled with the case's header as it is now; a
    change is a new header entry with its reason, shown in the case's history."""
    user = current_user(request)
    posted = request.method == "POST"
    action = "change_header" if posted else "change_header_form"
    index = _case_to_write(request, pk, action=action, target="header")
    if not posted:
        case_for(request, pk, action=action)
    case = actions.case_of(index)
    if not actions.can_change_header(user, index, case):
        raise PermissionDenied(
            "您无权变更案件信息：只有本案承办人、在本案记录中的执法人员或本机关负责人可以变更"
        )
    form = HeaderChangeForm(
        case, load_pack(index.agency_id).acts_covered, data=request.POST if posted else None
    )
    errors: list[str] = []
    if not posted and index.archived:
        errors.append(ARCHIVED_FINAL)
    if posted and form.is_valid():
        try:
            receipt = actions.do_change_header(user, index, form.change())
        except ActRefused as exc:
            raise PermissionDenied(str(exc)) from exc
        except ServiceError as exc:
            errors = [str(i.message) for i in form.apply_issues(exc.issues)]
            if not exc.issues:
                errors.append(str(exc))
        except actions.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, f"已变更案件信息（账本第 {receipt.seq} 条）")
            return redirect("case_detail", pk)
    return render(
        request,
        "lawtrail/case_change.html",
        {"index": index, "case": case, "form": form, "errors": errors},
    )


def _case_to_write(request: HttpRequest, pk: int, *, action: str, target: str) -> CaseIndex:
    return case_to_write(request, pk, action=action, target=target)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def record_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """A record's form, composed as a draft (:mod:`lawtrail.web.drafts`).

    POST ``_action``: ``submit`` (the default) appends the record — unless it is refused, or
    would add a violation the user has not confirmed (``confirm_violations``): then nothing is
    appended and the input is kept as a draft, with the verdict; ``draft`` keeps the input and
    shows the verdict; ``autosave`` keeps it and answers JSON (the page's script, every few
    seconds); ``discard`` gives the draft up. GET ``?draft=<id>`` reopens a draft, checked."""
    spec = RECORD_KINDS.get(kind)
    if spec is None:
        raise Http404("未知的记录类型")
    user = current_user(request)
    posted = request.method == "POST"
    what = request.POST.get("_action", "submit") if posted else ""
    if what not in ("", "submit", "draft", "autosave", "discard"):
        raise Http404("未知的操作")
    if not posted:
        action = "record_form"
    elif what == "submit":
        action = "append_record"
    else:
        action = "save_draft"
    index = _case_to_write(request, pk, action=action, target=kind)
    if not posted:
        case_for(request, pk, action=action, target=kind)
    if spec.recorded_by and not user.has_role(spec.recorded_by):
        role = role_label(spec.recorded_by)
        raise PermissionDenied(f"“{spec.label}”是{role}的职责，只有{role}可以记录")
    if not casepage.offers_kind(index.agency_id, kind):
        raise Http404(f"“{spec.label}”是其他机关特有的文书，本机关不使用")
    case = actions.case_of(index)
    now = timeutil.now()
    draft_id = request.POST.get("draft") if posted else request.GET.get("draft")
    draft = drafts.get(user, index, case, draft_id) if draft_id else None
    if draft is not None and draft.kind != kind:
        raise Http404("草稿与该记录类型不同")
    if what == "discard":
        if draft is None:
            raise Http404("草稿不存在")
        drafts.discard(user, draft, now)
        messages.success(request, f"已放弃{spec.label}草稿")
        return redirect("case_detail", pk)
    corrects = request.GET.get("corrects") or (draft.corrects if draft is not None else "")
    correcting = None
    if corrects:
        correcting = case.record(corrects)
        if correcting is None or correcting.kind != kind:
            raise Http404("要更正的记录不存在，或与该记录类型不同")
        # The correction form is filled with the record's values: labelled content only on
        # need to know, as on the record page (issue #16).
        d = web_secrecy.disclosure(user, index, case)
        if d.touches(correcting.id) and not d.sees_labelled:
            raise PermissionDenied(
                "该记录含标识为秘密的内容，您不在本案承办人员之列，不能更正；"
                "可在本案「保密与查阅复制」页向负责人申请查看"
            )
    data = request.POST if posted else (drafts.as_post(draft) if draft is not None else None)
    form = record_form(
        spec,
        case,
        casepage.agency_users(index.agency_id),
        media=casepage.case_media(index.agency_id, index.case_number),
        correcting=correcting,
        roles=user.roles,
        user=user,
        data=data,
        files=request.FILES if posted else None,
        initial={k: v for k, v in request.GET.items() if k.startswith("f_")},
    )
    if posted and (forged := form.withheld_posted()):
        raise PermissionDenied(
            f"{'、'.join(forged)}是其他角色的职责，只能由其本人在待办中办理，本次提交未记录"
        )
    if posted:
        # Whatever happens next, what was typed is kept (a draft) — unless it is submitted.
        try:
            kept = drafts.posted_data(request.POST)
        except drafts.DraftTooLarge as exc:
            if what == "autosave":
                return JsonResponse({"saved": False, "error": str(exc)}, status=413)
            kept = None
        if what == "autosave":
            draft = drafts.save(user, index, kind, corrects, kept or {}, draft, now)
            return JsonResponse(
                {"saved": True, "draft": draft.pk, "at": timeutil.format_local(now)}
            )
    errors: list[str] = []
    status = 200
    verdict = None
    if data is not None and form.is_valid():
        record = form.record(next_record_id(case))
        confirmed = request.POST.get("confirm_violations") == "1"
        try:
            verdict = drafts.verdict(
                user, index, record, now, signature_images=[i.signature for i in form.images]
            )
            if what == "submit" and (not verdict.violations or confirmed):
                receipt = actions.do_append_record_with_signatures(user, index, record, form.images)
                drafts.mark_submitted(draft, user, record["id"], now)
                request.session["draft_done"] = request.path
                named = casepage.record_label(record["id"])  # 第7份记录, not its id
                messages.success(request, f"已记录{spec.label}（{named}，账本第 {receipt.seq} 条）")
                return redirect("record_detail", pk, record["id"])
            if what == "submit":
                errors.append("提交后将产生下列违规：请补正后再提交，或确认知晓后仍然提交")
        except ServiceError as exc:
            # Refused now (by the preview or the append itself): the issues at their fields.
            errors = form.apply_issues(exc.issues)
            if not exc.issues:
                errors.append(str(exc))
            if isinstance(exc, ActRefused) and what == "submit":
                # Another role's act: refused (403, in the access log with its reason), the
                # form kept as typed with the refusal at the field.
                refused(request, str(exc))
                status = 403
        except actions.PermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
    if posted and kept is not None:
        draft = drafts.save(user, index, kind, corrects, kept, draft, now)
    if posted and request.FILES:
        errors.append("草稿不保存已选择的文件（签名扫描件等），提交时请重新选择")
    return render(
        request,
        "lawtrail/record_form.html",
        {
            "index": index,
            "kind": spec,
            "form": form,
            "correcting": correcting,
            "errors": errors,
            "verdict": verdict,
            "draft": draft,
            "drafted": what == "draft",
            # audio/video taken or chosen inside the form (static/lawtrail/attach.js)
            "attach_url": reverse("media_upload", args=[pk])
            if "media" in form.fields and actions.can_write(user, index.agency_id)
            else "",
        },
        status=status,
    )


def _disclosed_fields(
    request: HttpRequest, index: CaseIndex, case: Case, record: Record
) -> tuple[list[casepage.ShownField], dict[str, Any]]:
    """The record's fields as this user may see them (issue #16): labelled content masked for
    whoever has no need to know — the one decision of :func:`web.secrecy.disclosure` — and
    personal data masked outside the case team; an unmasked view of labelled content is logged
    (``view_labelled``)."""
    user = current_user(request)
    d = web_secrecy.disclosure(user, index, case)
    kind = RECORD_KINDS[record.kind]
    whole = d.hidden(d.record_labels(record.id))
    out = []
    for spec in kind.fields:
        if spec.name not in record.fields:
            continue
        field = casepage.shown_value(spec, record.fields[spec.name], case)
        mask = whole or d.hidden(d.field_labels(record.id, spec.name))
        if mask:
            field = casepage.ShownField(field.label, mask)
        elif not d.sees_personal:
            field = casepage.ShownField(
                field.label,
                d.personal(field.text),
                tuple(d.personal(line) for line in field.lines),
                field.record,
            )
        out.append(field)
    touched = d.touches(record.id)
    if touched and d.sees_labelled:
        actions.do_log_access(
            user,
            index.agency_id,
            index.case_number,
            action="view_labelled",
            target=record.id,
            ip=client_ip(request),
        )
    labels = [lb.kind_label for lb in d.labels if lb.covers_record(record.id)] + [
        lb.kind_label
        for lb in d.labels
        if lb.target.kind == "field" and lb.target.record == record.id
    ]
    note = {
        "labels": "、".join(dict.fromkeys(labels)),
        "masked": touched and not d.sees_labelled,
        "pending": d.pending_request(),
    }
    return out, note


@require_safe
@login_required
def record_detail(request: HttpRequest, pk: int, record_id: str) -> HttpResponse:
    index = case_for(request, pk, action="view_record", target=record_id)
    user = current_user(request)
    case = actions.case_of(index)
    record = case.record(record_id)
    if record is None:
        raise Http404("记录不存在")
    corrected, voided = casepage.supersessions(case)
    findings = casepage.finding_rows(evaluate(case).findings).get(record_id, [])
    entry = casepage.record_entry(index.agency_id, index.case_number, record_id)
    shown, secrecy_note = _disclosed_fields(request, index, case, record)
    context: dict[str, Any] = {
        "index": index,
        "case": case,
        "record": record,
        "kind": RECORD_KINDS[record.kind],
        "fields": shown,
        "secrecy": secrecy_note,
        "officers": [
            (case.person(o.person), o.person, o.certificate_shown) for o in record.officers
        ],
        "signatures": casepage.shown_signatures(case, record),
        "refusals": [
            (r, SIGNATURE_ROLES.get(r.role, r.role), case.party(r.party)) for r in record.refusals
        ],
        "media": [(m, MEDIA_TYPES.get(m.type, m.type)) for m in record.media],
        "av_approver": (
            casepage.names_of(case, []).get(record.av_exemption.approved_by, "")
            if record.av_exemption and record.av_exemption.approved_by
            else ""
        ),
        "entry": entry,
        "leaf_hash": entry.leaf_hash.hex() if entry else "",
        "corrected_by": corrected.get(record_id, []),
        "voided_by": voided.get(record_id, []),
        "effective": any(r.id == record_id for r in case.effective_records()),
        "findings": findings,
        "can_write": actions.can_write(user, index.agency_id),
    }
    return render(request, "lawtrail/record_detail.html", context)
