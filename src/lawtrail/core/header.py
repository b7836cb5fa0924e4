"""Changes of a case's header (issue #15): a second party found during the investigation, a
changed 案由, acts or 重大 flag.

The header is what the case was opened with (title, acts, 重大, parties …). It is never edited
in place: a change is a new header entry in the agency's ledger, the full header as it is from
then on, carrying a ``change`` block — the reason (变更理由) and each change with its old and
new value — so that the history keeps every version and says why it changed, as a correction
of a record does (docs/case-format.md). Reading a case takes its latest header
(``services.load_case``); the rules judge the case by it.

What may change: the title (案由), the acts (行政执法行为), the 重大 flag and the parties —
added, their details corrected, or marked 误列 (listed by mistake) with a reason. A party is
never removed: earlier records name it (a signature, a refusal, an applicant), and a record
that vanished from the case file is what 000 art. 36(三) / 002 art. 37 call 删除、篡改. The
procedure, origin and opening time are facts of how the case began, not of what it is about:
a different procedure or origin is a different case.

This module is pure (the case format's JSON in, JSON out): the services check who may change
the header and append it; the web shell's form and the API build the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lawtrail.core import timeutil
from lawtrail.core.caseio import FormatIssue
from lawtrail.core.model import Case
from lawtrail.core.record_kinds import ACTS, APPROVER_ROLE
from lawtrail.core.role_acts import Actor

CHANGE_KEY = "change"  # the key of the change block in a header entry's body
TITLE_MAX = 300  # characters of 案由, as the form that opens a case allows
REASON_MAX = 1000  # characters of 变更理由
PARTY_KEYS = (
    "name",
    "kind",
    "id_number",
    "address",
    "contact",
    "legal_representative",
    "misjoined",
)
PARTY_KEY_LABELS = {
    "name": "名称或姓名",
    "kind": "类型",
    "id_number": "证件号码",
    "address": "住所或地址",
    "contact": "联系方式",
    "legal_representative": "法定代表人（负责人）",
    "misjoined": "误列理由",
}
PARTY_KIND_LABELS = {"organization": "单位", "person": "个人"}
# The header keys a change may touch (everything else of the header is kept as it was).
CHANGEABLE = ("title", "acts", "major", "parties")


class HeaderChangeError(ValueError):
    """The change is refused; ``issues`` say why (Chinese, with the request's JSON paths)."""

    def __init__(self, issues: Sequence[FormatIssue]) -> None:
        self.issues = list(issues)
        super().__init__("；".join(f"{i.path}：{i.message}" for i in self.issues))


@dataclass(frozen=True)
class HeaderChange:
    """A requested change: None (or no parties) leaves that part as it is.

    ``parties`` are party objects of the case format, matched by ``id``: an id the case has
    corrects that party (the keys given replace its values; a key given as "" clears it), a new
    id adds a party. A party not named stays as it is — there is no way to remove one."""

    reason: str
    title: str | None = None
    acts: Sequence[str] | None = None
    major: bool | None = None
    parties: Sequence[Mapping[str, Any]] = ()


def case_team(case: Case, opener: str) -> set[str]:
    """Who works the case: its handler (承办人, the account that opened it) and the officers
    recorded as present at its acts (000 art. 9 …: 执法人员 named in the records)."""
    team = {o.person for r in case.records for o in r.officers}
    if opener:
        team.add(opener)
    return team


def may_change(case: Case, opener: str, actor: Actor) -> bool:
    """Only the case team or the agency's head (负责人) may change what a case is about: the
    header decides which rules apply (a 重大 decision needs 法制审核 first), so a change is an
    act of someone answerable for the case, like the internal approval chain's (000 art. 37)."""
    return actor.holds(APPROVER_ROLE) or actor.username in case_team(case, opener)


def split_header(body: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A header entry's body as (the case header, the change block or None)."""
    header = {k: v for k, v in body.items() if k != CHANGE_KEY}
    change = body.get(CHANGE_KEY)
    return header, dict(change) if isinstance(change, Mapping) else None


def apply_change(
    header: Mapping[str, Any], change: HeaderChange, at: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header after ``change`` (made at ``at``) and the change block to store with it.

    A case marked 重大 by the change gets ``major_since`` = ``at``: the acts entered before were
    made when the case was not known as one, and the rules for 重大 cases do not judge them
    (lawtrail.core.engine) — a 程序启动审批表 made before cannot have carried the 法制机构合法性
    审查意见 that 000 art. 7 / 002 art. 8 require of a 重大 case's. A case no longer 重大 loses it.

    ``header`` is the case-format header as the latest entry holds it. Refused
    (:class:`HeaderChangeError`): an empty or overlong reason, an overlong title, an act the
    case format does not know, a party without a name or with a malformed id, a change that
    changes nothing. The full header is validated again by the case format's reader before it
    is stored (``services.do_change_header``)."""
    issues: list[FormatIssue] = []
    reason = change.reason.strip()
    if not reason:
        issues.append(FormatIssue("$.reason", "请填写变更理由"))
    elif len(reason) > REASON_MAX:
        issues.append(FormatIssue("$.reason", f"变更理由不能超过 {REASON_MAX} 个字符"))
    new = {k: _copy(v) for k, v in header.items()}
    if change.title is not None:
        title = change.title.strip()
        if len(title) > TITLE_MAX:
            issues.append(FormatIssue("$.title", f"案由不能超过 {TITLE_MAX} 个字符"))
        if title:
            new["title"] = title
        else:
            new.pop("title", None)
    if change.acts is not None:
        acts: list[str] = []
        for i, act in enumerate(change.acts):
            if act not in ACTS:
                issues.append(FormatIssue(f"$.acts[{i}]", f"未知的行政执法行为 {act!r}"))
            elif act not in acts:
                acts.append(act)
        if not acts and not issues:
            issues.append(FormatIssue("$.acts", "请至少选择一种行政执法行为"))
        # The case format's order: as ACTS lists them, so a re-ordering alone is no change.
        new["acts"] = [a for a in ACTS if a in acts]
    if change.major is not None:
        new["major"] = bool(change.major)
        if new["major"] and not header.get("major"):
            new["major_since"] = timeutil.local(timeutil.require_aware(at)).isoformat()
        elif not new["major"]:
            new.pop("major_since", None)
    new["parties"] = _parties_changed(list(header.get("parties") or []), change.parties, issues)
    if issues:
        raise HeaderChangeError(issues)
    changes = diff(header, new)
    if not changes:
        raise HeaderChangeError([FormatIssue("$", "案件信息没有变化，无需变更")])
    return new, {"reason": reason, "changes": changes}


def _parties_changed(
    parties: list[Any], given: Iterable[Mapping[str, Any]], issues: list[FormatIssue]
) -> list[Any]:
    out = [dict(p) if isinstance(p, Mapping) else p for p in parties]
    index = {p.get("id"): i for i, p in enumerate(out) if isinstance(p, Mapping)}
    seen: set[str] = set()
    for n, raw in enumerate(given):
        path = f"$.parties[{n}]"
        if not isinstance(raw, Mapping):
            issues.append(FormatIssue(path, "当事人应为对象"))
            continue
        unknown = sorted(set(raw) - {"id", *PARTY_KEYS})
        if unknown:
            issues.append(FormatIssue(f"{path}.{unknown[0]}", f"未知的当事人字段 {unknown[0]!r}"))
            continue
        pid = raw.get("id")
        if not isinstance(pid, str) or not pid:
            issues.append(FormatIssue(f"{path}.id", "请写明当事人标识 id"))
            continue
        if pid in seen:
            issues.append(FormatIssue(f"{path}.id", f"当事人 {pid} 在本次变更中出现了两次"))
            continue
        seen.add(pid)
        values: dict[str, Any] = {}
        for key in PARTY_KEYS:
            if key not in raw or raw[key] is None:
                continue
            if not isinstance(raw[key], str):
                issues.append(FormatIssue(f"{path}.{key}", "应为文字"))
                continue
            values[key] = raw[key].strip()
        if pid in index:
            party = out[index[pid]]
            for key, value in values.items():
                if key == "kind" and value == (party.get("kind") or "organization"):
                    continue  # the default spelled out is no change
                if value:
                    party[key] = value
                else:
                    party.pop(key, None)
            if not party.get("name"):
                issues.append(FormatIssue(f"{path}.name", "当事人的名称或姓名不能为空"))
        else:
            if not values.get("name"):
                issues.append(FormatIssue(f"{path}.name", "请填写新增当事人的名称或姓名"))
                continue
            if values.get("misjoined"):
                issues.append(FormatIssue(f"{path}.misjoined", "新增的当事人不能同时标为误列"))
                continue
            out.append({"id": pid, **{k: v for k, v in values.items() if v}})
    return out


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The changes from header ``old`` to header ``new``, in a fixed order: title, acts, 重大,
    then the parties in their order (added, corrected, marked or unmarked 误列).

    Only the changeable keys are compared; a party missing from ``new`` is not a change this
    module makes (it is refused before, see :func:`removed_parties`)."""
    changes: list[dict[str, Any]] = []
    if (old.get("title") or "") != (new.get("title") or ""):
        changes.append(
            {"field": "title", "old": old.get("title") or "", "new": new.get("title") or ""}
        )
    if list(old.get("acts") or []) != list(new.get("acts") or []):
        changes.append(
            {
                "field": "acts",
                "old": list(old.get("acts") or []),
                "new": list(new.get("acts") or []),
            }
        )
    if bool(old.get("major")) != bool(new.get("major")):
        changes.append(
            {"field": "major", "old": bool(old.get("major")), "new": bool(new.get("major"))}
        )
    before = {p.get("id"): p for p in old.get("parties") or [] if isinstance(p, Mapping)}
    for party in new.get("parties") or []:
        if not isinstance(party, Mapping):
            continue
        previous = before.get(party.get("id"))
        if previous is None:
            changes.append({"field": "party_added", "party": dict(party)})
            continue
        if dict(previous) == dict(party):
            continue
        changed = [k for k in PARTY_KEYS if _party_value(previous, k) != _party_value(party, k)]
        if not changed:
            continue
        changes.append(
            {
                "field": "party_changed",
                "party": party.get("id"),
                "name": previous.get("name") or "",  # as the party was known until now
                "old": {k: previous.get(k) or "" for k in changed},
                "new": {k: party.get(k) or "" for k in changed},
            }
        )
    return changes


def _party_value(party: Mapping[str, Any], key: str) -> str:
    value = str(party.get(key) or "")
    return value or "organization" if key == "kind" else value


def removed_parties(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Ids of parties of ``old`` that ``new`` no longer has (never allowed)."""
    kept = {p.get("id") for p in new.get("parties") or [] if isinstance(p, Mapping)}
    return [
        str(p.get("id"))
        for p in old.get("parties") or []
        if isinstance(p, Mapping) and p.get("id") not in kept
    ]


def describe(change: Mapping[str, Any]) -> list[str]:
    """The change block's changes in Chinese, one line each, for the case's history:
    ``标题「旧」→「新」``, ``增加当事人 张三（个人）``, ``当事人 李四 标为误列（理由）`` …"""
    lines: list[str] = []
    for item in change.get("changes") or []:
        if not isinstance(item, Mapping):
            continue
        field = item.get("field")
        if field == "title":
            lines.append(f"案由「{item.get('old') or '（无）'}」→「{item.get('new') or '（无）'}」")
        elif field == "acts":
            lines.append(f"行政执法行为「{_acts(item.get('old'))}」→「{_acts(item.get('new'))}」")
        elif field == "major":
            lines.append("重大行政执法决定：" + ("否→是" if item.get("new") else "是→否"))
        elif field == "party_added":
            party = _mapping(item.get("party"))
            kind = PARTY_KIND_LABELS.get(str(party.get("kind") or "organization"), "")
            lines.append(f"增加当事人 {party.get('name', '')}（{kind}）")
        elif field == "party_changed":
            lines.append(_party_changed(item))
    return lines


def _party_changed(item: Mapping[str, Any]) -> str:
    old, new = _mapping(item.get("old")), _mapping(item.get("new"))
    name = item.get("name") or str(item.get("party", ""))
    parts: list[str] = []
    for key in PARTY_KEYS:
        if key not in new and key not in old:
            continue
        if key == "misjoined":
            if new.get(key):
                parts.append(f"标为误列（{new[key]}）")
            else:
                parts.append("撤销误列标记")
            continue
        before, after = old.get(key) or "", new.get(key) or ""
        if key == "kind":
            before = PARTY_KIND_LABELS.get(before or "organization", before)
            after = PARTY_KIND_LABELS.get(after or "organization", after)
        parts.append(f"{PARTY_KEY_LABELS[key]}「{before or '（无）'}」→「{after or '（无）'}」")
    return f"当事人 {name}：" + "，".join(parts)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _acts(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    return "、".join(ACTS.get(str(a), str(a)) for a in value) or "（无）"


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
