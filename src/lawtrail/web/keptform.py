"""What a user typed into a form whose submission could not be accepted — a failed CSRF check
(the page was open across a sign-out, a new sign-in or a server restart) or a session that ended
while they were typing — kept so that nothing is lost: shown back to them as a list they can
copy, and as a new form carrying the same values that they can submit again with one click.

Never kept: files (the browser cannot be made to send them again), and fields that hold secrets
(passwords, one-time codes, tokens, the old CSRF token). The values are kept in the session
across a new sign-in only (:func:`keep` / :func:`take`), at most :data:`MAX_KEPT_CHARS` of them,
and only for the path they were posted to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

from lawtrail.core.record_kinds import RECORD_KINDS, FieldSpec

SESSION_KEY = "lawtrail_kept_form"
# Names of fields that carry secrets or one-time values: never shown, never resubmitted.
SECRET_NAME = re.compile(r"pass|csrf|otp|token|secret|captcha", re.IGNORECASE)
# A session is not a document store: a form of more than this is shown, but not kept across
# a sign-in (the page itself still lists every value).
MAX_KEPT_CHARS = 200_000
# Long values (a drawn signature is a data: URL of some kilobytes) are resubmitted whole but
# not printed in the readable list.
MAX_SHOWN_CHARS = 2_000


_FORM_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


@dataclass(frozen=True)
class KeptField:
    name: str
    value: str
    label: str
    shown: str  # what the readable list shows: the value, or a Chinese description of it

    @property
    def filled(self) -> bool:
        """Worth listing: empty fields are resubmitted (the form expects them), not listed."""
        return bool(self.value.strip())


# The numbered fields of the record and case forms (lawtrail.web.forms): "officer_0_shown".
_NUMBERED = re.compile(r"(officer|party|refusal|sig)_(\d+)(?:_([a-z_]+))?")
_NUMBERED_LABELS = {
    ("officer", None): "执法人员（{n}）",
    ("officer", "shown"): "执法人员（{n}）是否出示执法证件",
    ("party", "name"): "当事人{n}：名称或姓名",
    ("party", "kind"): "当事人{n}：类型",
    ("party", "address"): "当事人{n}：住所或地址",
    ("party", "contact"): "当事人{n}：联系方式",
    ("party", "legal_representative"): "当事人{n}：法定代表人（负责人）",
    ("party", "id_number"): "当事人{n}：统一社会信用代码或身份证号",
    ("refusal", "name"): "拒签人（{n}）姓名",
    ("refusal", "party"): "拒签的当事人（{n}）",
    ("refusal", "reason"): "拒签（{n}）理由及情况",
    ("refusal", "role"): "拒签人（{n}）身份",
    ("sig", "drawn"): "签名（{n}）",
    ("sig", "kept"): "签名（{n}）",
    ("sig", "method"): "签名（{n}）方式",
    ("sig", "name"): "签名人（{n}）姓名",
    ("sig", "role"): "签名人（{n}）身份",
    ("sig", "signer"): "签名人（{n}）",
}

# Fields of the forms that are not a record kind's own (lawtrail.web.forms): their labels.
_COMMON_LABELS = {
    "av_exemption_approved_by": "批准不进行音像记录的负责人",
    "av_exemption_reason": "不适宜音像记录的理由",
    "media": "音像资料",
    "at": "行为发生时间",
    "correction_reason": "更正理由",
    "reason": "理由",
    "comment": "意见",
    "opinion": "意见",
    "decision": "决定",
    "note": "说明",
    "title": "案由",
    "case_number": "案号",
    "opened_at": "立案时间",
    "procedure": "程序",
    "origin": "案件来源",
    "major": "重大案件",
    "acts": "执法行为",
    "username": "用户名",
    "description": "说明",
    "deadline": "整改期限",
    "answer": "答复",
    "content": "内容",
    "name": "名称",
    "scope": "权限",
}


@cache
def _specs_by_name() -> dict[str, FieldSpec]:
    """Every record kind's field by its name (the first kind that names it; the labels of a
    name agree across kinds where it matters for reading back what was typed)."""
    found: dict[str, FieldSpec] = {}
    for kind in RECORD_KINDS.values():
        for spec in kind.fields:
            found.setdefault(spec.name, spec)
    return found


def _spec(name: str, kind: str | None) -> FieldSpec | None:
    if not name.startswith("f_"):
        return None
    bare = name[2:]
    record_kind = RECORD_KINDS.get(kind) if kind else None
    if record_kind is not None:
        for spec in record_kind.fields:
            if spec.name == bare:
                return spec
    return _specs_by_name().get(bare)


def _label(name: str, spec: FieldSpec | None, position: int) -> str:
    if spec is not None:
        return spec.label
    base = name.split("-", 1)[1] if name.startswith("case-") else name
    numbered = _NUMBERED.fullmatch(base)
    if numbered is not None:
        template = _NUMBERED_LABELS.get((numbered[1], numbered[3]))
        if template is not None:
            return template.format(n=int(numbered[2]) + 1)
    return _COMMON_LABELS.get(base, f"第 {position} 项")


def _shown(value: str, spec: FieldSpec | None) -> str:
    if value.startswith("data:image/"):
        return "（手写签名图像，重新提交时一并提交）"
    if spec is not None and spec.choices:
        value = spec.choices.get(value, value)
    if _FORM_DATETIME.fullmatch(value):  # a datetime-local input's "2026-11-20T10:00"
        return value.replace("T", " ")
    if value in ("true", "on"):
        return "是"
    if value == "false":
        return "否"
    if len(value) > MAX_SHOWN_CHARS:
        return value[:MAX_SHOWN_CHARS] + "……（内容较长，已截断显示；重新提交时提交全文）"
    return value


def _record_kind(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    kind = match.kwargs.get("kind")
    return str(kind) if kind else None


def fields_of(pairs: Iterable[tuple[str, str]], path: str) -> list[KeptField]:
    """The keepable (name, value) pairs of a form posted to `path`, with Chinese labels."""
    kind = _record_kind(path)
    out: list[KeptField] = []
    for name, value in pairs:
        if SECRET_NAME.search(name):
            continue
        spec = _spec(name, kind)
        out.append(KeptField(name, value, _label(name, spec, len(out) + 1), _shown(value, spec)))
    return out


def posted_fields(request: HttpRequest) -> list[KeptField]:
    """The non-file fields of a form POST (nothing for other requests or bodies)."""
    if request.method != "POST":
        return []
    content_type = request.content_type or ""
    if content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return []
    # A large body is a media upload: parsing it here would spool the files for nothing.
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return []
    if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return []
    try:
        pairs = [(k, v) for k, values in request.POST.lists() for v in values]
    except Exception:
        return []
    return fields_of(pairs, request.path)


def safe_path(request: HttpRequest) -> str:
    """The path the form was posted to, if it is one of ours (it is where it is resubmitted)."""
    path = request.path
    if url_has_allowed_host_and_scheme(path, allowed_hosts=None) and path.startswith("/"):
        return path
    return "/"


def keep(request: HttpRequest, fields: list[KeptField]) -> bool:
    """Keep the fields in the session for :func:`take` after the next sign-in; False if there
    is nothing to keep or too much."""
    if not fields or not hasattr(request, "session"):
        return False
    if sum(len(f.name) + len(f.value) for f in fields) > MAX_KEPT_CHARS:
        return False
    request.session[SESSION_KEY] = {
        "path": safe_path(request),
        "fields": [[f.name, f.value] for f in fields],
    }
    return True


def take(request: HttpRequest) -> tuple[str, list[KeptField]] | None:
    """The kept form (path, fields), removed from the session; None if there is none."""
    kept = request.session.pop(SESSION_KEY, None)
    if not isinstance(kept, dict):
        return None
    path = kept.get("path")
    pairs = kept.get("fields")
    if not isinstance(path, str) or not path.startswith("/") or not isinstance(pairs, list):
        return None
    clean = [(str(p[0]), str(p[1])) for p in pairs if isinstance(p, list) and len(p) == 2]
    return path, fields_of(clean, path)
