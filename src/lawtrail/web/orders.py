"""The web shell's writers and readers of 责令限期整改 orders (issue #14 item 4).

Who may (checked here, the services check the data, :mod:`lawtrail.supervision`):

- issue: a supervisor of the agency (``User.supervised_agencies``) — the 依法治市办 supervises
  the recording work (001 art. 6) and orders failures corrected within a time limit (000 art. 36,
  001 art. 30, 002 art. 37, 004 art. 15);
- answer: the agency's head (role 负责人/批准人, of the order's agency), once per order;
- read: the supervisors of the agency and the agency's head.

Each write appends the ledger entry and rewrites the order's index row in one transaction. The
evidence files of an answer are streamed into the media store first (as
:func:`lawtrail.web.actions.do_ingest_media` does: an upload must not hold the write lock); a
refused answer can leave an unreferenced file in the store, never a ledger entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from django.db import transaction
from django.db.models import QuerySet

from lawtrail import supervision
from lawtrail.core.caseio import FormatIssue
from lawtrail.services import ServiceError
from lawtrail.web import wiring
from lawtrail.web.actions import PermissionDenied
from lawtrail.web.models import RectificationOrder, User
from lawtrail.web.order_index import order_values
from lawtrail.web.roles import APPROVER, SUPERVISOR

MAX_EVIDENCE_SIZE = 200 * 1024 * 1024


# ---------------------------------------------------------------------------- who may


def supervised(user: User) -> set[str]:
    """The agencies this user may order (a supervisor's supervised agencies)."""
    if not user.is_active or not user.has_role(SUPERVISOR):
        return set()
    return set(user.supervised_agencies.values_list("code", flat=True))


def is_head(user: User, agency: str) -> bool:
    return user.is_active and user.has_role(APPROVER) and user.agency_id == agency


def can_issue(user: User, agency: str) -> bool:
    return agency in supervised(user)


def can_read(user: User, agency: str) -> bool:
    return can_issue(user, agency) or is_head(user, agency)


def require_issue(user: User, agency: str) -> None:
    if not can_issue(user, agency):
        raise PermissionDenied("只有该机关的监督人员可以责令限期整改，本次尝试已记录")


def require_answer(user: User, agency: str) -> None:
    if not is_head(user, agency):
        raise PermissionDenied("只有被责令机关的负责人可以答复整改，本次尝试已记录")


def require_read(user: User, agency: str) -> None:
    if not can_read(user, agency):
        raise PermissionDenied("您无权查看该责令整改：只有监督人员和被责令机关负责人可以查看")


def visible(user: User) -> QuerySet[RectificationOrder]:
    """The order rows this user may list: of the agencies it supervises, and — for a head — of
    its own agency."""
    agencies = supervised(user)
    if user.agency_id and is_head(user, user.agency_id):
        agencies.add(user.agency_id)
    return RectificationOrder.objects.filter(agency_id__in=agencies).select_related("agency")


# ---------------------------------------------------------------------------- the index


def project_order(agency: str, order_id: str) -> RectificationOrder:
    """Rewrite the order's index row from the ledger (inside the caller's transaction)."""
    order = supervision.get_order(wiring.ledger(), agency, order_id)
    if order is None:  # pragma: no cover - called right after the order's own entry
        raise LookupError(order_id)
    row, _ = RectificationOrder.objects.update_or_create(
        agency_id=agency, order_id=order_id, defaults=order_values(order)
    )
    return row


def reindex_orders() -> int:
    """Rebuild the whole order index from the ledger (``lawtrail manage reindex``)."""
    ledger = wiring.ledger()
    kept: set[tuple[str, str]] = set()
    for log in ledger.logs():
        for order in supervision.orders(ledger, log.agency):
            RectificationOrder.objects.update_or_create(
                agency_id=log.agency, order_id=order.id, defaults=order_values(order)
            )
            kept.add((log.agency, order.id))
    for row in RectificationOrder.objects.all():
        if (row.agency_id, row.order_id) not in kept:
            row.delete()
    return len(kept)


# ---------------------------------------------------------------------------- writing


def do_issue_order(
    user: User,
    agency: str,
    *,
    category: str,
    text: str,
    due: date,
    case_number: str = "",
    record: str = "",
    finding: str = "",
    pattern: str = "",
) -> supervision.Order:
    require_issue(user, agency)
    with transaction.atomic():
        order = supervision.do_issue_order(
            wiring.ledger(),
            agency,
            category=category,
            text=text,
            due=due,
            issued_by=user.username,
            case_number=case_number,
            record=record,
            finding=finding,
            pattern=pattern,
        )
        project_order(agency, order.id)
    return order


@dataclass(frozen=True)
class EvidenceUpload:
    filename: str
    source: BinaryIO | Iterable[bytes]


def do_answer_order(
    user: User,
    agency: str,
    order_id: str,
    *,
    done: str,
    evidence: Sequence[EvidenceUpload] = (),
) -> supervision.Order:
    require_answer(user, agency)
    if len(evidence) > supervision.MAX_EVIDENCE:
        raise ServiceError("整改答复未通过校验", [FormatIssue("$.evidence", "证明材料过多")])
    store = wiring.media_store()
    stored = []
    for upload in evidence:  # the bytes first, outside the transaction
        media = store.put(upload.source, max_size=MAX_EVIDENCE_SIZE)
        stored.append(
            supervision.Evidence(media.sha256, media.sm3, media.size, upload.filename[:255])
        )
    with transaction.atomic():
        order = supervision.do_answer_order(
            wiring.ledger(), agency, order_id, done=done, answered_by=user.username, evidence=stored
        )
        project_order(agency, order_id)
    return order
