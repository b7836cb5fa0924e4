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
from pathlib import Path
from typing import Any, BinaryIO

from django.db import transaction

from lawtrail import archive, services
from lawtrail.archive import ExportResult
from lawtrail.archive_cli import RETENTIONS
from lawtrail.core import timeutil
from lawtrail.core.caseio import FORMAT, CaseFormatError, parse_case, person_to_json, record_to_json
from lawtrail.core.model import Case
from lawtrail.core.record_kinds import RECORD_KINDS, FieldType
from lawtrail.ledger.db import POSTGRESQL
from lawtrail.ledger.log import NewEntry, Receipt
from lawtrail.ledger.tsa import tsa_roots_from_env
from lawtrail.web import denials, inbox, projections, wiring
from lawtrail.web.models import CaseIndex, User
from lawtrail.web.roles import ADMIN, APPROVER, ARCHIVIST, LEGAL, SUPERVISOR

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
) -> Receipt | None:
    """Append one access — a view, a download, or a refused attempt — to the agency's ledger.

    The entry is in the log of the agency whose case was asked for, so its supervisors see
    attempts by outsiders too. It commits on its own: a refused request stores its refusal.
    Refusals beyond :data:`denials.LIMIT` a minute per user and address are counted and logged
    as one entry (:mod:`lawtrail.web.denials`); None is returned for one that was counted.
    """
    now = timeutil.now()
    _log_counted_denials(now)
    if not allowed:
        log.warning(
            "access denied: %s %s %s/%s %s", user.username, action, agency, case_number, target
        )
        key = denials.Key(user.username, ip, agency)
        if not _denials.admit(key, now, case_number, action):
            return None
    body = _access_body(user, action=action, target=target, allowed=allowed, ip=ip, channel=channel)
    entry = NewEntry(case_number, "access", target or case_number, body)
    return wiring.ledger().append(agency, [entry])[0]


_denials = denials.DenialLimiter()


def _access_body(
    user: User, *, action: str, target: str, allowed: bool, ip: str, channel: str
) -> dict[str, Any]:
    return {
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


def _log_counted_denials(now: datetime) -> None:
    """Log the refusals counted in windows that have passed, one entry per user and address."""
    for counted in _denials.due(now):
        user = User.objects.filter(username=counted.key.username).first()
        if user is None:  # pragma: no cover - accounts are deactivated, not deleted
            continue
        body = _access_body(
            user,
            action=counted.actions[0] if len(counted.actions) == 1 else "multiple",
            target="",
            allowed=False,
            ip=counted.key.ip,
            channel="web",
        )
        body["suppressed"] = {
            "count": counted.count,
            "window_start": timeutil.local(counted.window_start).isoformat(),
            "last": timeutil.local(counted.last).isoformat(),
            "actions": list(counted.actions),
        }
        case_number = counted.case_number
        entry = NewEntry(case_number, "access", case_number, body)
        wiring.ledger().append(counted.key.agency, [entry])


# ---------------------------------------------------------------------------- cases


def _people_refreshed(user: User, agency: str, case_number: str, usernames: Iterable[str]) -> None:
    """Put the acting user and the agency staff a record names into the case's people, with
    their current titles and certificates (a new header entry only when something changed)."""
    names = {user.username, *usernames}
    staff = User.objects.filter(agency_id=agency, username__in=names)
    services.do_update_people(
        wiring.ledger(),
        agency,
        case_number,
        [member.as_person() for member in staff],
        actor=user.username,
    )


def _staff_named(record: Mapping[str, Any]) -> set[str]:
    """Usernames a record names as agency people (officers, signers, person fields)."""
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
        **header,
        # Never from the request: the user's own agency, the user as the case's first person.
        "format": FORMAT,
        "agency": agency,
        "people": [person_to_json(user.as_person())],
        "records": [],
    }
    try:
        case = parse_case(data)
    except CaseFormatError as exc:
        raise services.ServiceError("案件信息未通过校验", exc.issues) from exc
    with transaction.atomic():
        services.do_open_case(wiring.ledger(), case, actor=user.username)
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


# Acts of the decision chain and the archive that only a role may record, and the field that
# names who acted — which must then be the signed-in user, so no one records another person's
# review or approval in their name: 法制审核 by the legal reviewer, 负责人审批 by the head,
# 案卷归档 by the archivist (each pack's rules on these kinds cite the agency's article).
RECORDED_BY_ROLE = {
    "legal_review": (LEGAL, "reviewer", "法制审核人员"),
    "head_approval": (APPROVER, "head", "负责人"),
    "case_file": (ARCHIVIST, "archivist", "档案管理员"),
}
# The internal approval's later steps; they are taken only through do_approval_step.
CHAIN_STEP_FIELDS = (
    "reviewer",
    "reviewer_opinion",
    "reviewed_at",
    "approver",
    "approver_opinion",
    "approved_at",
)


def _who_records(user: User, record: Mapping[str, Any], *, approval_step: bool) -> dict[str, Any]:
    """The record with its acting person set to the user, after checking the user may record
    it; raises PermissionDenied (Chinese) otherwise."""
    data = dict(record)
    raw = data.get("fields", {})
    if not isinstance(raw, Mapping):
        return data  # not a record at all: the case reader refuses it with its path
    fields = dict(raw)
    kind = data.get("kind")
    if kind in RECORDED_BY_ROLE:
        role, person_field, label = RECORDED_BY_ROLE[kind]
        if not user.has_role(role):
            raise PermissionDenied(f"只有{label}可以记录“{RECORD_KINDS[kind].label}”")
        if fields.get(person_field) not in (None, "", user.username):
            raise PermissionDenied(f"“{RECORD_KINDS[kind].label}”只能以本人名义记录")
        fields[person_field] = user.username
    if kind == "internal_approval" and not approval_step:
        if any(fields.get(name) not in (None, "") for name in CHAIN_STEP_FIELDS):
            raise PermissionDenied("审核、批准意见只能由审核人、批准人在审批页面中办理")
        if fields.get("handler") not in (None, "", user.username):
            raise PermissionDenied("内部审批只能由承办人本人提交")
        fields["handler"] = user.username
    data["fields"] = fields
    return data


def _append(
    user: User,
    agency: str,
    case_number: str,
    record: Mapping[str, Any],
    *,
    approval_step: bool = False,
) -> Receipt:
    record = _who_records(user, record, approval_step=approval_step)
    _people_refreshed(user, agency, case_number, _staff_named(record))
    return services.do_append_record(
        wiring.ledger(), agency, case_number, record, actor=user.username
    )


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
    """Rewrite the case's index row from the ledger (inside the caller's transaction).

    The row is :func:`projections.case_index_values` as of now (``updated_at``), which is what
    ``lawtrail verify`` recomputes. The handler is the account that opened the case when the
    ledger names one (its first header entry's actor), else ``handler`` (a case imported from a
    file: the demo's handler), else the row's handler is left as it is."""
    ledger = wiring.ledger()
    case = services.load_case(ledger, agency, case_number)
    now = timeutil.now()
    values: dict[str, Any] = {**projections.case_index_values(case, now), "updated_at": now}
    opener = projections.case_opener(ledger, agency, case_number)
    if opener:
        values["handler"] = User.objects.filter(username=opener).first()
    elif handler is not None:
        values["handler"] = handler
    index, _ = CaseIndex.objects.update_or_create(
        agency_id=agency, case_number=case_number, defaults=values
    )
    return index


# ---------------------------------------------------------------------------- internal approval


def do_approval_step(
    user: User, index: CaseIndex, record_id: str, *, opinion: str, approve: bool
) -> Receipt:
    """Take the next step of an internal approval (承办人 → 审核人 → 批准人, 000 art. 37,
    001 art. 31, 002 art. 38, 003 art. 28): review it (a reviewer) or approve it (an approver).

    Records are immutable, so the step is a new ``internal_approval`` record that corrects the
    approval's latest version (``corrects.reason`` 审核意见 / 批准意见): the earlier fields
    copied, the step's person (this user), opinion (同意/不同意 first) and server time added, the
    act's time kept (the chain's times run from it). Refused, with nothing stored: another
    agency's case, a user without the step's role, the handler reviewing their own submission,
    one person in two steps, approving before the review, a step taken twice (the record given
    is no longer the latest version, or the chain is complete), an empty opinion.
    """
    require_write(user, index.agency_id)
    text = opinion.strip()
    if not text:
        raise services.ServiceError("请填写意见")
    ledger = wiring.ledger()
    with transaction.atomic():
        if ledger.db.dialect == POSTGRESQL:
            # Two people taking the same step at once: the second waits here, then sees the first's
            # record and is refused (SQLite's BEGIN IMMEDIATE already serialises the block).
            ledger.db.execute(
                "SELECT agency FROM ledger_log WHERE agency = ? FOR UPDATE", (index.agency_id,)
            )
        case = case_of(index)
        record = case.record(record_id)
        if record is None or record.kind != "internal_approval":
            raise services.ServiceError(f"本案没有内部审批记录 {record_id}")
        head = inbox.chain_head(case, record_id)
        assert head is not None
        if head.id != record_id:
            raise PermissionDenied("该审批已有新的审批环节，请刷新页面后再办理")
        refusal = inbox.step_refusal(user.username, list(user.roles), head)
        if refusal is not None:
            raise PermissionDenied(refusal)
        step = inbox.next_step(head)
        assert step is not None
        _role, person_field, opinion_field, time_field = inbox.CHAIN_STEPS[step]
        data = record_to_json(head)
        data.pop("recorded_at", None)
        decision = inbox.AGREE if approve else inbox.DISAGREE
        data["id"] = services.next_record_id(case)
        data["fields"] = {
            **data.get("fields", {}),
            person_field: user.username,
            opinion_field: f"{decision}：{text}",
            time_field: timeutil.now().isoformat(),
        }
        if step == inbox.APPROVE:
            # The decision itself, not only its wording: the rules read it (a refusal is not an
            # approval, 000 art. 37 …).
            data["fields"]["approved"] = approve
        data["corrects"] = {"record": head.id, "reason": inbox.STEP_REASONS[step]}
        receipt = _append(user, index.agency_id, index.case_number, data, approval_step=True)
        project(index.agency_id, index.case_number)
        return receipt


# ---------------------------------------------------------------------------- signed records
# (the case pages: a record and the images of its signatures land together or not at all)


@dataclass(frozen=True)
class SignatureImage:
    """The image of one signature of a record: a scan or photo of the signed paper, or the
    signature drawn on screen. Checked (type, size) by the form before it gets here."""

    signature: int  # index in the record's ``signatures``
    source: BinaryIO
    filename: str  # generated by the form, never the client's file name
    device: str  # "screen" for a drawing on the tablet, "other" for an uploaded scan


def do_append_record_with_signatures(
    user: User,
    index: CaseIndex,
    record: Mapping[str, Any],
    images: Iterable[SignatureImage] = (),
) -> Receipt:
    """:func:`do_append_record`, storing each signature image first (as a photo of the case,
    through :func:`do_ingest_media`) and writing its SHA-256 into the signature's
    ``image_sha256`` — in one transaction: a refused record leaves no media entry behind (at
    most an unreferenced file in the write-once store)."""
    require_write(user, index.agency_id)
    with transaction.atomic():
        receipt = _append_signed(user, index, record, images)
        project(index.agency_id, index.case_number)
        return receipt


def do_open_case_with_signatures(
    user: User,
    header: Mapping[str, Any],
    first_record: Mapping[str, Any],
    images: Iterable[SignatureImage] = (),
) -> CaseIndex:
    """:func:`do_open_case` with a first record whose signatures may carry images."""
    agency = user.agency_id
    if agency is None:
        raise PermissionDenied("您不属于任何执法机关，不能立案")
    require_write(user, agency)
    with transaction.atomic():
        index = do_open_case(user, header)
        _append_signed(user, index, first_record, images)
        return project(agency, index.case_number, handler=user)


def _append_signed(
    user: User, index: CaseIndex, record: Mapping[str, Any], images: Iterable[SignatureImage]
) -> Receipt:
    from django.conf import settings

    data = dict(record)
    signatures = [dict(s) for s in data.get("signatures") or []]
    for image in images:
        ingested = do_ingest_media(
            user,
            index,
            image.source,
            Upload(
                type="photo",
                captured_at=timeutil.now(),
                filename=image.filename,
                device=image.device,
            ),
            max_size=settings.LAWTRAIL_MAX_SIGNATURE_BYTES,
        )
        signatures[image.signature]["image_sha256"] = ingested.media.sha256
    if signatures:
        data["signatures"] = signatures
    return _append(user, index.agency_id, index.case_number, data)


# ---------------------------------------------------------------------------- documents, archive


def can_archive(user: User, agency: str) -> bool:
    """组卷归档 is the designated archivist's (“明确专门人员负责……归档、保存和使用”: 000 art. 32,
    001 art. 27, 002 art. 33, 003 art. 25; 004 art. 14): the agency's own archivist."""
    return can_write(user, agency) and user.has_role(ARCHIVIST)


def can_export(user: User, agency: str) -> bool:
    """The archive package takes the whole case file out of the system: the agency's archivist
    (who keeps it) and the supervisors of the agency (who check it, e.g. 001 art. 6) only."""
    if can_archive(user, agency):
        return True
    return user.has_role(SUPERVISOR) and can_read(user, agency)


def do_generate_document(
    user: User, index: CaseIndex, template: str, record_id: str, format: str
) -> services.RecordedDocument:
    """Render a 文书 of the case (a record's, with ``record_id``) and record it: its bytes in
    the evidence store, a ``document`` entry in the agency's ledger (the same bytes again are
    not a second entry). Any of the agency's staff who may record in the case may."""
    require_write(user, index.agency_id)
    # Rendering takes a fraction of a second; on SQLite the write lock is held meanwhile, which
    # keeps the document entry and the index row in one transaction like every other write.
    with transaction.atomic():
        recorded = services.do_generate_document(
            wiring.ledger(),
            wiring.media_store(),
            wiring.renderer(),
            index.agency_id,
            index.case_number,
            template,
            record_id=record_id,
            format=format,
            actor=user.username,
        )
        project(index.agency_id, index.case_number)
        return recorded


def do_archive_case(
    user: User, index: CaseIndex, volume_number: str, retention: str
) -> tuple[services.RecordedDocument, Receipt]:
    """形成案卷并归档 (the archivist): the volume PDF and the ``case_file`` record naming it,
    with the archivist put into the case's people first — all in one transaction, so a refusal
    (no closure yet, nothing new since the last archiving …) stores nothing at all."""
    if not can_archive(user, index.agency_id):
        raise PermissionDenied("只有本机关的档案管理员可以组卷归档")
    if retention not in RETENTIONS:
        raise services.ServiceError(f"保管期限应为：{'、'.join(RETENTIONS)}")
    with transaction.atomic():
        _people_refreshed(user, index.agency_id, index.case_number, ())
        volume, receipt = services.do_archive_case(
            wiring.ledger(),
            wiring.media_store(),
            wiring.renderer(),
            index.agency_id,
            index.case_number,
            archivist=user.username,
            volume_number=volume_number.strip(),
            retention=retention,
            actor=user.username,
        )
        project(index.agency_id, index.case_number)
        return volume, receipt


def do_export_case(user: User, index: CaseIndex, dest: Path, *, ip: str = "") -> ExportResult:
    """Write the case's archive package (a BagIt bag, :mod:`lawtrail.archive`) to ``dest`` and
    append the export to the agency's access log: who took the case file out is part of its
    history. A refusal (:class:`~lawtrail.archive.ExportError`, Chinese) logs nothing: nothing
    left the system. A user who may not export is refused, and the attempt is logged."""
    if not can_export(user, index.agency_id):
        do_log_access(
            user,
            index.agency_id,
            index.case_number,
            action="export",
            target=index.case_number,
            allowed=False,
            ip=ip,
        )
        raise PermissionDenied("只有本机关的档案管理员和监督机关可以导出电子档案包，本次尝试已记录")
    result = archive.export_case(
        wiring.ledger(),
        wiring.media_store(),
        wiring.keys(),
        index.agency_id,
        index.case_number,
        dest,
        tsa_roots=tsa_roots_from_env(),
    )
    do_log_access(
        user, index.agency_id, index.case_number, action="export", target=index.case_number, ip=ip
    )
    return result
