"""The web shell's writers: every change a user makes goes through one ``do_*`` here.

Each one checks the user may do it, calls the framework-free service (which validates and
appends to the agency's ledger) and rewrites the case's index row — in one transaction
(Django's ``atomic``, which the ledger shares, see :mod:`lawtrail.web.ledgerdb`), so a refused
or failed request stores nothing at all. The one exception is media: the bytes are streamed into
the content-addressed store *before* the transaction (an upload may take minutes and must not
hold the write lock); a refused upload leaves at most an unreferenced file in the store, never a
ledger entry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from django.db import transaction

from lawtrail import services
from lawtrail.core import timeutil
from lawtrail.core.caseio import FORMAT, CaseFormatError, parse_case
from lawtrail.core.model import Case
from lawtrail.ledger.log import NewEntry, Receipt
from lawtrail.web import inbox, wiring
from lawtrail.web.models import Agency, CaseIndex, User
from lawtrail.web.roles import ADMIN

log = logging.getLogger("lawtrail.access")


class PermissionDenied(Exception):
    """The user may not do this; the message is shown to the user (Chinese)."""


# ---------------------------------------------------------------------------- who may do what


def can_read(user: User, agency: str) -> bool:
    return user.is_active and agency in user.readable_agencies()


def can_write(user: User, agency: str) -> bool:
    """Only the agency's own staff record acts; supervisors and admins read."""
    return user.is_active and user.agency_id == agency and not user.has_role(ADMIN)


def require_write(user: User, agency: str) -> None:
    if not can_write(user, agency):
        raise PermissionDenied("您无权在该机关的案件中记录")


# ---------------------------------------------------------------------------- access log


def do_log_access(
    user: User,
    agency: str,
    case_number: str,
    *,
    action: str,
    target: str = "",
    allowed: bool = True,
    ip: str = "",
    channel: str = "web",
) -> Receipt:
    """Append one access — a view, a download, or a refused attempt — to the agency's ledger.

    The entry is in the log of the agency whose case was asked for, so its supervisors see
    attempts by outsiders too. It commits on its own: a refused request stores its refusal.
    """
    body = {
        "user": user.username,
        "name": user.display_name,
        "user_agency": user.agency_id or "",
        "roles": list(user.roles),
        "action": action,
        "target": target,
        "outcome": "allowed" if allowed else "denied",
        "ip": ip,
        "channel": channel,
    }
    if not allowed:
        log.warning(
            "access denied: %s %s %s/%s %s", user.username, action, agency, case_number, target
        )
    ledger = wiring.ledger()
    ledger.ensure_log(agency)
    entry = NewEntry(case_number, "access", target or case_number, body)
    return ledger.append(agency, [entry])[0]


# ---------------------------------------------------------------------------- cases


def _people_refreshed(user: User, agency: str, case_number: str, usernames: Iterable[str]) -> None:
    """Put the acting user and the agency staff a record names into the case's people, with
    their current titles and certificates (a new header entry only when something changed)."""
    names = {user.username, *usernames}
    staff = User.objects.filter(agency_id=agency, username__in=names)
    services.do_update_people(
        wiring.ledger(), agency, case_number, [member.as_person() for member in staff]
    )


def _staff_named(record: Mapping[str, Any]) -> set[str]:
    """Usernames a record names as agency people (officers, signers, person fields)."""
    from lawtrail.core.record_kinds import RECORD_KINDS, FieldType

    names: set[str] = set()
    for officer in record.get("officers") or []:
        if isinstance(officer, Mapping) and isinstance(officer.get("person"), str):
            names.add(officer["person"])
    for signature in record.get("signatures") or []:
        if isinstance(signature, Mapping) and isinstance(signature.get("person"), str):
            names.add(signature["person"])
    kind = RECORD_KINDS.get(str(record.get("kind")))
    fields = record.get("fields")
    if kind is not None and isinstance(fields, Mapping):
        for spec in kind.fields:
            value = fields.get(spec.name)
            if spec.type is FieldType.PERSON and isinstance(value, str):
                names.add(value)
            elif spec.type is FieldType.PERSONS and isinstance(value, list):
                names.update(v for v in value if isinstance(v, str))
    if isinstance(record.get("av_exemption"), Mapping):
        approved_by = record["av_exemption"].get("approved_by")
        if isinstance(approved_by, str):
            names.add(approved_by)
    return names


def do_open_case(
    user: User,
    header: Mapping[str, Any],
    first_record: Mapping[str, Any] | None = None,
) -> CaseIndex:
    """Open a case (header in the case format: case_number, title, acts, procedure, origin,
    major, opened_at, parties) and, in the same transaction, its first record (the application
    registration, start approval form, emergency start or complaint)."""
    agency = user.agency_id
    if agency is None:
        raise PermissionDenied("您不属于任何执法机关，不能立案")
    require_write(user, agency)
    data = {
        "format": FORMAT,
        "agency": agency,
        **header,
        "people": [services._person_json(user.as_person())],
        "records": [],
    }
    try:
        case = parse_case(data)
    except CaseFormatError as exc:
        raise services.ServiceError("案件信息未通过校验", exc.issues) from exc
    ledger = wiring.ledger()
    ledger.ensure_log(agency)  # its own short transaction, before the case's
    with transaction.atomic():
        services.do_open_case(ledger, case)
        if first_record is not None:
            _append(user, agency, case.case_number, first_record)
        return project(agency, case.case_number, handler=user)


def do_append_record(user: User, index: CaseIndex, record: Mapping[str, Any]) -> Receipt:
    """Append one record (case-format JSON) to a case; returns the ledger receipt."""
    require_write(user, index.agency_id)
    with transaction.atomic():
        receipt = _append(user, index.agency_id, index.case_number, record)
        project(index.agency_id, index.case_number)
        return receipt


def _append(user: User, agency: str, case_number: str, record: Mapping[str, Any]) -> Receipt:
    _people_refreshed(user, agency, case_number, _staff_named(record))
    return services.do_append_record(wiring.ledger(), agency, case_number, record)


@dataclass(frozen=True)
class Upload:
    type: str  # photo | audio | video
    captured_at: datetime
    completed_at: datetime | None = None
    filename: str = ""
    device: str = ""


def do_ingest_media(
    user: User,
    index: CaseIndex,
    source: BinaryIO | Iterable[bytes],
    upload: Upload,
    *,
    max_size: int | None = None,
) -> services.IngestedMedia:
    """Stream one file into the evidence store and register it in the agency's ledger, labelled
    with the case number, the party and the handler (000 art. 14 …)."""
    require_write(user, index.agency_id)
    case = case_of(index)
    labels = {"case_number": index.case_number, "handler": user.display_name}
    if case.parties:
        labels["party"] = "、".join(p.name for p in case.parties)
    if index.handler is not None:
        labels["handler"] = index.handler.display_name
    return services.do_ingest_media(
        wiring.ledger(),
        wiring.media_store(),
        index.agency_id,
        index.case_number,
        source,
        type=upload.type,
        captured_at=upload.captured_at,
        completed_at=upload.completed_at,
        uploader=user.username,
        filename=upload.filename,
        device=upload.device,
        labels=labels,
        max_size=max_size,
    )


# ---------------------------------------------------------------------------- reading


def case_of(index: CaseIndex) -> Case:
    return services.load_case(wiring.ledger(), index.agency_id, index.case_number)


def project(agency: str, case_number: str, *, handler: User | None = None) -> CaseIndex:
    """Rewrite the case's index row from the ledger (inside the caller's transaction)."""
    from lawtrail.core.engine import evaluate

    case = services.load_case(wiring.ledger(), agency, case_number)
    now = timeutil.now()
    evaluation = evaluate(case, at=now)
    effective = case.effective_records()
    kinds = {r.kind for r in effective}
    from lawtrail.core.record_kinds import RECORD_KINDS

    stage = RECORD_KINDS[effective[-1].kind].stage.value if effective else ""
    dues = [r.due for r in evaluation.required if r.due is not None]
    values: dict[str, Any] = {
        "title": case.title,
        "origin": case.origin,
        "procedure": case.procedure,
        "acts": list(case.acts),
        "major": case.major,
        "opened_at": case.opened_at,
        "stage": stage,
        "records": len(case.records),
        "violations": len(evaluation.violations),
        "warnings": len(evaluation.warnings),
        "closed": "closure" in kinds,
        "archived": "case_file" in kinds,
        "next_due": min(dues) if dues else None,
        "pending": [task.to_json() for task in inbox.pending_tasks(case, evaluation)],
        "updated_at": now,
    }
    if handler is not None:
        values["handler"] = handler
    Agency.objects.get_or_create(code=agency, defaults={"name": agency, "regulation": ""})
    index, _ = CaseIndex.objects.update_or_create(
        agency_id=agency, case_number=case_number, defaults=values
    )
    return index
