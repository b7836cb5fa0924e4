"""Secrecy labels, need to know, personal-data masking and the party's 查阅/复制 request
(issue #16) — pure: no framework, no I/O.

The regulations: records touching 国家秘密, 商业秘密 or 个人隐私 are managed under the secrecy
rules and permissions (000 art. 34, 001 art. 29, 002 art. 35, 003 art. 27); a party may read
(003 only: 查阅) or copy the records with the head's consent, except what must be kept
confidential (000 art. 33, 001 art. 28, 002 art. 34, 003 art. 26 — the latter under the
政府信息公开条例).

Everything here is read from ledger entries of type :data:`ENTRY_TYPE` in the agency's log
(``{"type": "secrecy", "secrecy": {"act": …}}``): a label and its lifting, an officer's request
for access and the head's decision, a party's copy request, its extension, the head's decision,
the issued copy and its download. Nothing is ever updated: the state is the fold of the acts.

**涉及国家秘密.** Classified information must not be processed in a system not approved for it
(保守国家秘密法 第三十条): a ``state_secret`` label holds only a *reference* — where the material
is kept, 密级, 保密期限, custodian — and :func:`state_secret_reference` refuses anything else;
a case or record carrying one refuses uploads (:func:`upload_refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lawtrail.core.calendar import WorkdayCalendar
from lawtrail.core.deadlines import Period, due_at

ENTRY_TYPE = "secrecy"

# act names of the bodies
LABEL, LIFT = "label", "lift"
ACCESS_REQUEST, ACCESS_DECISION = "access_request", "access_decision"
COPY_REQUEST, COPY_EXTENSION, COPY_DECISION = "copy_request", "copy_extension", "copy_decision"
COPY_ISSUED, COPY_DOWNLOADED = "copy_issued", "copy_downloaded"
ACTS = (
    LABEL,
    LIFT,
    ACCESS_REQUEST,
    ACCESS_DECISION,
    COPY_REQUEST,
    COPY_EXTENSION,
    COPY_DECISION,
    COPY_ISSUED,
    COPY_DOWNLOADED,
)

WORK_SECRET, TRADE_SECRET, PRIVACY, STATE_SECRET = (
    "work_secret",
    "trade_secret",
    "privacy",
    "state_secret",
)
LABEL_KINDS: dict[str, str] = {
    WORK_SECRET: "工作秘密",
    TRADE_SECRET: "商业秘密",
    PRIVACY: "个人隐私",
    STATE_SECRET: "涉及国家秘密",
}
# 商业秘密 and 个人隐私 belong to someone: whose must be said (it decides whether the party
# asking for a copy may see it — its own secret is not kept from it).
HOLDER_KINDS = (TRADE_SECRET, PRIVACY)
# 保守国家秘密法 第十条: the three 密级.
SECRET_LEVELS: dict[str, str] = {"secret": "秘密", "confidential": "机密", "top_secret": "绝密"}
STATE_SECRET_KEYS = ("location", "level", "period", "custodian")
STATE_SECRET_LABELS = {
    "location": "原件存放处",
    "level": "密级",
    "period": "保密期限",
    "custodian": "保管人",
}
TARGET_KINDS: dict[str, str] = {
    "case": "案件",
    "record": "记录",
    "field": "字段",
    "media": "音像资料",
}
MAX_TEXT = 500
STATE_SECRET_REFUSAL = (
    "涉及国家秘密的内容不得录入本系统（《保守国家秘密法》第三十条：不得在未经批准的信息系统中"
    "处理国家秘密）。本系统只登记其存放处、密级、保密期限和保管人，请将原件按保密规定另行保管。"
)


class SecrecyError(ValueError):
    """A label, request or decision that cannot be taken; the message is Chinese."""


# ---------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class Target:
    """What a label is on: the whole case, a record, one field of a record, or a media file."""

    kind: str  # case | record | field | media
    record: str = ""
    field: str = ""
    sha256: str = ""

    def to_json(self) -> dict[str, str]:
        out = {"kind": self.kind}
        if self.record:
            out["record"] = self.record
        if self.field:
            out["field"] = self.field
        if self.sha256:
            out["sha256"] = self.sha256
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Target:
        return cls(
            kind=str(data.get("kind") or ""),
            record=str(data.get("record") or ""),
            field=str(data.get("field") or ""),
            sha256=str(data.get("sha256") or ""),
        )

    def describe(self) -> str:
        if self.kind == "case":
            return "整个案件"
        if self.kind == "record":
            return f"记录 {self.record}"
        if self.kind == "field":
            return f"记录 {self.record} 的字段 {self.field}"
        return f"音像资料 {self.sha256[:12]}…"


@dataclass(frozen=True)
class Label:
    id: str
    kind: str
    target: Target
    reason: str
    by: str
    at: datetime
    seq: int
    holder: str = ""  # whose 商业秘密 / 个人隐私 (a party id or a name)
    reference: Mapping[str, str] = field(default_factory=dict)  # 涉及国家秘密 only
    lifted_by: str = ""
    lifted_reason: str = ""
    lifted_at: datetime | None = None
    case_number: str = ""

    @property
    def kind_label(self) -> str:
        return LABEL_KINDS.get(self.kind, self.kind)

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def covers_record(self, record_id: str) -> bool:
        """The label hides the whole record (a case label covers every record)."""
        return self.target.kind == "case" or (
            self.target.kind == "record" and self.target.record == record_id
        )

    def covers_field(self, record_id: str, name: str) -> bool:
        return self.covers_record(record_id) or (
            self.target.kind == "field"
            and self.target.record == record_id
            and self.target.field == name
        )

    def covers_media(self, sha256: str, record_ids: Iterable[str] = ()) -> bool:
        if self.target.kind == "media":
            return self.target.sha256 == sha256
        return self.target.kind == "case" or (
            self.target.kind == "record" and self.target.record in set(record_ids)
        )


def state_secret_reference(data: Mapping[str, Any]) -> dict[str, str]:
    """The reference of a 涉及国家秘密 label — and nothing else: any key but
    :data:`STATE_SECRET_KEYS` is content and refused with :data:`STATE_SECRET_REFUSAL`."""
    extra = [k for k, v in data.items() if k not in STATE_SECRET_KEYS and v not in ("", None)]
    if extra:
        raise SecrecyError(STATE_SECRET_REFUSAL)
    out: dict[str, str] = {}
    missing = []
    for key in STATE_SECRET_KEYS:
        value = data.get(key)
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            missing.append(STATE_SECRET_LABELS[key])
        elif len(text) > 100:
            # A reference is a place, a level, a period, a name: a long text is content.
            what = STATE_SECRET_LABELS[key]
            raise SecrecyError(f"{what}过长（至多 100 字）。{STATE_SECRET_REFUSAL}")
        out[key] = text
    if missing:
        raise SecrecyError("涉及国家秘密的登记须写明：" + "、".join(missing))
    if out["level"] not in SECRET_LEVELS:
        raise SecrecyError("密级应为：" + "、".join(SECRET_LEVELS.values()))
    return out


def label_body(
    label_id: str,
    kind: str,
    target: Target,
    reason: str,
    *,
    holder: str = "",
    reference: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ledger body of a new label, validated."""
    if kind not in LABEL_KINDS:
        raise SecrecyError("密级标识应为：" + "、".join(LABEL_KINDS.values()))
    if target.kind not in TARGET_KINDS:
        raise SecrecyError("标识对象应为案件、记录、字段或音像资料")
    if target.kind in ("record", "field") and not target.record:
        raise SecrecyError("请指明记录")
    if target.kind == "field" and not target.field:
        raise SecrecyError("请指明字段")
    if target.kind == "media" and not re.fullmatch(r"[0-9a-f]{64}", target.sha256):
        raise SecrecyError("请指明音像资料（SHA-256）")
    body: dict[str, Any] = {
        "act": LABEL,
        "label": label_id,
        "kind": kind,
        "target": target.to_json(),
        "reason": _text(reason, "标识理由"),
    }
    if kind == STATE_SECRET:
        body["reference"] = state_secret_reference(reference or {})
    elif reference and any(v for v in reference.values()):
        raise SecrecyError("只有涉及国家秘密的标识登记存放处、密级、保密期限和保管人")
    if kind in HOLDER_KINDS:
        body["holder"] = _text(holder, "权利人（谁的商业秘密或个人隐私）", limit=100)
    return body


def _text(value: object, what: str, *, limit: int = MAX_TEXT) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise SecrecyError(f"请填写{what}")
    if len(text) > limit:
        raise SecrecyError(f"{what}不能超过 {limit} 个字")
    if "\x00" in text:
        raise SecrecyError(f"{what}不能包含空字符")
    return text


def reason_text(value: object, what: str = "理由") -> str:
    return _text(value, what)


# ---------------------------------------------------------------------------- the fold


@dataclass(frozen=True)
class Event:
    """One secrecy entry as read from the ledger: its body, who, when, where."""

    seq: int
    at: datetime
    actor: str
    case_number: str
    body: Mapping[str, Any]

    @property
    def act(self) -> str:
        return str(self.body.get("act") or "")


@dataclass(frozen=True)
class AccessRequest:
    id: str
    case_number: str
    user: str
    reason: str
    at: datetime
    seq: int
    granted: bool | None = None
    decided_by: str = ""
    decision_reason: str = ""
    decided_at: datetime | None = None

    @property
    def status_label(self) -> str:
        if self.granted is None:
            return "待负责人决定"
        return "已同意" if self.granted else "未同意"


@dataclass(frozen=True)
class Item:
    """One thing a party asks for: a record, a media file or a generated document."""

    type: str  # record | media | document
    ref: str  # record id, or the file's sha256

    def to_json(self) -> dict[str, str]:
        return {"type": self.type, "ref": self.ref}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        return cls(str(data.get("type") or ""), str(data.get("ref") or ""))

    @property
    def key(self) -> str:
        return f"{self.type}:{self.ref}"


ITEM_TYPES = {"record": "记录", "media": "音像资料", "document": "文书"}
MODES = {"inspect": "查阅", "copy": "复制"}
RECEIVED_VIA = {
    "counter": "当面提交",
    "mail": "邮寄",
    "online": "网上申请",
    "fax": "传真",
}
OUTCOMES = {"whole": "全部同意", "part": "部分同意", "refused": "不予同意"}
DELIVERIES = {"link": "一次性下载链接", "disc": "光盘", "usb": "U盘"}


@dataclass(frozen=True)
class Withheld:
    item: Item
    reason: str


@dataclass(frozen=True)
class Issued:
    sha256: str
    sm3: str
    size: int
    pages: int
    delivery: str
    token_sha256: str
    expires_at: datetime | None
    given: tuple[Item, ...]
    withheld: tuple[Withheld, ...]
    redactions: tuple[Mapping[str, str], ...]
    by: str
    at: datetime
    seq: int
    downloaded_at: datetime | None = None


@dataclass(frozen=True)
class CopyRequest:
    id: str
    case_number: str
    requester: Mapping[str, str]  # name, party (the case's party id, if any), id_number, contact
    items: tuple[Item, ...]
    mode: str
    received_via: str
    received_at: datetime
    note: str
    registered_by: str
    seq: int
    extended: Mapping[str, str] | None = None  # {"reason", "by", "at"}
    outcome: str = ""
    approved: tuple[Item, ...] = ()
    withheld: tuple[Withheld, ...] = ()
    decision_reason: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None
    issued: Issued | None = None

    @property
    def requester_name(self) -> str:
        return str(self.requester.get("name") or "")

    @property
    def status(self) -> str:
        if self.issued is not None:
            return "downloaded" if self.issued.downloaded_at else "issued"
        if self.outcome == "refused":
            return "refused"
        if self.outcome:
            return "approved"
        return "pending"

    @property
    def status_label(self) -> str:
        return {
            "pending": "待负责人决定",
            "approved": "已同意，待制作",
            "refused": "不予同意",
            "issued": "已制作，待领取",
            "downloaded": "已领取",
        }[self.status]


@dataclass
class State:
    labels: dict[str, Label] = field(default_factory=dict)
    access: dict[str, AccessRequest] = field(default_factory=dict)
    copies: dict[str, CopyRequest] = field(default_factory=dict)

    def active_labels(self, case_number: str | None = None) -> list[Label]:
        return [
            label
            for label in self.labels.values()
            if label.active and (case_number is None or label.case_number == case_number)
        ]


def _items(raw: object) -> tuple[Item, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(Item.from_json(x) for x in raw if isinstance(x, Mapping))


def _withheld(raw: object) -> tuple[Withheld, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Withheld(Item.from_json(x.get("item") or {}), str(x.get("reason") or ""))
        for x in raw
        if isinstance(x, Mapping)
    )


def fold(events: Iterable[Event]) -> State:
    """The secrecy state of an agency (or of one case) from its entries in log order. Acts on
    an unknown label or request, a second lifting or decision, are ignored (the services refuse
    them; a forged one changes nothing)."""
    state = State()
    for ev in events:
        b = ev.body
        act = ev.act
        if act == LABEL:
            label_id = str(b.get("label") or "")
            if not label_id or label_id in state.labels:
                continue
            state.labels[label_id] = Label(
                id=label_id,
                kind=str(b.get("kind") or ""),
                target=Target.from_json(b.get("target") or {}),
                reason=str(b.get("reason") or ""),
                by=ev.actor,
                at=ev.at,
                seq=ev.seq,
                holder=str(b.get("holder") or ""),
                reference=dict(b.get("reference") or {}),
                case_number=ev.case_number,
            )
        elif act == LIFT:
            label_id = str(b.get("label") or "")
            current = state.labels.get(label_id)
            if current is not None and current.active:
                state.labels[label_id] = replace(
                    current,
                    lifted_by=ev.actor,
                    lifted_reason=str(b.get("reason") or ""),
                    lifted_at=ev.at,
                )
        elif act == ACCESS_REQUEST:
            rid = str(b.get("request") or "")
            if rid and rid not in state.access:
                state.access[rid] = AccessRequest(
                    rid, ev.case_number, ev.actor, str(b.get("reason") or ""), ev.at, ev.seq
                )
        elif act == ACCESS_DECISION:
            rid = str(b.get("request") or "")
            req = state.access.get(rid)
            if req is not None and req.granted is None:
                state.access[rid] = replace(
                    req,
                    granted=b.get("granted") is True,
                    decided_by=ev.actor,
                    decision_reason=str(b.get("reason") or ""),
                    decided_at=ev.at,
                )
        elif act == COPY_REQUEST:
            rid = str(b.get("request") or "")
            if rid and rid not in state.copies:
                requester = b.get("requester") or {}
                state.copies[rid] = CopyRequest(
                    id=rid,
                    case_number=ev.case_number,
                    requester={str(k): str(v) for k, v in dict(requester).items()},
                    items=_items(b.get("items")),
                    mode=str(b.get("mode") or ""),
                    received_via=str(b.get("received_via") or ""),
                    received_at=_parse_time(b.get("received_at"), ev.at),
                    note=str(b.get("note") or ""),
                    registered_by=ev.actor,
                    seq=ev.seq,
                )
        else:
            rid = str(b.get("request") or "")
            copy = state.copies.get(rid)
            if copy is None:
                continue
            if act == COPY_EXTENSION and copy.extended is None and not copy.outcome:
                state.copies[rid] = replace(
                    copy,
                    extended={
                        "reason": str(b.get("reason") or ""),
                        "by": ev.actor,
                        "at": ev.at.isoformat(),
                    },
                )
            elif act == COPY_DECISION and not copy.outcome:
                state.copies[rid] = replace(
                    copy,
                    outcome=str(b.get("outcome") or ""),
                    approved=_items(b.get("approved")),
                    withheld=_withheld(b.get("withheld")),
                    decision_reason=str(b.get("reason") or ""),
                    decided_by=ev.actor,
                    decided_at=ev.at,
                )
            elif act == COPY_ISSUED and copy.issued is None and copy.outcome in ("whole", "part"):
                expires = b.get("expires_at")
                state.copies[rid] = replace(
                    copy,
                    issued=Issued(
                        sha256=str(b.get("sha256") or ""),
                        sm3=str(b.get("sm3") or ""),
                        size=int(b.get("size") or 0),
                        pages=int(b.get("pages") or 0),
                        delivery=str(b.get("delivery") or ""),
                        token_sha256=str(b.get("token_sha256") or ""),
                        expires_at=_parse_time(expires, None) if expires else None,
                        given=_items(b.get("given")),
                        withheld=_withheld(b.get("withheld")),
                        redactions=tuple(
                            {str(k): str(v) for k, v in dict(r).items()}
                            for r in b.get("redactions") or []
                            if isinstance(r, Mapping)
                        ),
                        by=ev.actor,
                        at=ev.at,
                        seq=ev.seq,
                    ),
                )
            elif (
                act == COPY_DOWNLOADED
                and copy.issued is not None
                and copy.issued.downloaded_at is None
            ):
                state.copies[rid] = replace(copy, issued=replace(copy.issued, downloaded_at=ev.at))
    return state


def _parse_time(value: object, default: datetime | None) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return default
        if parsed.tzinfo is not None:
            return parsed
    return default


# ---------------------------------------------------------------------------- need to know


# Who sees labelled content besides the case team (000 art. 34 …: "按照……权限进行管理"): the
# legal reviewer (法制审核 reads the whole file, 000 art. 16), the head (负责人, who decides on
# access and copies, 000 art. 33) and the supervisor (监督, 000 art. 35; 001 art. 6).
PRIVILEGED_ROLES = ("legal", "approver", "supervisor")


@dataclass(frozen=True)
class Viewer:
    username: str
    roles: tuple[str, ...]
    in_team: bool  # the case's handler or an officer recorded in it
    granted: bool = False  # the head granted this user access to the case's labelled content

    @property
    def need_to_know(self) -> bool:
        return self.in_team or self.granted or any(r in PRIVILEGED_ROLES for r in self.roles)


def may_see_labelled(viewer: Viewer) -> bool:
    """The one decision for labelled content, on the pages, the API and the documents alike."""
    return viewer.need_to_know


def may_see_personal(viewer: Viewer, *, in_list: bool) -> bool:
    """Personal data (身份证号, phone numbers, addresses of persons) is masked in lists and
    search results for everyone, and shown on the record and case pages to those who need to
    know (个人信息保护法 第六条: 最小必要)."""
    return not in_list and viewer.need_to_know


# A mainland 身份证号: 17 digits and a check digit (GB 11643); a mobile number 1[3-9] + 9
# digits; a landline 0AA(A)-NNNNNNN(N).
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])(0[0-9]{2,3})-?[0-9]{7,8}(?![0-9])")


def mask_personal_text(text: str) -> str:
    """身份证号 and phone numbers within a text masked: 220502********1234, 138****5678."""
    text = _ID_NUMBER.sub(lambda m: f"{m[1]}{'*' * 8}{m[2]}", text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    return _LANDLINE.sub(lambda m: f"{m[1]}-********", text)


def mask_address(address: str) -> str:
    """An address of a person: only its administrative part (province, city, district or
    county) is kept — 本溪市平山区胜利路17号 → 本溪市平山区****."""
    address = address.strip()
    if not address:
        return ""
    head = address[:12]
    cut = max((head.rfind(c) for c in "省市区县旗州盟"), default=-1)
    keep = cut + 1 if cut >= 0 else min(3, len(address) // 3)
    return address[:keep] + "****"


def mask_id_number(value: str) -> str:
    value = value.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def personal_values(text: str) -> list[str]:
    """The 身份证号 and phone numbers a text contains (for redaction)."""
    found = [m[0] for m in _ID_NUMBER.finditer(text)]
    found += [m[0] for m in _MOBILE.finditer(text)]
    found += [m[0] for m in _LANDLINE.finditer(text)]
    return found


MASKED = "〔已隐去〕"


def redact(text: str, values: Sequence[str], replacement: str) -> str:
    """``text`` with every occurrence of each value replaced (longest first, so a value inside
    another does not leave a part of the longer one)."""
    for value in sorted({v for v in values if v}, key=len, reverse=True):
        text = text.replace(value, replacement)
    return text


# ---------------------------------------------------------------------------- uploads


def upload_refusal(labels: Iterable[Label], record_id: str = "") -> str | None:
    """Why an upload to this case (or to this record of it) is refused: a 涉及国家秘密 label on
    the case, or on the record the file is for. None: the upload may proceed."""
    for label in labels:
        if not label.active or label.kind != STATE_SECRET:
            continue
        if label.target.kind == "case" or (
            record_id and label.target.kind == "record" and label.target.record == record_id
        ):
            return (
                f"该{'案件' if label.target.kind == 'case' else '记录'}已登记为涉及国家秘密"
                f"（密级：{SECRET_LEVELS.get(label.reference.get('level', ''), '')}，"
                f"原件存放处：{label.reference.get('location', '')}）。{STATE_SECRET_REFUSAL}"
            )
    return None


# ---------------------------------------------------------------------------- copy deadlines


@dataclass(frozen=True)
class CopyTerms:
    """An agency's periods for answering a 查阅/复制 request, from its rule pack's
    ``[copy_request]`` table: e.g. benxi-hrss (003 art. 26 → 政府信息公开条例 第三十三条):
    answer within 20 working days, extendable once by at most 20 with approval."""

    answer_within: str  # a period: "20wd"
    extension: str  # "20wd"
    article: int
    quote: str
    source: str


def copy_due(request: CopyRequest, terms: CopyTerms, calendar: WorkdayCalendar) -> datetime:
    """When the answer to ``request`` is due: ``answer_within`` from the day it was received
    (that day not counted), plus ``extension`` once the head extended it (政府信息公开条例
    第三十三条: 延长的期限最长不得超过20个工作日)."""
    due = due_at(request.received_at, Period.parse(terms.answer_within), calendar)
    if request.extended is not None:
        due = due_at(due, Period.parse(terms.extension), calendar)
    return due


def parse_copy_terms(raw: Mapping[str, Any], where: str) -> CopyTerms:
    """A rule pack's ``[copy_request]`` table (validated: both periods parse)."""
    allowed = ("answer_within", "extension", "article", "quote", "source")
    unknown = [k for k in raw if k not in allowed]
    if unknown:
        raise SecrecyError(f"{where}: 未知的键 {', '.join(unknown)}")
    try:
        terms = CopyTerms(
            answer_within=str(raw["answer_within"]),
            extension=str(raw["extension"]),
            article=int(raw["article"]),
            quote=str(raw["quote"]),
            source=str(raw.get("source") or ""),
        )
        Period.parse(terms.answer_within)
        Period.parse(terms.extension)
    except (KeyError, ValueError, TypeError) as exc:
        raise SecrecyError(f"{where}: {exc}") from exc
    return terms
