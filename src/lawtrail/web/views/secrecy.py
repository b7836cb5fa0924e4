"""保密与查阅、复制 pages (issue #16): a case's secrecy labels and access requests, the party's
查阅/复制 requests (register, the head's decision, the copy's production), and the two public
pages a party uses without an account — the one-time download and the copy's verification."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from lawtrail import secrecy_service
from lawtrail.core import secrecy, timeutil
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.secrecy import Item, SecrecyError, Target, Withheld
from lawtrail.evidence.store import MediaNotFoundError
from lawtrail.services import ServiceError
from lawtrail.web import actions, wiring
from lawtrail.web import secrecy as disclosure_mod
from lawtrail.web import secrecy_actions as sa
from lawtrail.web.forms import ShanghaiDateTimeField
from lawtrail.web.models import CaseIndex
from lawtrail.web.views.common import case_for, current_user

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _fail(form: forms.Form, exc: Exception) -> None:
    issues = getattr(exc, "issues", None)
    if issues:
        for issue in issues:
            form.add_error(None, issue.message)
    else:
        form.add_error(None, str(exc))


# ---------------------------------------------------------------------------- labels


class LabelForm(forms.Form):
    kind = forms.ChoiceField(label="密级标识", choices=list(secrecy.LABEL_KINDS.items()))
    target = forms.ChoiceField(label="标识对象")
    field_name = forms.CharField(label="字段（标识单个字段时填写字段标识）", required=False)
    holder = forms.CharField(
        label="权利人（商业秘密、个人隐私的权利人）", required=False, max_length=100
    )
    reason = forms.CharField(label="标识理由", widget=forms.Textarea(attrs={"rows": 2}))
    location = forms.CharField(label="原件存放处（涉及国家秘密）", required=False, max_length=100)
    level = forms.ChoiceField(
        label="密级（涉及国家秘密）",
        required=False,
        choices=[("", "—"), *secrecy.SECRET_LEVELS.items()],
    )
    period = forms.CharField(label="保密期限（涉及国家秘密）", required=False, max_length=100)
    custodian = forms.CharField(label="保管人（涉及国家秘密）", required=False, max_length=100)

    def __init__(self, *args: Any, targets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = targets


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}))


def _targets(index: CaseIndex) -> list[tuple[str, str]]:
    case = actions.case_of(index)
    out = [("case", "整个案件")]
    for record in case.records:
        kind = RECORD_KINDS.get(record.kind)
        out.append((f"record:{record.id}", f"记录 {record.id} {kind.label if kind else ''}"))
        for m in record.media:
            out.append((f"media:{m.sha256}", f"音像资料 {m.filename or m.sha256[:12]}"))
    return list(dict.fromkeys(out))


def _target_of(value: str, field_name: str) -> Target:
    if value == "case":
        return Target("case")
    kind, _, ref = value.partition(":")
    if kind == "media":
        return Target("media", sha256=ref)
    if field_name.strip():
        return Target("field", record=ref, field=field_name.strip())
    return Target("record", record=ref)


@require_http_methods(["GET", "POST"])
@login_required
def case_secrecy(request: HttpRequest, pk: int) -> HttpResponse:
    """保密管理: the case's labels (and their history), access requests, copy requests."""
    posted = request.method == "POST"
    index = case_for(request, pk, action="secrecy" if posted else "view_secrecy")
    user = current_user(request)
    if posted and not actions.can_write(user, index.agency_id):
        raise actions.PermissionDenied("只有本机关的执法工作人员可以标识密级或申请查看")
    targets = _targets(index)
    act = request.POST.get("act", "") if posted else ""
    label_form = LabelForm(request.POST if act == "label" else None, targets=targets)
    reason_form = ReasonForm(request.POST if act in ("lift", "request", "decide") else None)
    if posted:
        try:
            if act == "label" and label_form.is_valid():
                data = label_form.cleaned_data
                reference = {k: data[k] for k in ("location", "level", "period", "custodian")}
                sa.do_label(
                    user,
                    index,
                    kind=data["kind"],
                    target=_target_of(data["target"], data["field_name"]),
                    reason=data["reason"],
                    holder=data["holder"],
                    reference=reference,
                )
                messages.success(request, "密级标识已记入账本")
                return redirect("case_secrecy", pk)
            if act == "lift" and reason_form.is_valid():
                sa.do_lift(
                    user,
                    index,
                    request.POST.get("label", ""),
                    reason=reason_form.cleaned_data["reason"],
                )
                messages.success(request, "标识已解除，解除记录已记入账本")
                return redirect("case_secrecy", pk)
            if act == "request" and reason_form.is_valid():
                sa.do_request_access(user, index, reason=reason_form.cleaned_data["reason"])
                messages.success(request, "查看申请已提交，待负责人决定")
                return redirect("case_secrecy", pk)
            if act == "decide" and reason_form.is_valid():
                sa.do_decide_access(
                    user,
                    index,
                    request.POST.get("request", ""),
                    granted=request.POST.get("granted") == "1",
                    reason=reason_form.cleaned_data["reason"],
                )
                messages.success(request, "决定已记入账本")
                return redirect("case_secrecy", pk)
        except (SecrecyError, ServiceError) as exc:
            _fail(label_form if act == "label" else reason_form, exc)
    d = disclosure_mod.disclosure(user, index)
    labels = sorted(d.state.labels.values(), key=lambda label: label.seq)
    if d.sees_labelled and any(label.reference for label in labels):
        # The 涉及国家秘密 references are labelled content too: their view is logged.
        actions.do_log_access(
            user, index.agency_id, index.case_number, action="view_labelled", target="secrecy"
        )
    copies = sorted(d.state.copies.values(), key=lambda c: c.seq, reverse=True)
    return render(
        request,
        "lawtrail/secrecy.html",
        {
            "index": index,
            "d": d,
            "labels": [(label, _reference_rows(label)) for label in labels],
            "access": sorted(d.state.access.values(), key=lambda r: r.seq, reverse=True),
            "copies": [(c, sa.due(c, index.agency_id)) for c in copies],
            "label_form": label_form,
            "reason_form": reason_form,
            "can_label": sa.can_label(user, index),
            "can_write": actions.can_write(user, index.agency_id),
            "is_head": disclosure_mod.is_head(user, index.agency_id),
        },
        status=400 if posted else 200,
    )


def _reference_rows(label: secrecy.Label) -> list[tuple[str, str]]:
    ref = label.reference
    return [
        (
            name,
            secrecy.SECRET_LEVELS.get(ref.get(key, ""), "") if key == "level" else ref.get(key, ""),
        )
        for key, name in secrecy.STATE_SECRET_LABELS.items()
    ]


# ---------------------------------------------------------------------------- copy requests


class CopyRequestForm(forms.Form):
    name = forms.CharField(label="申请人姓名或名称", max_length=100)
    party = forms.ChoiceField(label="申请人是本案当事人", required=False)
    contact = forms.CharField(label="联系方式", required=False, max_length=100)
    mode = forms.ChoiceField(label="申请类型", choices=list(secrecy.MODES.items()))
    received_via = forms.ChoiceField(label="收到方式", choices=list(secrecy.RECEIVED_VIA.items()))
    received_at = ShanghaiDateTimeField(label="收到申请的时间", help_text="北京时间")
    items = forms.MultipleChoiceField(
        label="申请查阅、复制的内容", widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        parties: list[tuple[str, str]],
        items: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = [("", "不是（其他申请人）"), *parties]
        self.fields["items"].choices = items


def _item(key: str) -> Item:
    kind, _, ref = key.partition(":")
    return Item(kind, ref)


def _item_choices(index: CaseIndex) -> list[tuple[str, str]]:
    names = sa.item_names(index)
    return [
        (key, f"{secrecy.ITEM_TYPES.get(key.split(':')[0], '')} {key.split(':', 1)[1][:16]} {name}")
        for key, name in names.items()
    ]


@require_http_methods(["GET", "POST"])
@login_required
def copy_new(request: HttpRequest, pk: int) -> HttpResponse:
    posted = request.method == "POST"
    index = case_for(request, pk, action="register_copy" if posted else "copy_form")
    user = current_user(request)
    if not actions.can_write(user, index.agency_id):
        raise actions.PermissionDenied("只有本机关的执法工作人员可以登记查阅、复制申请")
    case = actions.case_of(index)
    form = CopyRequestForm(
        request.POST if posted else None,
        parties=[(p.id, p.name) for p in case.parties],
        items=_item_choices(index),
        initial={"received_at": timeutil.local(timeutil.now()).replace(second=0, microsecond=0)},
    )
    if posted and form.is_valid():
        data = form.cleaned_data
        try:
            request_id = sa.do_register_copy(
                user,
                index,
                requester={
                    "name": data["name"],
                    "party": data["party"],
                    "contact": data["contact"],
                },
                items=[_item(k) for k in data["items"]],
                mode=data["mode"],
                received_via=data["received_via"],
                received_at=data["received_at"],
                note=data["note"],
            )
        except (SecrecyError, ServiceError) as exc:
            _fail(form, exc)
        else:
            messages.success(request, f"查阅、复制申请 {request_id} 已登记，待负责人决定")
            return redirect("copy_detail", pk, request_id)
    return render(
        request,
        "lawtrail/copy_new.html",
        {"index": index, "form": form},
        status=400 if posted else 200,
    )


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label="决定", choices=list(secrecy.OUTCOMES.items()))
    approved = forms.MultipleChoiceField(
        label="同意提供的内容（部分同意时勾选）",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    withheld_reason = forms.CharField(
        label="不予提供部分的理由（部分同意时）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(label="决定理由", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["approved"].choices = items


class ProduceForm(forms.Form):
    delivery = forms.ChoiceField(label="交付方式", choices=list(secrecy.DELIVERIES.items()))


def _copy(index: CaseIndex, request_id: str) -> secrecy.CopyRequest:
    copy = secrecy_service.state(wiring.ledger(), index.agency_id, index.case_number).copies.get(
        request_id
    )
    if copy is None:
        raise Http404("查阅、复制申请不存在")
    return copy


@require_http_methods(["GET", "POST"])
@login_required
def copy_detail(request: HttpRequest, pk: int, request_id: str) -> HttpResponse:
    posted = request.method == "POST"
    index = case_for(request, pk, action="copy_act" if posted else "view_copy", target=request_id)
    user = current_user(request)
    if not actions.can_write(user, index.agency_id) and not disclosure_mod.is_head(
        user, index.agency_id
    ):
        raise actions.PermissionDenied("只有本机关的工作人员可以办理查阅、复制申请")
    copy = _copy(index, request_id)
    names = sa.item_names(index)
    asked = [
        (i.key, f"{secrecy.ITEM_TYPES.get(i.type, i.type)} {i.ref[:16]} {names.get(i.key, '')}")
        for i in copy.items
    ]
    act = request.POST.get("act", "") if posted else ""
    decision = DecisionForm(request.POST if act == "decide" else None, items=asked)
    extend = ReasonForm(request.POST if act == "extend" else None)
    produce = ProduceForm(request.POST if act == "produce" else None)
    if posted:
        try:
            if act == "decide" and decision.is_valid():
                data = decision.cleaned_data
                approved = [_item(k) for k in data["approved"]]
                withheld = [
                    Withheld(i, data["withheld_reason"] or data["reason"])
                    for i in copy.items
                    if i.key not in set(data["approved"])
                ]
                sa.do_decide_copy(
                    user,
                    index,
                    request_id,
                    outcome=data["outcome"],
                    approved=approved,
                    withheld=withheld,
                    reason=data["reason"],
                )
                messages.success(request, "负责人决定已记入账本")
                return redirect("copy_detail", pk, request_id)
            if act == "extend" and extend.is_valid():
                sa.do_extend_copy(user, index, request_id, reason=extend.cleaned_data["reason"])
                messages.success(request, "答复期限已延长，延长记录已记入账本")
                return redirect("copy_detail", pk, request_id)
            if act == "produce" and produce.is_valid():
                verify_url = request.build_absolute_uri(
                    reverse("copy_verify") + f"?request={request_id}"
                )
                produced = sa.do_produce_copy(
                    user,
                    index,
                    request_id,
                    delivery=produce.cleaned_data["delivery"],
                    verify_url=verify_url,
                )
                if produced.token:
                    link = request.build_absolute_uri(
                        reverse("copy_download", args=[request_id, produced.token])
                    )
                    # Shown once, to whoever produced it, to hand to the party: the ledger
                    # keeps only the token's SHA-256.
                    request.session["copy_link"] = [request_id, link]
                messages.success(request, "副本已制作，摘要与删除情况已记入账本")
                return redirect("copy_detail", pk, request_id)
        except (SecrecyError, ServiceError) as exc:
            _fail(
                {"decide": decision, "extend": extend, "produce": produce}.get(act, decision), exc
            )
    link = request.session.pop("copy_link", None)
    return render(
        request,
        "lawtrail/copy_detail.html",
        {
            "index": index,
            "copy": copy,
            "asked": asked,
            "names": names,
            "due": sa.due(copy, index.agency_id),
            "terms": sa.copy_terms(index.agency_id),
            "is_head": disclosure_mod.is_head(user, index.agency_id),
            "can_write": actions.can_write(user, index.agency_id),
            "decision": decision,
            "extend": extend,
            "produce": produce,
            "link": link[1] if link and link[0] == request_id else "",
            "now": timeutil.now(),
            "modes": secrecy.MODES,
            "vias": secrecy.RECEIVED_VIA,
            "outcomes": secrecy.OUTCOMES,
            "deliveries": secrecy.DELIVERIES,
            "item_types": secrecy.ITEM_TYPES,
        },
        status=400 if posted else 200,
    )


def _pdf_response(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@login_required
def copy_file(request: HttpRequest, pk: int, request_id: str) -> HttpResponse:
    """The issued copy, for the agency's staff to burn on a 光盘 or U盘 (logged access)."""
    index = case_for(request, pk, action="download_copy", target=request_id)
    user = current_user(request)
    if not actions.can_write(user, index.agency_id):
        raise actions.PermissionDenied("只有本机关的执法工作人员可以取得副本文件")
    copy = _copy(index, request_id)
    if copy.issued is None:
        raise Http404("副本尚未制作")
    try:
        with wiring.media_store().open(copy.issued.sha256) as fh:
            data = fh.read()
    except MediaNotFoundError:
        raise Http404("副本文件不在证据库中") from None
    return _pdf_response(data, f"{request_id}.pdf")


# ---------------------------------------------------------------------------- public


@require_GET
def copy_download(request: HttpRequest, request_id: str, token: str) -> HttpResponse:
    """The party's one-time, expiring link (no account): refused when used or expired."""
    found = sa.find_copy(request_id)
    if found is None:
        return render(request, "lawtrail/copy_public.html", {"refused": "下载链接无效"}, status=404)
    agency, copy = found
    try:
        data = sa.do_download(agency, copy, token)
    except SecrecyError as exc:
        return render(request, "lawtrail/copy_public.html", {"refused": str(exc)}, status=410)
    return _pdf_response(data, f"{request_id}.pdf")


@csrf_exempt  # anyone may check a file; nothing is written, no session is used
@require_http_methods(["GET", "POST"])
def copy_verify(request: HttpRequest) -> HttpResponse:
    """Is this the copy the agency issued? By its bytes (upload) or its SHA-256; the QR code of
    a cover leads here with the request number."""
    digest = ""
    result: str = ""
    matches: list[tuple[str, secrecy.CopyRequest]] = []
    asked = None
    request_id = request.GET.get("request", "").strip()[:40]
    if request_id:
        found = sa.find_copy(request_id)
        asked = found[1] if found else None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is not None:
            h = hashlib.sha256()
            for chunk in upload.chunks():
                h.update(chunk)
            digest = h.hexdigest()
        else:
            digest = request.POST.get("sha256", "").strip().lower()
        if not _SHA256.match(digest):
            result = "invalid"
        else:
            matches = sa.issued_with_digest(digest)
            if asked is not None:
                matches = [m for m in matches if m[1].id == asked.id]
            result = "match" if matches else "mismatch"
    return render(
        request,
        "lawtrail/copy_verify.html",
        {
            "digest": digest,
            "result": result,
            "matches": [(agency, c, _masked_name(c.requester_name)) for agency, c in matches],
            "asked": asked,
            "asked_name": _masked_name(asked.requester_name) if asked else "",
            "request_id": request_id,
        },
        status=200 if result in ("", "match") else 400 if result == "invalid" else 200,
    )


def _masked_name(name: str) -> str:
    """The recipient on a public page: the first character only (个人信息最小必要)."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""
