"""Record forms generated from the record-kind definitions of the core — no form per kind.

:func:`record_form` builds the form of any kind for a case: each
:class:`~lawtrail.core.record_kinds.FieldSpec` becomes a form field by its type (``f_<name>``),
and the parts every record shares are added around them: the act's time, the officers present
(kinds with ``has_officers``), signatures (an uploaded scan or a drawing on screen), refusals to
sign, the AV exemption, media of the case, a note, and for a correction its reason.

The form only checks what a form can (types, required items, images); everything else is the
case format's reader run by the services. :meth:`RecordForm.record` gives the record as case
format JSON, :meth:`RecordForm.apply_issues` puts the services' issues (JSON paths such as
``$.records[3].fields.method`` or ``$.officers[0].person``) back onto the fields they concern.
:class:`CaseForm` is the header of a new case (case number, acts, procedure, parties …).
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from lawtrail import services
from lawtrail.core import role_acts, timeutil
from lawtrail.core.caseio import FormatIssue
from lawtrail.core.header import REASON_MAX, TITLE_MAX, HeaderChange
from lawtrail.core.model import Case, Media, Record
from lawtrail.core.record_kinds import (
    ACTS,
    AV_EXEMPTION_ACT,
    MEDIA_TYPES,
    PROCEDURES,
    RECORD_KINDS,
    SIGNATURE_ACT_ROLES,
    SIGNATURE_METHODS,
    SIGNATURE_ROLES,
    FieldSpec,
    FieldType,
    RecordKind,
    record_label,
)
from lawtrail.core.regulations import article_label
from lawtrail.core.rules import FieldsCheck, load_pack
from lawtrail.web.actions import SignatureImage
from lawtrail.web.models import User
from lawtrail.web.roles import OFFICER

OFFICER_SLOTS = 4
SIGNATURE_SLOTS = 3
REFUSAL_SLOTS = 2
PARTY_SLOTS = 2

# The first record of a case, by the way the case starts.
ORIGIN_KINDS: Mapping[str, str] = {
    "application": "application_registration",  # 申请登记
    "ex_officio": "initiation_approval",  # 程序启动审批表
    "emergency": "emergency_start",  # 紧急先行启动
    "complaint": "complaint",  # 投诉举报
}

# Signature images are stored as photos of the case under these generated names; they are not
# offered as media to attach to a record.
SIGNATURE_FILE_PREFIX = "signature-"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"

BLANK = ("", "——")
BOOL_CHOICES = [("", "未填"), ("true", "是"), ("false", "否")]
PARTY_KINDS = {"organization": "单位（法人或其他组织）", "person": "个人"}

Choice = tuple[str, str]


def _messages(label: str) -> dict[str, str]:
    """Field-level messages in Chinese, naming the field."""
    return {
        "required": f"请填写「{label}」",
        "invalid": f"「{label}」的格式不正确",
        "invalid_choice": f"「{label}」没有选项 %(value)s，请重新选择",
        "invalid_list": f"「{label}」的选项无效",
        "max_digits": f"「{label}」的数字过长",
        "max_decimal_places": f"「{label}」最多两位小数",
        "max_whole_digits": f"「{label}」的整数部分过长",
        "max_length": f"「{label}」过长（最多 %(limit_value)d 个字符）",
        "min_value": f"「{label}」不能小于 %(limit_value)s",
        "max_value": f"「{label}」不能大于 %(limit_value)s",
        "missing": f"「{label}」：没有收到文件",
        "empty": f"「{label}」：文件是空的",
    }


# ---------------------------------------------------------------------------- field types


class ShanghaiDateTimeInput(forms.DateTimeInput):
    """A browser's datetime-local input; shows an instant on the Beijing wall clock."""

    input_type = "datetime-local"

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            local = timeutil.local(value) if value.tzinfo else value
            return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")
        return None if value in (None, "") else str(value)


# Times and dates the system computes deadlines with (the API accepts the same range, see
# lawtrail.web.api._out_of_range): outside it a date is a typing error, and one near the ends
# of Python's range (year 1, 9999-12-31 with an offset) would overflow in any computation.
FIRST_YEAR, LAST_YEAR = 1950, 2099
# A record's act time (行为发生时间): at most this far ahead of the server's clock (a device's
# drift), and at most this long before the case was opened (acts before 立案 — an inspection,
# a complaint — are recorded in the case; a year earlier is a typing error).
ACT_TIME_LEEWAY = timedelta(minutes=10)
EARLIEST_BEFORE_OPENING = timedelta(days=366)


def _out_of_range(label: str) -> ValidationError:
    return ValidationError(
        f"「{label}」日期超出范围：系统支持 {FIRST_YEAR} 年至 {LAST_YEAR} 年的日期",
        code="out_of_range",
    )


class SupportedDateField(forms.DateField):
    """A date (年-月-日) within the supported years."""

    def to_python(self, value: Any) -> Any:
        try:
            parsed = super().to_python(value)
        except OverflowError:  # pragma: no cover - strptime refuses years beyond 9999 first
            raise _out_of_range(str(self.label)) from None
        if parsed is not None and not FIRST_YEAR <= parsed.year <= LAST_YEAR:
            raise _out_of_range(str(self.label))
        return parsed


class ShanghaiDateTimeField(forms.Field):
    """A point in time typed as Beijing time: what the form gives is always aware (a naive
    time cannot come out of it); an explicit offset is kept and shown in Beijing time."""

    widget = ShanghaiDateTimeInput

    def __init__(self, *, label: str, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", _messages(label))
        super().__init__(label=label, **kwargs)
        self.error_messages["invalid"] = (
            f"「{label}」无法识别的时间 “%(value)s”：请按 年-月-日 时:分 填写"
            "（北京时间），如 2026-10-09 14:30"
        )

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            parsed = value
        else:
            text = str(value).strip()
            try:
                if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}", text):
                    raise ValueError(text)
                parsed = datetime.fromisoformat(text)
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": text[:40]}
                ) from None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=timeutil.SHANGHAI)
        try:
            local = parsed.astimezone(timeutil.SHANGHAI)
        except OverflowError:  # 9999-12-31 late in the day with a western offset, year 1 …
            raise _out_of_range(str(self.label)) from None
        if not FIRST_YEAR <= local.year <= LAST_YEAR:
            raise _out_of_range(str(self.label))
        return local


class TextListField(forms.CharField):
    """A list of lines: one item per line, blank lines dropped."""

    def to_python(self, value: Any) -> list[str]:
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value


def _tri_state(label: str, required: bool = False, help_text: str = "") -> forms.Field:
    return forms.TypedChoiceField(
        label=label,
        required=required,
        help_text=help_text,
        choices=BOOL_CHOICES,
        coerce=lambda v: v == "true",
        empty_value=None,
        error_messages=_messages(label),
    )


def _choice(label: str, choices: Sequence[Any], required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        required=required,
        choices=[BLANK, *choices],
        error_messages=_messages(label),
    )


def _text(label: str, *, required: bool = False, rows: int = 2, help_text: str = "") -> Any:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=_messages(label),
    )


def _line(label: str, *, required: bool = False, max_length: int | None = 200) -> Any:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        error_messages=_messages(label),
    )


# ---------------------------------------------------------------------------- context


@dataclass(frozen=True)
class FormContext:
    """What a record form may refer to: the agency's people (value = user name, the person's
    id in the case), the case's parties and records, the case's ingested media."""

    people: tuple[Choice, ...] = ()
    officers: tuple[Choice, ...] = ()
    parties: tuple[Choice, ...] = ()
    records: tuple[Choice, ...] = ()
    media: tuple[Choice, ...] = ()
    signature_images: frozenset[str] = field(default_factory=frozenset)
    new_case: bool = False  # the first record of a case being opened
    opened_at: datetime | None = None  # when the case was opened (its records' plausible times)
    agency: str = ""  # whose rule pack marks the fields its rules require


def _person_label(name: str, title: str) -> str:
    return f"{name}（{title}）" if title else name


def form_context(
    case: Case | None,
    users: Iterable[User],
    media: Iterable[Media] = (),
    *,
    parties: Sequence[Choice] | None = None,
    agency: str = "",
) -> FormContext:
    """The choices of a record form. People are the agency's active users, plus people of
    the case who are not users (imported case files name them by their own ids)."""
    users = list(users)
    people = [(u.username, _person_label(u.display_name, u.title)) for u in users]
    officers = [
        (u.username, _person_label(u.display_name, u.title)) for u in users if u.has_role(OFFICER)
    ]
    known = {u.username for u in users}
    records: list[Choice] = []
    images: set[str] = set()
    if case is not None:
        for person in case.people:
            if person.id in known:
                continue
            people.append((person.id, _person_label(person.name, person.title)))
            if person.certificate_number:
                officers.append((person.id, _person_label(person.name, person.title)))
        for rec in case.records:
            when = timeutil.format_local(rec.at)
            records.append((rec.id, f"{rec.id} {RECORD_KINDS[rec.kind].label}（{when}）"))
            images.update(s.image_sha256 for s in rec.signatures if s.image_sha256)
    if parties is None:
        parties = [(p.id, p.name) for p in case.parties] if case is not None else []
    media_choices = [
        (m.sha256, media_label(m))
        for m in media
        if not m.filename.startswith(SIGNATURE_FILE_PREFIX)
    ]
    return FormContext(
        people=tuple(people),
        officers=tuple(officers),
        parties=tuple(parties),
        records=tuple(records),
        media=tuple(media_choices),
        signature_images=frozenset(images),
        new_case=case is None,
        opened_at=case.opened_at if case is not None else None,
        agency=case.agency if case is not None else agency,
    )


def media_label(media: Media) -> str:
    kind = MEDIA_TYPES.get(media.type, media.type)
    name = media.filename or media.sha256[:12]
    return f"{kind} {name}（拍摄于 {timeutil.format_local(media.captured_at)}）"


@functools.cache
def rule_required_fields(agency: str, kind: str) -> dict[str, str]:
    """The fields of ``kind`` the agency's rule pack requires of every such record (a
    ``fields`` rule with no condition on the record or the case, each field required): field
    name → the article ("第十二条"). Conditional rules are left to the draft's check."""
    try:
        pack = load_pack(agency)
    except (KeyError, FileNotFoundError, ValueError):
        return {}
    out: dict[str, str] = {}
    for rule in pack.rules:
        check = rule.check
        if not isinstance(check, FieldsCheck) or check.any or check.by_closure:
            continue
        if kind not in rule.kinds or rule.where or rule.case:
            continue
        for name in check.fields:
            out.setdefault(name, article_label(rule.citation.article))
    return out


def kind_field(spec: FieldSpec, ctx: FormContext) -> forms.Field:
    """The form field of one field of a record kind, by its type."""
    label, required, help_text = spec.label, spec.required, spec.help
    messages = _messages(label)
    common: dict[str, Any] = {
        "label": label,
        "required": required,
        "help_text": help_text,
        "error_messages": messages,
    }
    t = spec.type
    if t is FieldType.TEXT:
        return _text(label, required=required, help_text=help_text)
    if t is FieldType.TEXT_LIST:
        common["help_text"] = help_text or "每行一项"
        return TextListField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    if t is FieldType.BOOL:
        return _tri_state(label, required, help_text)
    if t is FieldType.INTEGER:
        return forms.IntegerField(**common)
    if t is FieldType.AMOUNT:
        common["help_text"] = help_text or "单位：元，最多两位小数"
        return forms.DecimalField(max_digits=15, decimal_places=2, **common)
    if t is FieldType.DATE:
        return SupportedDateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            input_formats=["%Y-%m-%d"],
            **common,
        )
    if t is FieldType.DATETIME:
        common["help_text"] = help_text or "北京时间"
        return ShanghaiDateTimeField(**common)
    if t is FieldType.CHOICE:
        return _choice(label, list(spec.choices.items()), required)
    if t is FieldType.CHOICES:
        return forms.MultipleChoiceField(
            choices=list(spec.choices.items()), widget=forms.CheckboxSelectMultiple, **common
        )
    if t is FieldType.PERSON:
        return _choice(label, ctx.people, required)
    if t is FieldType.PERSONS:
        return forms.MultipleChoiceField(
            choices=list(ctx.people), widget=forms.CheckboxSelectMultiple, **common
        )
    if t is FieldType.PARTY:
        return _choice(label, ctx.parties, required)
    if t is FieldType.RECORD:
        return _choice(label, ctx.records, required)
    raise AssertionError(f"unhandled field type {t}")  # pragma: no cover


def field_json(spec: FieldSpec, value: Any) -> Any:
    """A cleaned form value as the case format writes it; None for "not given"."""
    if value is None or value == "" or value == []:
        return None
    t = spec.type
    if t is FieldType.DATETIME:
        return timeutil.local(value).isoformat()
    if t is FieldType.DATE:
        return value.isoformat()
    if t is FieldType.AMOUNT:
        return f"{Decimal(value):.2f}"
    if t in (FieldType.TEXT_LIST, FieldType.CHOICES, FieldType.PERSONS):
        return list(value)
    return value


def _field_initial(spec: FieldSpec, value: Any) -> Any:
    """A stored value as the form shows it (corrections start from the old record)."""
    if spec.type is FieldType.BOOL:
        return "true" if value is True else "false" if value is False else ""
    if isinstance(value, tuple):
        return list(value)
    return value


# ---------------------------------------------------------------------------- the record form


@dataclass(frozen=True)
class Group:
    """Fields shown together (one signature, one officer …); ``pad`` is a signature's hidden
    drawing field, shown as a canvas."""

    title: str
    fields: list[forms.BoundField]
    pad: forms.BoundField | None = None
    kept: forms.BoundField | None = None  # a correction keeps the old signature's image
    collapsible: bool = False  # an extra slot: folded away until used

    @property
    def open(self) -> bool:
        """Shown unfolded: it holds something or has an error."""
        parts = [*self.fields, *(b for b in (self.pad, self.kept) if b is not None)]
        return any(b.errors or b.value() not in (None, "", []) for b in parts)


@dataclass(frozen=True)
class Section:
    """A part of the form, shown as a card. A ``collapsible`` one (the refusals, the note) is
    folded until needed: it opens when it holds a value or an error, or when one of its fields
    is required — structurally or by the agency's rules (issue #15: quick forms). The parts
    every record of the kind needs (time, contents, officers, signatures, media) stay open."""

    title: str
    groups: list[Group]
    help: str = ""
    collapsible: bool = False

    @property
    def open(self) -> bool:
        if not self.collapsible:
            return True
        fields = [f for g in self.groups for f in g.fields]
        return any(g.open for g in self.groups) or any(
            f.field.required or getattr(f.field, "rule_article", "") for f in fields
        )


class RecordForm(forms.Form):
    """The form of one record kind (built by :func:`record_form`)."""

    def __init__(
        self,
        kind: RecordKind,
        ctx: FormContext,
        *,
        correcting: Record | None = None,
        data: Any = None,
        files: Any = None,
        initial: Mapping[str, Any] | None = None,
        prefix: str | None = None,
        roles: Iterable[str] | None = None,
    ) -> None:
        super().__init__(
            data=data, files=files, initial=dict(initial or {}), prefix=prefix, label_suffix="："
        )
        self.kind = kind
        self.ctx = ctx
        self.correcting = correcting
        self._officer_slots: list[int] = []
        self._signature_slots: list[int] = []
        self._refusal_slots: list[int] = []
        self._images: list[SignatureImage] = []
        f = self.fields
        if correcting is not None:
            f["correction_reason"] = _text(
                "更正理由", required=True, help_text=f"更正{record_label(correcting.id)}的原因"
            )
        f["at"] = ShanghaiDateTimeField(label="行为发生时间", required=True, help_text="北京时间")
        self.entered = entered_fields(kind, roles)
        by_rule = rule_required_fields(ctx.agency, kind.id) if ctx.agency else {}
        for spec in self.entered:
            field = f[f"f_{spec.name}"] = kind_field(spec, ctx)
            if spec.name in by_rule and not field.required:
                # Not needed to store the record, but the agency's regulation asks for it: marked,
                # and the draft's check names it when it is left empty.
                field.rule_article = by_rule[spec.name]
                shown = f"依{by_rule[spec.name]}应当载明"
                field.help_text = f"{shown}；{field.help_text}" if field.help_text else shown
        if kind.has_officers:
            for i in range(OFFICER_SLOTS):
                f[f"officer_{i}"] = _choice(f"执法人员（{i + 1}）", ctx.officers)
                f[f"officer_{i}_shown"] = _tri_state("是否出示执法证件")
        signers: list[Any] = []
        if ctx.people:
            signers.append(("本机关人员", [(f"person:{k}", v) for k, v in ctx.people]))
        if ctx.parties:
            signers.append(("当事人", [(f"party:{k}", v) for k, v in ctx.parties]))
        max_mb = settings.LAWTRAIL_MAX_SIGNATURE_BYTES // (1024 * 1024)
        # The head's, a reviewer's … signature is their own act: offered only to them.
        signature_roles = [
            (key, label)
            for key, label in SIGNATURE_ROLES.items()
            if roles is None or SIGNATURE_ACT_ROLES.get(key, "") in {"", *roles}
        ]
        for i in range(SIGNATURE_SLOTS):
            f[f"sig_{i}_role"] = _choice("签名人身份", signature_roles)
            f[f"sig_{i}_signer"] = _choice("签名人", signers)
            f[f"sig_{i}_name"] = _line("签名人姓名", max_length=100)
            f[f"sig_{i}_name"].help_text = "签名人不是本机关人员或当事人时填写"
            f[f"sig_{i}_method"] = _choice("签名方式", list(SIGNATURE_METHODS.items()))
            f[f"sig_{i}_image"] = forms.FileField(
                label="签名纸面的扫描件或照片",
                required=False,
                help_text=f"JPEG 或 PNG，不超过 {max_mb} MB；或在下方屏幕上签名",
                widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
                error_messages=_messages("签名图像"),
            )
            f[f"sig_{i}_drawn"] = forms.CharField(
                required=False, widget=forms.HiddenInput, label="屏幕签名", strip=True
            )
            f[f"sig_{i}_kept"] = forms.CharField(
                required=False, widget=forms.HiddenInput, label="原签名图像"
            )
        for i in range(REFUSAL_SLOTS):
            f[f"refusal_{i}_role"] = _choice("拒签人身份", list(SIGNATURE_ROLES.items()))
            f[f"refusal_{i}_party"] = _choice("拒签的当事人", ctx.parties)
            f[f"refusal_{i}_name"] = _line("拒签人姓名", max_length=100)
            f[f"refusal_{i}_reason"] = _text("拒签理由及情况")
        f["av_exemption_reason"] = _text("不适宜音像记录的理由", help_text="未制作音像记录时填写")
        if roles is None or AV_EXEMPTION_ACT.role in roles:
            f["av_exemption_approved_by"] = _choice("批准不进行音像记录的负责人", ctx.people)
        f["media"] = forms.MultipleChoiceField(
            label="附加的音像文件",
            required=False,
            choices=list(ctx.media),
            widget=forms.CheckboxSelectMultiple,
            help_text=(
                ""
                if ctx.media
                else "立案后可在“音像”页上传音像文件，再以更正记录附加"
                if ctx.new_case
                else "本案尚无已入库的音像文件：可在下方“上传并附加音像文件”中拍摄或选择文件"
            ),
            error_messages=_messages("附加的音像文件"),
        )
        f["note"] = _text("备注")

    def withheld_posted(self) -> list[str]:
        """The labels of role-act fields this form did not offer but the request posts anyway
        (another role's opinion, an act's person or time, another role's signature): a forged
        request, refused whole — the act is its role's, completed from its inbox."""
        if not self.is_bound:
            return []
        offered = {spec.name for spec in self.entered}
        posted = self.data
        out = []
        for act in self.kind.role_acts:
            for name in act.names:
                if name not in offered and posted.get(self.add_prefix(f"f_{name}")) not in (
                    None,
                    "",
                ):
                    out.append(f"{self.kind.field(name).label}（{role_acts.role_label(act.role)}）")
        if "av_exemption_approved_by" not in self.fields and posted.get(
            self.add_prefix("av_exemption_approved_by")
        ):
            out.append(
                f"批准不进行音像记录的负责人（{role_acts.role_label(AV_EXEMPTION_ACT.role)}）"
            )
        offered_roles = {key for key, _ in self.fields["sig_0_role"].choices}
        for i in range(SIGNATURE_SLOTS):
            role = posted.get(self.add_prefix(f"sig_{i}_role"))
            if role in SIGNATURE_ACT_ROLES and role not in offered_roles:
                out.append(f"{SIGNATURE_ROLES[role]}的签名")
        return out

    # ------------------------------------------------------------------ layout

    def sections(self) -> list[Section]:
        """The form in sections, for the template (one template serves every kind)."""
        b = self.__getitem__
        sections: list[Section] = []
        head = [b("at")]
        if self.correcting is not None:
            head.insert(0, b("correction_reason"))
        sections.append(Section("基本信息", [Group("", head)]))
        kind_fields = [b(f"f_{spec.name}") for spec in self.entered]
        if kind_fields:
            sections.append(Section(self.kind.label, [Group("", kind_fields)]))
        if self.kind.has_officers:
            groups = [
                Group(
                    f"执法人员（{i + 1}）",
                    [b(f"officer_{i}"), b(f"officer_{i}_shown")],
                    collapsible=i >= 2,
                )
                for i in range(OFFICER_SLOTS)
            ]
            sections.append(Section("在场执法人员及出示证件情况", groups))
        sig_groups = [
            Group(
                f"签名（{i + 1}）",
                [
                    b(f"sig_{i}_role"),
                    b(f"sig_{i}_signer"),
                    b(f"sig_{i}_name"),
                    b(f"sig_{i}_method"),
                    b(f"sig_{i}_image"),
                ],
                pad=b(f"sig_{i}_drawn"),
                kept=b(f"sig_{i}_kept"),
                collapsible=i >= 1,
            )
            for i in range(SIGNATURE_SLOTS)
        ]
        sections.append(Section("签名", sig_groups, "上传签名纸面的扫描件，或在屏幕上签名"))
        ref_groups = [
            Group(
                f"拒签（{i + 1}）",
                [
                    b(f"refusal_{i}_role"),
                    b(f"refusal_{i}_party"),
                    b(f"refusal_{i}_name"),
                    b(f"refusal_{i}_reason"),
                ],
                collapsible=True,
            )
            for i in range(REFUSAL_SLOTS)
        ]
        sections.append(Section("拒绝签名", ref_groups, collapsible=True))
        sections.append(
            Section(
                "音像记录",
                [
                    Group(
                        "",
                        [
                            b(n)
                            for n in ("media", "av_exemption_reason", "av_exemption_approved_by")
                            if n in self.fields
                        ],
                    )
                ],
            )
        )
        sections.append(Section("备注", [Group("", [b("note")])], collapsible=True))
        return sections

    # ------------------------------------------------------------------ checks

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._check_act_time(data.get("at"))
        self._images = []
        seen: set[str] = set()
        for i in range(OFFICER_SLOTS if self.kind.has_officers else 0):
            person = data.get(f"officer_{i}")
            if data.get(f"officer_{i}_shown") is not None and not person:
                self.add_error(f"officer_{i}", "请选择执法人员（已填写出示证件情况）")
            if person and person in seen:
                self.add_error(f"officer_{i}", "同一执法人员不能重复填写")
            if person:
                seen.add(person)
        for i in range(SIGNATURE_SLOTS):
            self._clean_signature(i, data)
        for i in range(REFUSAL_SLOTS):
            items = [data.get(f"refusal_{i}_{k}") for k in ("role", "party", "name", "reason")]
            if any(items):
                if not data.get(f"refusal_{i}_role"):
                    self.add_error(f"refusal_{i}_role", "请选择拒签人身份")
                if not data.get(f"refusal_{i}_reason"):
                    self.add_error(f"refusal_{i}_reason", "请填写拒签理由及情况")
        if data.get("av_exemption_approved_by") and not data.get("av_exemption_reason"):
            self.add_error("av_exemption_reason", "请填写不适宜音像记录的理由")
        return data

    def _check_act_time(self, at: Any) -> None:
        """A record records an act that has happened: not in the future (beyond a clock's
        drift), and not years before its case — a mistyped year, not an act of this case."""
        if not isinstance(at, datetime):
            return
        if at > timeutil.now() + ACT_TIME_LEEWAY:
            self.add_error(
                "at", "「行为发生时间」晚于当前时间：记录的是已经发生的行为，请核对日期和时间"
            )
        opened = self.ctx.opened_at
        if opened is not None and at < opened - EARLIEST_BEFORE_OPENING:
            self.add_error(
                "at",
                f"「行为发生时间」早于立案时间（{timeutil.format_local(opened)}）一年以上："
                "请核对年份",
            )

    def _clean_signature(self, i: int, data: dict[str, Any]) -> None:
        role = data.get(f"sig_{i}_role")
        signer = data.get(f"sig_{i}_signer")
        name = data.get(f"sig_{i}_name")
        upload = data.get(f"sig_{i}_image")
        drawn = data.get(f"sig_{i}_drawn")
        kept = data.get(f"sig_{i}_kept")
        if not any([role, signer, name, upload, drawn, kept]):
            return
        if not role:
            self.add_error(f"sig_{i}_role", "请选择签名人身份")
        if not (signer or name):
            self.add_error(f"sig_{i}_signer", "请选择签名人，或填写签名人姓名")
        if len([x for x in (upload, drawn, kept) if x]) > 1:
            self.add_error(f"sig_{i}_image", "签名图像只能有一个：上传扫描件，或在屏幕上签名")
            return
        try:
            if upload:
                check_signature_upload(upload)
            elif drawn:
                drawn_signature_png(drawn)
            elif kept and kept not in self.ctx.signature_images:
                raise ValidationError("原签名图像不属于本案")
        except ValidationError as exc:
            self.add_error(f"sig_{i}_drawn" if drawn else f"sig_{i}_image", exc)

    # ------------------------------------------------------------------ output

    def record(self, record_id: str) -> dict[str, Any]:
        """The record in the case format (call after :meth:`is_valid`). The images of its
        signatures are in :attr:`images`; the action stores them and fills ``image_sha256``."""
        d = self.cleaned_data
        out: dict[str, Any] = {
            "id": record_id,
            "kind": self.kind.id,
            "at": timeutil.local(d["at"]).isoformat(),
        }
        values = {}
        for spec in self.entered:
            value = field_json(spec, d.get(f"f_{spec.name}"))
            if value is not None:
                values[spec.name] = value
        if values:
            out["fields"] = values
        officers: list[dict[str, Any]] = []
        self._officer_slots = []
        for i in range(OFFICER_SLOTS if self.kind.has_officers else 0):
            person = d.get(f"officer_{i}")
            if person:
                officer: dict[str, Any] = {"person": person}
                if d.get(f"officer_{i}_shown") is not None:
                    officer["certificate_shown"] = d[f"officer_{i}_shown"]
                officers.append(officer)
                self._officer_slots.append(i)
        if officers:
            out["officers"] = officers
        signatures: list[dict[str, Any]] = []
        self._signature_slots, self._images = [], []
        for i in range(SIGNATURE_SLOTS):
            signature = self._signature(i, d)
            if signature is None:
                continue
            upload, drawn = d.get(f"sig_{i}_image"), d.get(f"sig_{i}_drawn")
            role = signature["role"]
            if upload:
                upload.seek(0)
                ext = "png" if upload.read(len(PNG_MAGIC)) == PNG_MAGIC else "jpg"
                upload.seek(0)
                name = f"{SIGNATURE_FILE_PREFIX}{role}-{i + 1}.{ext}"
                self._images.append(SignatureImage(len(signatures), upload, name, "other"))
            elif drawn:
                png = io.BytesIO(drawn_signature_png(drawn))
                name = f"{SIGNATURE_FILE_PREFIX}{role}-{i + 1}-screen.png"
                self._images.append(SignatureImage(len(signatures), png, name, "screen"))
            signatures.append(signature)
            self._signature_slots.append(i)
        if signatures:
            out["signatures"] = signatures
        refusals: list[dict[str, Any]] = []
        self._refusal_slots = []
        for i in range(REFUSAL_SLOTS):
            if not d.get(f"refusal_{i}_role"):
                continue
            refusal = {"role": d[f"refusal_{i}_role"], "reason": d[f"refusal_{i}_reason"]}
            for key in ("name", "party"):
                if d.get(f"refusal_{i}_{key}"):
                    refusal[key] = d[f"refusal_{i}_{key}"]
            refusals.append(refusal)
            self._refusal_slots.append(i)
        if refusals:
            out["refusals"] = refusals
        if d.get("media"):
            out["media"] = [{"sha256": sha} for sha in d["media"]]
        if d.get("av_exemption_reason"):
            exemption = {"reason": d["av_exemption_reason"]}
            if d.get("av_exemption_approved_by"):
                exemption["approved_by"] = d["av_exemption_approved_by"]
            out["av_exemption"] = exemption
        if self.correcting is not None:
            out["corrects"] = {"record": self.correcting.id, "reason": d["correction_reason"]}
        if d.get("note"):
            out["note"] = d["note"]
        return out

    def _signature(self, i: int, d: Mapping[str, Any]) -> dict[str, Any] | None:
        role = d.get(f"sig_{i}_role")
        if not role:
            return None
        signature: dict[str, Any] = {"role": role}
        signer = d.get(f"sig_{i}_signer") or ""
        what, _, ident = signer.partition(":")
        labels = dict(self.ctx.people if what == "person" else self.ctx.parties)
        if what in ("person", "party") and ident:
            signature[what] = ident
        name = d.get(f"sig_{i}_name") or ""
        if not name and ident in labels:
            name = labels[ident].split("（")[0]
        if name:
            signature["name"] = name
        signature["method"] = d.get(f"sig_{i}_method") or (
            "screen" if d.get(f"sig_{i}_drawn") else "handwritten"
        )
        if d.get(f"sig_{i}_kept"):
            signature["image_sha256"] = d[f"sig_{i}_kept"]
        return signature

    @property
    def images(self) -> list[SignatureImage]:
        return list(self._images)

    # ------------------------------------------------------------------ the services' issues

    def field_for(self, path: str) -> str | None:
        """The form field an issue's JSON path concerns (None: the record as a whole)."""
        path = re.sub(r"^\$\.records\[\d+\]", "$", path)
        if m := re.match(r"^\$\.fields\.(\w+)", path):
            return f"f_{m.group(1)}"
        if re.match(r"^\$\.(at|recorded_at)\b", path):
            return "at"
        if m := re.match(r"^\$\.officers\[(\d+)\](\.certificate_shown)?", path):
            slot = _slot(self._officer_slots, int(m.group(1)))
            if slot is not None:
                return f"officer_{slot}_shown" if m.group(2) else f"officer_{slot}"
        if m := re.match(r"^\$\.signatures\[(\d+)\](?:\.(\w+))?", path):
            slot = _slot(self._signature_slots, int(m.group(1)))
            if slot is not None:
                part = {
                    "role": "role",
                    "method": "method",
                    "image_sha256": "image",
                    "name": "name",
                }.get(m.group(2) or "", "signer")
                return f"sig_{slot}_{part}"
        if m := re.match(r"^\$\.refusals\[(\d+)\](?:\.(\w+))?", path):
            slot = _slot(self._refusal_slots, int(m.group(1)))
            if slot is not None:
                part = m.group(2) if m.group(2) in ("role", "party", "name") else "reason"
                return f"refusal_{slot}_{part}"
        if path.startswith("$.media"):
            return "media"
        if path.startswith("$.av_exemption"):
            return "av_exemption_approved_by" if "approved_by" in path else "av_exemption_reason"
        if path.startswith("$.corrects"):
            return "correction_reason" if "correction_reason" in self.fields else None
        if path.startswith("$.note"):
            return "note"
        return None

    def apply_issues(self, issues: Iterable[FormatIssue]) -> list[str]:
        """Put each issue on its field; returns the messages that concern no single field."""
        return _apply(self, self.field_for, issues)


def _slot(slots: Sequence[int], index: int) -> int | None:
    return slots[index] if 0 <= index < len(slots) else None


def _apply(
    form: forms.Form, field_for: Callable[[str], str | None], issues: Iterable[FormatIssue]
) -> list[str]:
    rest = []
    for issue in issues:
        name = field_for(issue.path)
        if name is not None and name in form.fields:
            form.add_error(name, issue.message)
        else:
            rest.append(issue.message)
    return rest


def record_form(
    kind: RecordKind,
    case: Case | None,
    users: Iterable[User],
    *,
    media: Iterable[Media] = (),
    parties: Sequence[Choice] | None = None,
    correcting: Record | None = None,
    data: Any = None,
    files: Any = None,
    initial: Mapping[str, Any] | None = None,
    prefix: str | None = None,
    roles: Iterable[str] | None = None,
    user: User | None = None,
    agency: str = "",
) -> RecordForm:
    """The form of a record of ``kind`` in ``case`` (None: the first record of a new case,
    whose parties are given as ``parties``), offering the agency's ``users`` as people. The
    officers present default to ``user`` (the officer filling it in) and the case's latest
    other officer — the two officers a 笔录 names (000 art. 9 …: 两名以上执法人员)."""
    ctx = form_context(case, users, media, parties=parties, agency=agency)
    start = dict(initial_from_record(kind, correcting) if correcting is not None else {})
    if correcting is None and kind.has_officers and user is not None:
        start.update(officer_defaults(user, case, {key for key, _ in ctx.officers}))
    # Only media ingested for this case can be attached (a case file imported from another
    # system may name files that never reached this evidence store).
    offered = {sha for sha, _ in ctx.media}
    start["media"] = [sha for sha in start.get("media", []) if sha in offered]
    if "at" not in start:
        start["at"] = timeutil.now().replace(second=0, microsecond=0)
    start.update(initial or {})
    return RecordForm(
        kind,
        ctx,
        correcting=correcting,
        data=data,
        files=files,
        initial=start,
        prefix=prefix,
        roles=roles,
    )


def officer_defaults(user: User, case: Case | None, offered: set[str]) -> dict[str, str]:
    """The officer slots' defaults: this user (an officer), then the officer who most recently
    acted in the case with someone else — only people the form offers as officers."""
    defaults: dict[str, str] = {}
    chosen = []
    if user.has_role(OFFICER) and user.username in offered:
        chosen.append(user.username)
    for record in reversed(case.records if case is not None else ()):
        others = [o.person for o in record.officers if o.person not in chosen]
        if others and others[0] in offered:
            chosen.append(others[0])
            break
    for i, person in enumerate(chosen[:OFFICER_SLOTS]):
        defaults[f"officer_{i}"] = person
    return defaults


def entered_fields(kind: RecordKind, roles: Iterable[str] | None = None) -> list[FieldSpec]:
    """The fields a person fills in: not those the system sets (FieldSpec.system, a role act's
    time, the person of an act that has fields of its own: the acting user). Given the user's
    ``roles``, not the fields of another role's act either (:mod:`lawtrail.core.role_acts`):
    the handler drafts, the role completes its part from its inbox."""
    held = None if roles is None else set(roles)
    hidden: set[str] = set()
    for act in kind.role_acts:
        hidden.add(act.time)
        if act.fields:
            hidden.add(act.person)
        if held is not None and act.role and act.role not in held:
            hidden.update(act.names)
    return [spec for spec in kind.fields if not spec.system and spec.name not in hidden]


def initial_from_record(kind: RecordKind, record: Record) -> dict[str, Any]:
    """A record's values as form data: a correction starts from the record it corrects."""
    out: dict[str, Any] = {"at": record.at, "note": record.note}
    for spec in entered_fields(kind):
        if spec.name in record.fields:
            out[f"f_{spec.name}"] = _field_initial(spec, record.fields[spec.name])
    for i, officer in enumerate(record.officers[:OFFICER_SLOTS]):
        out[f"officer_{i}"] = officer.person
        out[f"officer_{i}_shown"] = _field_initial(
            FieldSpec("shown", "", FieldType.BOOL), officer.certificate_shown
        )
    for i, sig in enumerate(record.signatures[:SIGNATURE_SLOTS]):
        out[f"sig_{i}_role"] = sig.role
        out[f"sig_{i}_signer"] = (
            f"person:{sig.person}" if sig.person else f"party:{sig.party}" if sig.party else ""
        )
        if not (sig.person or sig.party):
            out[f"sig_{i}_name"] = sig.name
        out[f"sig_{i}_method"] = sig.method
        out[f"sig_{i}_kept"] = sig.image_sha256
    for i, refusal in enumerate(record.refusals[:REFUSAL_SLOTS]):
        out[f"refusal_{i}_role"] = refusal.role
        out[f"refusal_{i}_party"] = refusal.party
        out[f"refusal_{i}_name"] = refusal.name
        out[f"refusal_{i}_reason"] = refusal.reason
    out["media"] = [m.sha256 for m in record.media]
    if record.av_exemption is not None:
        out["av_exemption_reason"] = record.av_exemption.reason
        out["av_exemption_approved_by"] = record.av_exemption.approved_by
    return out


next_record_id = services.next_record_id


# ---------------------------------------------------------------------------- signature images


def _max_signature_bytes() -> int:
    return int(settings.LAWTRAIL_MAX_SIGNATURE_BYTES)


def _too_big() -> ValidationError:
    limit = _max_signature_bytes()
    return ValidationError(f"签名图像不能超过 {limit // (1024 * 1024)} MB")


def check_signature_upload(upload: Any) -> None:
    """An uploaded scan or photo: JPEG or PNG by its first bytes (not by its name or the
    browser's content type), within the size limit."""
    if upload.size is not None and upload.size > _max_signature_bytes():
        raise _too_big()
    upload.seek(0)
    head = upload.read(len(PNG_MAGIC))
    upload.seek(0)
    if not (head.startswith(JPEG_MAGIC) or head == PNG_MAGIC):
        raise ValidationError("签名图像只能是 JPEG 或 PNG 图片：所选文件的内容不是图片")


def drawn_signature_png(data_url: str) -> bytes:
    """The PNG of a signature drawn on screen (a data URL written by signature.js)."""
    if not data_url.startswith(DATA_URL_PREFIX):
        raise ValidationError("屏幕签名的数据格式不正确（应为 PNG 图像），请重新签名")
    if len(data_url) > _max_signature_bytes() * 4 // 3 + len(DATA_URL_PREFIX) + 4:
        raise _too_big()
    try:
        png = base64.b64decode(data_url[len(DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("屏幕签名的数据已损坏，请重新签名") from None
    if not png.startswith(PNG_MAGIC):
        raise ValidationError("屏幕签名的数据不是 PNG 图像，请重新签名")
    if len(png) > _max_signature_bytes():
        raise _too_big()
    return png


# ---------------------------------------------------------------------------- a new case


class CaseForm(forms.Form):
    """The header of a new case; the first record comes from :func:`record_form` of the
    origin's kind (:data:`ORIGIN_KINDS`)."""

    prefix = "case"

    def __init__(
        self,
        acts: Sequence[str],
        origin: str,
        taken: Callable[[str], bool],
        *,
        data: Any = None,
        suggestions: Mapping[str, str] | None = None,
    ) -> None:
        suggestions = {k: v for k, v in (suggestions or {}).items() if v}
        super().__init__(
            data=data,
            initial={
                "opened_at": _now_minute(),
                "procedure": "general",
                "case_number": suggestions.get("general", ""),
            },
            label_suffix="：",
        )
        self.origin = origin
        self._taken = taken
        self._party_slots: list[int] = []
        f = self.fields
        f["case_number"] = _line("案号", required=True, max_length=100)
        if suggestions:
            # The next number of the agency's pattern, per procedure (casenew.js swaps it when
            # the procedure changes, unless the user typed their own).
            f["case_number"].help_text = "已按本机关案号格式自动编号，可修改"
            f["case_number"].widget.attrs.update(
                {f"data-suggest-{k}": v for k, v in suggestions.items()}
            )
        else:
            f["case_number"].help_text = "如 通市监罚〔2026〕12号"
        f["title"] = _line("案由", max_length=300)
        f["acts"] = forms.MultipleChoiceField(
            label="行政执法行为",
            choices=[(a, ACTS[a]) for a in acts if a in ACTS],
            widget=forms.CheckboxSelectMultiple,
            error_messages=_messages("行政执法行为"),
            help_text="本机关制度文件适用的行为",
        )
        f["procedure"] = forms.ChoiceField(
            label="程序", choices=list(PROCEDURES.items()), error_messages=_messages("程序")
        )
        f["major"] = forms.BooleanField(label="重大行政执法决定", required=False)
        f["opened_at"] = ShanghaiDateTimeField(label="立案时间", help_text="北京时间")
        for i in range(PARTY_SLOTS):
            n = "一二三四"[i]
            f[f"party_{i}_name"] = _line(f"当事人{n}：名称或姓名", required=i == 0)
            f[f"party_{i}_kind"] = forms.ChoiceField(
                label="类型", choices=list(PARTY_KINDS.items()), required=False
            )
            f[f"party_{i}_id_number"] = _line("统一社会信用代码或身份证号", max_length=64)
            f[f"party_{i}_address"] = _line("住所或地址")
            f[f"party_{i}_contact"] = _line("联系方式", max_length=100)
            f[f"party_{i}_legal_representative"] = _line("法定代表人（负责人）", max_length=100)

    def header_fields(self) -> list[forms.BoundField]:
        names = ("case_number", "title", "acts", "procedure", "major", "opened_at")
        return [self[name] for name in names]

    def party_groups(self) -> list[Group]:
        keys = ("name", "kind", "id_number", "address", "contact", "legal_representative")
        return [
            Group(
                f"当事人{'一二三四'[i]}", [self[f"party_{i}_{k}"] for k in keys], collapsible=i >= 1
            )
            for i in range(PARTY_SLOTS)
        ]

    def clean_case_number(self) -> str:
        number = str(self.cleaned_data["case_number"]).strip()
        if self._taken(number):
            raise ValidationError(f"案号 {number} 已存在，不能重复立案")
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for i in range(1, PARTY_SLOTS):
            details = [data.get(f"party_{i}_{k}") for k in ("id_number", "address", "contact")]
            if any(details) and not data.get(f"party_{i}_name"):
                self.add_error(f"party_{i}_name", "请填写当事人的名称或姓名")
        return data

    @staticmethod
    def party_choices() -> list[Choice]:
        """The parties the first record may name: their ids are given by slot."""
        return [(f"p{i + 1}", f"当事人{'一二三四'[i]}") for i in range(PARTY_SLOTS)]

    def header(self) -> dict[str, Any]:
        d = self.cleaned_data
        parties = []
        self._party_slots = []
        for i in range(PARTY_SLOTS):
            if not d.get(f"party_{i}_name"):
                continue
            party: dict[str, Any] = {"id": f"p{i + 1}", "name": d[f"party_{i}_name"]}
            for key in ("kind", "id_number", "address", "contact", "legal_representative"):
                if d.get(f"party_{i}_{key}"):
                    party[key] = d[f"party_{i}_{key}"]
            parties.append(party)
            self._party_slots.append(i)
        header: dict[str, Any] = {
            "case_number": d["case_number"],
            "acts": list(d["acts"]),
            "procedure": d["procedure"],
            "origin": self.origin,
            "major": bool(d.get("major")),
            "opened_at": timeutil.local(d["opened_at"]).isoformat(),
            "parties": parties,
        }
        if d.get("title"):
            header["title"] = d["title"]
        return header

    def field_for(self, path: str) -> str | None:
        if m := re.match(r"^\$\.parties\[(\d+)\](?:\.(\w+))?", path):
            slot = _slot(self._party_slots, int(m.group(1)))
            keys = ("kind", "id_number", "address", "contact", "legal_representative")
            key = m.group(2) if m.group(2) in keys else "name"
            return None if slot is None else f"party_{slot}_{key}"
        if m := re.match(r"^\$\.(case_number|title|acts|procedure|major|opened_at)\b", path):
            return m.group(1)
        return None

    def apply_issues(self, issues: Iterable[FormatIssue]) -> list[FormatIssue]:
        """Put the header's issues on its fields; returns the others (the first record's)."""
        rest = []
        for issue in issues:
            name = self.field_for(issue.path)
            if name is not None:
                self.add_error(name, issue.message)
            else:
                rest.append(issue)
        return rest


def _now_minute() -> datetime:
    return timeutil.now().replace(second=0, microsecond=0)


# ---------------------------------------------------------------------------- a header change


NEW_PARTY_SLOTS = 2


class HeaderChangeForm(forms.Form):
    """变更案件信息 (issue #15): the case's header as it is now — 案由, acts, 重大, its parties
    with their details and 误列 mark — pre-filled, slots to add parties, and the required
    变更理由. A party cannot be removed: a mistaken one is marked 误列 with its reason."""

    prefix = "change"

    def __init__(self, case: Case, acts: Sequence[str], *, data: Any = None) -> None:
        initial: dict[str, Any] = {
            "title": case.title,
            "acts": list(case.acts),
            "major": case.major,
        }
        for i, party in enumerate(case.parties):
            for key in (
                "name",
                "kind",
                "id_number",
                "address",
                "contact",
                "legal_representative",
                "misjoined",
            ):
                initial[f"party_{i}_{key}"] = getattr(party, key)
        super().__init__(data=data, initial=initial, label_suffix="：")
        self.case = case
        f = self.fields
        f["title"] = _line("案由", max_length=TITLE_MAX)
        offered = [a for a in ACTS if a in acts or a in case.acts]
        f["acts"] = forms.MultipleChoiceField(
            label="行政执法行为",
            choices=[(a, ACTS[a]) for a in offered],
            widget=forms.CheckboxSelectMultiple,
            error_messages=_messages("行政执法行为"),
        )
        f["major"] = forms.BooleanField(label="重大行政执法决定", required=False)
        for i in range(len(case.parties)):
            f[f"party_{i}_name"] = _line("名称或姓名", required=True)
            f[f"party_{i}_kind"] = forms.ChoiceField(
                label="类型", choices=list(PARTY_KINDS.items()), required=False
            )
            f[f"party_{i}_id_number"] = _line("统一社会信用代码或身份证号", max_length=64)
            f[f"party_{i}_address"] = _line("住所或地址")
            f[f"party_{i}_contact"] = _line("联系方式", max_length=100)
            f[f"party_{i}_legal_representative"] = _line("法定代表人（负责人）", max_length=100)
            f[f"party_{i}_misjoined"] = _line("误列理由", max_length=500)
            f[
                f"party_{i}_misjoined"
            ].help_text = "当事人列错时填写理由，标为误列（当事人不会被删除）"
        for i in range(NEW_PARTY_SLOTS):
            f[f"new_{i}_name"] = _line("名称或姓名")
            f[f"new_{i}_kind"] = forms.ChoiceField(
                label="类型", choices=list(PARTY_KINDS.items()), required=False
            )
            f[f"new_{i}_id_number"] = _line("统一社会信用代码或身份证号", max_length=64)
            f[f"new_{i}_address"] = _line("住所或地址")
            f[f"new_{i}_contact"] = _line("联系方式", max_length=100)
            f[f"new_{i}_legal_representative"] = _line("法定代表人（负责人）", max_length=100)
        f["reason"] = forms.CharField(
            label="变更理由",
            max_length=REASON_MAX,
            widget=forms.Textarea(attrs={"rows": 3}),
            error_messages=_messages("变更理由"),
            help_text="如：调查中发现另一当事人；案由表述有误",
        )
        self._new_ids: list[tuple[int, str]] = []

    def header_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("title", "acts", "major")]

    def party_groups(self) -> list[Group]:
        keys = (
            "name",
            "kind",
            "id_number",
            "address",
            "contact",
            "legal_representative",
            "misjoined",
        )
        return [
            Group(f"当事人 {party.name}", [self[f"party_{i}_{k}"] for k in keys])
            for i, party in enumerate(self.case.parties)
        ]

    def new_party_groups(self) -> list[Group]:
        keys = ("name", "kind", "id_number", "address", "contact", "legal_representative")
        return [
            Group(f"增加当事人{'一二'[i]}", [self[f"new_{i}_{k}"] for k in keys], collapsible=True)
            for i in range(NEW_PARTY_SLOTS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for i in range(NEW_PARTY_SLOTS):
            details = [data.get(f"new_{i}_{k}") for k in ("id_number", "address", "contact")]
            if any(details) and not data.get(f"new_{i}_name"):
                self.add_error(f"new_{i}_name", "请填写新增当事人的名称或姓名")
        return data

    def change(self) -> HeaderChange:
        d = self.cleaned_data
        keys = ("name", "kind", "id_number", "address", "contact", "legal_representative")
        parties: list[dict[str, Any]] = [
            {"id": party.id, **{k: d.get(f"party_{i}_{k}") or "" for k in (*keys, "misjoined")}}
            for i, party in enumerate(self.case.parties)
        ]
        taken = {p.id for p in self.case.parties}
        self._new_ids = []
        n = len(taken) + 1
        for i in range(NEW_PARTY_SLOTS):
            if not d.get(f"new_{i}_name"):
                continue
            while f"p{n}" in taken:
                n += 1
            taken.add(f"p{n}")
            self._new_ids.append((i, f"p{n}"))
            parties.append({"id": f"p{n}", **{k: d.get(f"new_{i}_{k}") or "" for k in keys}})
        return HeaderChange(
            reason=d["reason"],
            title=d.get("title") or "",
            acts=list(d["acts"]),
            major=bool(d.get("major")),
            parties=parties,
        )

    def apply_issues(self, issues: Iterable[FormatIssue]) -> list[FormatIssue]:
        """Put the service's issues on their fields; returns the others (shown above)."""
        rest = []
        new_slot = {pos: slot for pos, (slot, _) in enumerate(self._new_ids)}
        existing = len(self.case.parties)
        for issue in issues:
            name: str | None = None
            if m := re.match(r"^\$\.parties\[(\d+)\](?:\.(\w+))?", issue.path):
                i, key = int(m.group(1)), m.group(2) or "name"
                if i < existing:
                    name = f"party_{i}_{key}"
                elif (i - existing) in new_slot:
                    name = f"new_{new_slot[i - existing]}_{key}"
            elif m := re.match(r"^\$\.(title|acts|major|reason)\b", issue.path):
                name = m.group(1)
            if name is not None and name in self.fields:
                self.add_error(name, issue.message)
            else:
                rest.append(issue)
        return rest
