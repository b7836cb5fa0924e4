"""The web shell's writers for secrecy and the party's 查阅/复制 (issue #16): each checks who may,
calls :mod:`lawtrail.secrecy_service` in one transaction (the ledger shares Django's), and
rewrites nothing else — the secrecy state is read from the ledger."""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from lawtrail import secrecy_service
from lawtrail.core import party_copy, rules, secrecy, timeutil
from lawtrail.core.calendar import WorkdayCalendar
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.regulations import article_label
from lawtrail.core.secrecy import CopyRequest, Item, SecrecyError, Target, Withheld
from lawtrail.documents.party_copy import render_copy
from lawtrail.web import actions, wiring
from lawtrail.web.actions import PermissionDenied
from lawtrail.web.models import CaseIndex, User
from lawtrail.web.secrecy import disclosure, is_head

# A download link works once and for this long (the party is told when it was issued).
LINK_DAYS = 7


def _require_staff(user: User, index: CaseIndex) -> None:
    if not actions.can_write(user, index.agency_id):
        raise PermissionDenied("只有本机关的执法工作人员可以办理")


def _require_head(user: User, index: CaseIndex) -> None:
    if not is_head(user, index.agency_id):
        raise PermissionDenied("只有本机关负责人可以作出决定（第三十三条等：经行政机关负责人同意）")


def can_label(user: User, index: CaseIndex) -> bool:
    """The case team and the head label; everyone else of the agency may ask for access."""
    if not actions.can_write(user, index.agency_id):
        return False
    d = disclosure(user, index)
    return d.viewer.in_team or is_head(user, index.agency_id)


def do_label(
    user: User,
    index: CaseIndex,
    *,
    kind: str,
    target: Target,
    reason: str,
    holder: str = "",
    reference: Mapping[str, Any] | None = None,
) -> str:
    if not can_label(user, index):
        raise PermissionDenied("只有案件承办人员或负责人可以标识密级")
    with transaction.atomic():
        return secrecy_service.do_label(
            wiring.ledger(),
            index.agency_id,
            index.case_number,
            kind=kind,
            target=target,
            reason=reason,
            holder=holder,
            reference=reference,
            by=user.username,
        )


def do_lift(user: User, index: CaseIndex, label_id: str, *, reason: str) -> None:
    if not can_label(user, index):
        raise PermissionDenied("只有案件承办人员或负责人可以解除标识")
    with transaction.atomic():
        secrecy_service.do_lift(
            wiring.ledger(),
            index.agency_id,
            index.case_number,
            label_id,
            reason=reason,
            by=user.username,
        )


def do_request_access(user: User, index: CaseIndex, *, reason: str) -> str:
    _require_staff(user, index)
    if disclosure(user, index).sees_labelled:
        raise SecrecyError("您已可查看该案件的标识内容，无需申请")
    with transaction.atomic():
        return secrecy_service.do_request_access(
            wiring.ledger(), index.agency_id, index.case_number, reason=reason, by=user.username
        )


def do_decide_access(
    user: User, index: CaseIndex, request_id: str, *, granted: bool, reason: str
) -> None:
    _require_head(user, index)
    with transaction.atomic():
        secrecy_service.do_decide_access(
            wiring.ledger(),
            index.agency_id,
            index.case_number,
            request_id,
            granted=granted,
            reason=reason,
            by=user.username,
        )


# ---------------------------------------------------------------------------- copies


def copy_terms(agency: str) -> secrecy.CopyTerms | None:
    try:
        return rules.load_pack(agency).copy_terms
    except rules.PackError:
        return None


def copy_article(agency: str) -> str:
    """The agency's article on the party's copies ("第三十三条"), from its pack's rules on
    ``copy_request`` records; "" where the regulation has none (004)."""
    try:
        pack = rules.load_pack(agency)
    except rules.PackError:
        return ""
    for rule in pack.rules:
        if "copy_request" in rule.kinds:
            return article_label(rule.citation.article)
    return ""


def due(copy: CopyRequest, agency: str) -> datetime | None:
    terms = copy_terms(agency)
    if terms is None:
        return None
    return secrecy.copy_due(copy, terms, WorkdayCalendar.default())


def do_register_copy(
    user: User,
    index: CaseIndex,
    *,
    requester: Mapping[str, str],
    items: Sequence[Item],
    mode: str,
    received_via: str,
    received_at: datetime,
    note: str = "",
) -> str:
    _require_staff(user, index)
    with transaction.atomic():
        return secrecy_service.do_register_copy(
            wiring.ledger(),
            index.agency_id,
            index.case_number,
            requester=requester,
            items=items,
            mode=mode,
            received_via=received_via,
            received_at=received_at,
            note=note,
            by=user.username,
        )


def do_extend_copy(user: User, index: CaseIndex, request_id: str, *, reason: str) -> None:
    _require_head(user, index)
    with transaction.atomic():
        secrecy_service.do_extend_copy(
            wiring.ledger(),
            index.agency_id,
            index.case_number,
            request_id,
            reason=reason,
            by=user.username,
            allowed=copy_terms(index.agency_id) is not None,
        )


def do_decide_copy(
    user: User,
    index: CaseIndex,
    request_id: str,
    *,
    outcome: str,
    approved: Sequence[Item],
    withheld: Sequence[Withheld],
    reason: str,
) -> None:
    _require_head(user, index)
    with transaction.atomic():
        secrecy_service.do_decide_copy(
            wiring.ledger(),
            index.agency_id,
            index.case_number,
            request_id,
            outcome=outcome,
            approved=approved,
            withheld=withheld,
            reason=reason,
            by=user.username,
        )


def item_names(index: CaseIndex) -> dict[str, str]:
    """What each askable item of the case is, for forms and the cover: key → Chinese name."""
    case = actions.case_of(index)
    names: dict[str, str] = {}
    for record in case.records:
        kind = RECORD_KINDS.get(record.kind)
        names[f"record:{record.id}"] = kind.label if kind else record.kind
        for m in record.media:
            names.setdefault(f"media:{m.sha256}", m.filename or m.type)
    for entry in list(
        wiring.ledger().entries(
            index.agency_id, case_number=index.case_number, types=("media", "document")
        )
    ):
        data = entry.data().get(entry.type) or {}
        key = f"{entry.type}:{data.get('sha256')}"
        if entry.type == "document":
            names.setdefault(key, f"{data.get('title') or data.get('template') or '文书'}")
        else:
            names.setdefault(key, str(data.get("filename") or data.get("type") or "音像资料"))
    return names


def documents_of(index: CaseIndex) -> dict[str, str]:
    out: dict[str, str] = {}
    for entry in list(
        wiring.ledger().entries(index.agency_id, case_number=index.case_number, types=("document",))
    ):
        data = entry.data().get("document") or {}
        if data.get("record"):
            out[str(data.get("sha256"))] = str(data["record"])
    return out


@dataclass(frozen=True)
class Produced:
    sha256: str
    pages: int
    token: str  # the one-time token ("" for 光盘/U盘)
    expires_at: datetime | None
    plan: party_copy.Plan


def do_produce_copy(
    user: User,
    index: CaseIndex,
    request_id: str,
    *,
    delivery: str,
    verify_url: str,
    now: datetime | None = None,
) -> Produced:
    """Produce the copy of the approved selection (redacted, watermarked, with its cover), keep
    its bytes in the evidence store and record its digests and what was redacted; for a link,
    a one-time token whose SHA-256 only is in the ledger."""
    _require_staff(user, index)
    now = now or timeutil.now()
    ledger = wiring.ledger()
    case = actions.case_of(index)
    state = secrecy_service.state(ledger, index.agency_id, index.case_number)
    copy = state.copies.get(request_id)
    if copy is None:
        raise SecrecyError(f"查阅、复制申请 {request_id} 不存在")
    if copy.outcome not in ("whole", "part"):
        raise SecrecyError("负责人同意之前不能制作副本")
    article = copy_article(index.agency_id)
    plan = party_copy.plan(
        case,
        state.active_labels(),
        copy,
        documents=documents_of(index),
        article=article or "依法应保密的除外",
    )
    store = wiring.media_store()
    media: dict[str, bytes] = {}
    for m in plan.media:
        with store.open(m.sha256) as fh:
            media[m.sha256] = fh.read()
    terms = copy_terms(index.agency_id)
    basis = (
        f"{index.agency.name}执法全过程记录办法{article}："
        "经行政机关负责人同意，可复制使用，依法应保密的除外"
    )
    if terms is not None:
        basis += f"；{terms.source}"
    rendered = render_copy(
        wiring.renderer(),
        plan=plan,
        request=copy,
        agency=index.agency.name,
        case_number=index.case_number,
        verify_url=verify_url,
        basis=basis,
        produced_at=timeutil.format_local(now),
        names=item_names(index),
        media=media,
    )
    stored = store.put(io.BytesIO(rendered.pdf))
    token = secrets.token_urlsafe(24) if delivery == "link" else ""
    expires = now + timedelta(days=LINK_DAYS) if delivery == "link" else None
    with transaction.atomic():
        secrecy_service.do_issue_copy(
            ledger,
            index.agency_id,
            index.case_number,
            request_id,
            sha256=stored.sha256,
            sm3=stored.sm3,
            size=stored.size,
            pages=rendered.pages,
            given=plan.given,
            withheld=plan.withheld,
            redactions=plan.redactions,
            delivery=delivery,
            token_sha256=hashlib.sha256(token.encode()).hexdigest() if token else "",
            expires_at=expires,
            by=user.username,
        )
    return Produced(stored.sha256, rendered.pages, token, expires, plan)


def find_copy(request_id: str) -> tuple[str, CopyRequest] | None:
    """A copy request by its id, in whichever agency's log holds it (for the public pages)."""
    from lawtrail.web.models import Agency

    ledger = wiring.ledger()
    for agency in Agency.objects.values_list("code", flat=True):
        if ledger.log_info(agency) is None:
            continue
        for entry in ledger.entries_named(agency, secrecy.ENTRY_TYPE, request_id):
            copy = secrecy_service.state(ledger, agency, entry.case_number).copies.get(request_id)
            if copy is not None:
                return agency, copy
    return None


def issued_with_digest(sha256: str) -> list[tuple[str, CopyRequest]]:
    """Every issued copy with these bytes, in any agency."""
    from lawtrail.web.models import Agency

    ledger = wiring.ledger()
    found = []
    for agency in Agency.objects.values_list("code", flat=True):
        for copy in secrecy_service.state(ledger, agency).copies.values():
            if copy.issued is not None and copy.issued.sha256 == sha256:
                found.append((agency, copy))
    return found


def do_download(agency: str, copy: CopyRequest, token: str) -> bytes:
    """The one use of the link (refused: wrong, used, expired) → the copy's bytes."""
    with transaction.atomic():
        issued = secrecy_service.do_mark_downloaded(
            wiring.ledger(),
            agency,
            copy.case_number,
            copy.id,
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            by="",
        )
    with wiring.media_store().open(issued.sha256) as fh:
        data: bytes = fh.read()
    return data
