"""Need to know (issue #16 item 2): the one place the web shell decides what of a case a user
sees — the record page, the case page, the media, the API and the 文书 all ask
:func:`disclosure`, and :mod:`lawtrail.core.secrecy` decides.

Labelled content is shown to the case team, the legal reviewer, the head, the supervisor, and an
officer whose access request the head granted; others of the agency see the record with the
content masked and a way to ask. Every unmasked view of labelled content is an ``access`` entry
(``view_labelled``). Personal data is masked in lists for everyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lawtrail.core import secrecy, timeutil
from lawtrail.core.model import Case
from lawtrail.core.secrecy import Label, State, Viewer
from lawtrail.services import secrecy_events
from lawtrail.web import drafts, wiring
from lawtrail.web.models import CaseIndex, User
from lawtrail.web.roles import APPROVER

# A granted access request lasts this long: need to know is for the work at hand, not for ever.
GRANT_DAYS = 30
MASK = "〔内容已隐去：{kinds}〕"


@dataclass(frozen=True)
class Disclosure:
    viewer: Viewer
    state: State
    case_number: str
    labels: tuple[Label, ...] = field(default=())

    @property
    def sees_labelled(self) -> bool:
        return secrecy.may_see_labelled(self.viewer)

    @property
    def sees_personal(self) -> bool:
        return secrecy.may_see_personal(self.viewer, in_list=False)

    def record_labels(self, record_id: str) -> list[Label]:
        """The labels hiding the whole record (a case label, a record label)."""
        return [label for label in self.labels if label.covers_record(record_id)]

    def field_labels(self, record_id: str, name: str) -> list[Label]:
        return [label for label in self.labels if label.covers_field(record_id, name)]

    def media_labels(self, sha256: str, record_ids: Iterable[str] = ()) -> list[Label]:
        return [label for label in self.labels if label.covers_media(sha256, record_ids)]

    def touches(self, record_id: str) -> bool:
        """The record holds labelled content (whole or a field)."""
        return any(
            label.covers_record(record_id)
            or (label.target.kind == "field" and label.target.record == record_id)
            for label in self.labels
        )

    def hidden(self, found: Iterable[Label]) -> str:
        """The mask of labelled content for this viewer, or "" when it may be shown."""
        found = list(found)
        if not found or self.sees_labelled:
            return ""
        return MASK.format(kinds="、".join(dict.fromkeys(label.kind_label for label in found)))

    def personal(self, text: str) -> str:
        return text if self.sees_personal else secrecy.mask_personal_text(text)

    def pending_request(self) -> secrecy.AccessRequest | None:
        for req in self.state.access.values():
            if req.user == self.viewer.username and req.granted is None:
                return req
        return None


def is_head(user: User, agency: str) -> bool:
    """The agency's head (负责人): decides on access and on the party's copies (000 art. 33)."""
    return user.is_active and user.agency_id == agency and user.has_role(APPROVER)


def granted(state: State, username: str) -> bool:
    now = timeutil.now()
    return any(
        req.user == username
        and req.granted
        and req.decided_at is not None
        and now <= req.decided_at + timedelta(days=GRANT_DAYS)
        for req in state.access.values()
    )


def grant_ends(state: State, username: str) -> datetime | None:
    """When the user's first access grant still running ends (None: none runs): what they see
    of the case changes then (a page kept until then, web.pagecache)."""
    now = timeutil.now()
    ends = [
        req.decided_at + timedelta(days=GRANT_DAYS)
        for req in state.access.values()
        if req.user == username and req.granted and req.decided_at is not None
    ]
    coming = [end for end in ends if end >= now]
    return min(coming) if coming else None


def disclosure(user: User, index: CaseIndex, case: Case | None = None) -> Disclosure:
    """What ``user`` may see of the case: the one decision for every page and the API."""
    state = secrecy.fold(secrecy_events(wiring.ledger(), index.agency_id, index.case_number))
    in_team = False
    if user.agency_id == index.agency_id:
        if case is None:
            from lawtrail.web import actions

            case = actions.case_of(index)
        in_team = user.username in drafts.team(index, case)
    viewer = Viewer(
        username=user.username,
        roles=tuple(user.roles),
        in_team=in_team,
        granted=granted(state, user.username),
    )
    return Disclosure(
        viewer=viewer,
        state=state,
        case_number=index.case_number,
        labels=tuple(state.active_labels()),
    )


def _masked_value(value: object, mask: str, d: Disclosure) -> object:
    if mask:
        return mask
    if d.sees_personal:
        return value
    if isinstance(value, str):
        return d.personal(value)
    if isinstance(value, list):
        return [d.personal(v) if isinstance(v, str) else v for v in value]
    return value


def disclose_record_json(d: Disclosure, record: dict[str, object]) -> dict[str, object]:
    """A record in the case format as ``d``'s viewer may see it — the API's view of what
    :func:`web.views.cases._disclosed_fields` shows on the page (same masks, same decision)."""
    record_id = str(record.get("id") or "")
    fields = record.get("fields")
    if not isinstance(fields, dict):
        return record
    whole = d.hidden(d.record_labels(record_id))
    out = dict(record)
    out["fields"] = {
        name: _masked_value(value, whole or d.hidden(d.field_labels(record_id, name)), d)
        for name, value in fields.items()
    }
    if isinstance(out.get("note"), str):
        out["note"] = _masked_value(out["note"], whole, d)
    return out


def disclose_case_json(d: Disclosure, data: dict[str, object]) -> dict[str, object]:
    out = dict(data)
    records = data.get("records")
    if isinstance(records, list):
        out["records"] = [disclose_record_json(d, r) if isinstance(r, dict) else r for r in records]
    parties = data.get("parties")
    if isinstance(parties, list) and not d.sees_personal:
        out["parties"] = [
            {
                **p,
                "id_number": secrecy.mask_id_number(str(p.get("id_number") or "")),
                "address": secrecy.mask_address(str(p.get("address") or "")),
                "contact": secrecy.mask_personal_text(str(p.get("contact") or "")),
            }
            if isinstance(p, dict) and p.get("kind") == "person"
            else p
            for p in parties
        ]
    return out


def log_labelled(user: User, index: CaseIndex, d: Disclosure, target: str, channel: str) -> None:
    """An unmasked view of labelled content is an access entry of its own (``view_labelled``)."""
    from lawtrail.web import actions

    if d.labels and d.sees_labelled:
        actions.do_log_access(
            user,
            index.agency_id,
            index.case_number,
            action="view_labelled",
            target=target,
            channel=channel,
        )


def refusal(d: Disclosure, found: Iterable[Label]) -> str:
    """Why a file with labelled content is refused to ``d``'s viewer ("" when it is not)."""
    found = list(found)
    if not found or d.sees_labelled:
        return ""
    kinds = "、".join(dict.fromkeys(label.kind_label for label in found))
    return (
        f"该文件含标识为{kinds}的内容，仅案件承办人员等有权人员可以查看；"
        "可在本案「保密与查阅复制」页向负责人申请，本次尝试已记录"
    )


def media_refusal(d: Disclosure, case: Case, sha256: str) -> str:
    records = [r.id for r in case.records if any(m.sha256 == sha256 for m in r.media)]
    return refusal(d, d.media_labels(sha256, records))


def document_refusal(d: Disclosure, record_id: str) -> str:
    if record_id:
        found = [
            label
            for label in d.labels
            if label.covers_record(record_id)
            or (label.target.kind == "field" and label.target.record == record_id)
        ]
    else:  # the 案卷 volume holds every record
        found = list(d.labels)
    return refusal(d, found)
