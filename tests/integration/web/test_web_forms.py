"""The record forms are generated from the record-kind definitions of the core: every kind has
one, its fields are the definition's fields, the values come out in the case format, and the
services' issues land on the fields they concern."""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import Any

import pytest
from django import forms as django_forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from lawtrail.core.caseio import FORMAT, FormatIssue, parse_case
from lawtrail.core.model import Case, Party, Person, Record
from lawtrail.core.record_kinds import RECORD_KINDS, FieldSpec, FieldType, RecordKind, Stage
from lawtrail.core.rules import load_pack
from lawtrail.web import forms
from lawtrail.web.models import User
from lawtrail.web.roles import HANDLER, OFFICER

from .signature_images import jpeg_bytes, png_bytes, png_data_url

AT = "2026-10-09T14:30"


def staff() -> list[User]:
    """Users as the agency has them (not saved: forms only read them)."""
    return [
        User(username="market.handler", name="刘建国", title="承办人", roles=[OFFICER, HANDLER]),
        User(username="market.officer", name="陈晓燕", title="执法人员", roles=[OFFICER]),
        User(username="market.head", name="赵国栋", title="分管负责人", roles=["approver"]),
    ]


def a_case(records: tuple[Record, ...] = ()) -> Case:
    from lawtrail.core import timeutil

    return Case(
        agency="tonghua-market",
        case_number="通市监罚〔2026〕99号",
        acts=("penalty",),
        procedure="general",
        origin="ex_officio",
        opened_at=timeutil.parse_aware("2026-10-01T09:00:00+08:00"),
        parties=(Party("p1", "通化市某商贸有限公司"),),
        people=(Person("o9", "外部导入人员", "执法人员", certificate_number="22050099"),),
        records=records,
    )


def bind(kind: RecordKind, data: dict[str, Any], **kwargs: Any) -> forms.RecordForm:
    return forms.record_form(kind, a_case(), staff(), data={"at": AT, **data}, **kwargs)


def parses(case: Case, record: dict[str, Any]) -> Case:
    """The form's record read by the case format's strict reader (what the services do)."""
    from lawtrail.core.caseio import case_to_json

    data = case_to_json(case)
    data["records"].append(record)
    return parse_case(data)


@pytest.mark.parametrize("kind_id", list(RECORD_KINDS))
def test_every_record_kind_has_a_form_whose_fields_come_from_its_definition(kind_id: str) -> None:
    kind = RECORD_KINDS[kind_id]
    form = forms.record_form(kind, a_case(), staff())
    generated = {name for name in form.fields if name.startswith("f_")}
    # Every field a person fills in; none the system sets (the 案卷 volume, the commitment, a
    # role act's time and — where the act has fields of its own — its person: the acting user).
    set_by_system = {
        name
        for act in kind.role_acts
        for name in (act.time, act.person if act.fields else "")
        if name
    }
    typed = [s for s in kind.fields if not s.system and s.name not in set_by_system]
    assert generated == {f"f_{spec.name}" for spec in typed}
    for spec in typed:
        field = form.fields[f"f_{spec.name}"]
        assert field.label == spec.label
        assert field.required == spec.required
        if spec.type in (FieldType.CHOICE, FieldType.CHOICES):
            offered = {value: label for value, label in field.choices if value}
            assert offered == dict(spec.choices)
    assert ("officer_0" in form.fields) == kind.has_officers
    # the common parts of every record
    for common in ("at", "sig_0_role", "sig_0_image", "sig_0_drawn", "refusal_0_reason"):
        assert common in form.fields
    assert {"media", "av_exemption_reason", "note"} <= set(form.fields)
    assert form.fields["at"].required


def test_the_fields_the_system_sets_are_not_on_the_archiving_form() -> None:
    form = forms.record_form(RECORD_KINDS["case_file"], a_case(), staff())
    system = {"volume", "ledger_log", "ledger_entries", "ledger_count", "ledger_digest"}
    assert {spec.name for spec in RECORD_KINDS["case_file"].fields if spec.system} == system
    assert not {f"f_{name}" for name in system} & set(form.fields)
    assert "f_archivist" not in form.fields  # the archivist is the user who archives


def test_there_is_no_hand_written_form_per_kind() -> None:
    hand_written = [
        name
        for name, value in vars(forms).items()
        if isinstance(value, type)
        and issubclass(value, django_forms.Form)
        and value not in (forms.RecordForm, forms.CaseForm, forms.HeaderChangeForm)
    ]
    assert hand_written == []


EVERY_TYPE = RecordKind(
    "all_types",
    "全部类型",
    Stage.INTERNAL,
    (
        FieldSpec("text", "文字", FieldType.TEXT, required=True),
        FieldSpec("lines", "清单", FieldType.TEXT_LIST),
        FieldSpec("flag", "是否", FieldType.BOOL),
        FieldSpec("unset_flag", "未填的是否", FieldType.BOOL),
        FieldSpec("count", "数量", FieldType.INTEGER),
        FieldSpec("amount", "金额", FieldType.AMOUNT),
        FieldSpec("day", "日期", FieldType.DATE),
        FieldSpec("when", "时间", FieldType.DATETIME),
        FieldSpec("one", "单选", FieldType.CHOICE, choices={"a": "甲", "b": "乙"}),
        FieldSpec("many", "多选", FieldType.CHOICES, choices={"a": "甲", "b": "乙", "c": "丙"}),
        FieldSpec("person", "人员", FieldType.PERSON),
        FieldSpec("persons", "多名人员", FieldType.PERSONS),
        FieldSpec("party", "当事人", FieldType.PARTY),
        FieldSpec("record", "记录", FieldType.RECORD),
    ),
    has_officers=True,
)


def test_each_field_type_becomes_its_form_field_and_its_case_format_value() -> None:
    from lawtrail.core import timeutil

    earlier = Record("r1", "closure", timeutil.parse_aware("2026-10-02T09:00:00+08:00"))
    case = a_case((earlier,))
    form = forms.record_form(
        EVERY_TYPE,
        case,
        staff(),
        data={
            "at": AT,
            "f_text": "现场检查情况",
            "f_lines": "营业执照复印件\n\n  进货台账  \n",
            "f_flag": "false",
            "f_unset_flag": "",
            "f_count": "3",
            "f_amount": "5000.5",
            "f_day": "2026-10-20",
            "f_when": "2026-10-09T08:05",
            "f_one": "b",
            "f_many": ["a", "c"],
            "f_person": "market.officer",
            "f_persons": ["market.handler", "o9"],
            "f_party": "p1",
            "f_record": "r1",
        },
    )
    fields = form.fields
    assert isinstance(fields["f_text"].widget, django_forms.Textarea)
    assert isinstance(fields["f_lines"].widget, django_forms.Textarea)
    assert [v for v, _ in fields["f_flag"].choices] == ["", "true", "false"]
    assert [label for _, label in fields["f_flag"].choices] == ["未填", "是", "否"]
    assert isinstance(fields["f_count"], django_forms.IntegerField)
    assert isinstance(fields["f_amount"], django_forms.DecimalField)
    assert fields["f_amount"].decimal_places == 2
    assert fields["f_day"].widget.input_type == "date"
    assert fields["f_when"].widget.input_type == "datetime-local"
    person_values = [v for v, _ in fields["f_person"].choices if v]
    assert person_values == ["market.handler", "market.officer", "market.head", "o9"]
    assert [v for v, _ in fields["f_party"].choices if v] == ["p1"]
    assert [v for v, _ in fields["f_record"].choices if v] == ["r1"]
    assert form.is_valid(), form.errors
    record = form.record("r2")
    assert record["fields"] == {
        "text": "现场检查情况",
        "lines": ["营业执照复印件", "进货台账"],
        "flag": False,
        "count": 3,
        "amount": "5000.50",
        "day": "2026-10-20",
        "when": "2026-10-09T08:05:00+08:00",
        "one": "b",
        "many": ["a", "c"],
        "person": "market.officer",
        "persons": ["market.handler", "o9"],
        "party": "p1",
        "record": "r1",
    }
    assert record["at"] == "2026-10-09T14:30:00+08:00"


def test_the_record_a_form_produces_passes_the_case_format_reader() -> None:
    kind = RECORD_KINDS["site_inspection"]
    form = bind(
        kind,
        {
            "f_location": "东昌区新华大街88号",
            "f_findings": "货架上有过期食品12件",
            "officer_0": "market.handler",
            "officer_0_shown": "true",
            "officer_1": "o9",
            "sig_0_role": "party",
            "sig_0_signer": "party:p1",
            "sig_0_method": "handwritten",
            "refusal_0_role": "present_person",
            "refusal_0_name": "王某",
            "refusal_0_reason": "在场人员拒绝签名",
            "av_exemption_reason": "现场光线不足，已拍照",
            "av_exemption_approved_by": "market.head",
            "note": "备注",
        },
    )
    assert form.is_valid(), form.errors
    record = form.record("r1")
    assert record["officers"] == [
        {"person": "market.handler", "certificate_shown": True},
        {"person": "o9"},
    ]
    assert record["signatures"] == [
        {"role": "party", "party": "p1", "name": "通化市某商贸有限公司", "method": "handwritten"}
    ]
    case = a_case()
    case = replace(case, people=(*case.people, *[u.as_person() for u in staff()]))
    parsed = parses(case, record).record("r1")
    assert parsed is not None
    assert parsed.refusals[0].reason == "在场人员拒绝签名"
    assert parsed.av_exemption is not None
    assert parsed.av_exemption.approved_by == "market.head"
    assert parsed.note == "备注"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2026-10-09T14:30", "2026-10-09T14:30:00+08:00"),
        ("2026-10-09 14:30:15", "2026-10-09T14:30:15+08:00"),
        ("2026-10-09T06:30:00+00:00", "2026-10-09T14:30:00+08:00"),
    ],
)
def test_times_from_the_form_are_beijing_time_and_always_aware(typed: str, stored: str) -> None:
    form = bind(RECORD_KINDS["closure"], {"at": typed})
    assert form.is_valid(), form.errors
    assert form.record("r1")["at"] == stored


@pytest.mark.parametrize(
    "typed", ["2026-13-40T25:00", "明天上午", "2026-10-09", "10/09/2026 14:30", "2026-10-09T14:30+"]
)
def test_a_time_that_cannot_be_read_gives_a_chinese_error(typed: str) -> None:
    form = bind(RECORD_KINDS["hearing"], {"at": typed, "f_notice_served_at": typed})
    assert not form.is_valid()
    for name in ("at", "f_notice_served_at"):
        (message,) = form.errors[name]
        assert "无法识别的时间" in message
        assert "北京时间" in message


def test_missing_required_fields_give_chinese_field_messages() -> None:
    form = forms.record_form(RECORD_KINDS["service"], a_case(), staff(), data={})
    assert not form.is_valid()
    assert form.errors["f_method"] == ["请填写「送达方式」"]
    assert form.errors["at"] == ["请填写「行为发生时间」"]


def test_an_invalid_choice_or_amount_is_named_in_chinese() -> None:
    form = bind(RECORD_KINDS["decision"], {"f_amount": "12.345", "f_rectification_ordered": "x"})
    assert not form.is_valid()
    assert form.errors["f_amount"] == ["「罚没金额（元）」最多两位小数"]
    assert "「责令改正」没有选项 x" in form.errors["f_rectification_ordered"][0]


def test_service_issues_land_on_the_fields_they_concern() -> None:
    form = bind(
        RECORD_KINDS["site_inspection"],
        {
            "officer_1": "market.officer",  # the first slot left empty: $.officers[0] is slot 1
            "sig_2_role": "officer",
            "sig_2_signer": "person:market.officer",
            "refusal_1_role": "party",
            "refusal_1_reason": "拒签",
        },
    )
    assert form.is_valid(), form.errors
    form.record("r5")
    rest = form.apply_issues(
        [
            FormatIssue("$.records[4].fields.location", "位置有误"),
            FormatIssue("$.officers[0].person", "证件已过期"),
            FormatIssue("$.records[4].signatures[0].role", "身份有误"),
            FormatIssue("$.records[4].refusals[0].party", "引用了不存在的当事人"),
            FormatIssue("$.media[0].sha256", "该媒体文件尚未入库，请先上传"),
            FormatIssue("$.records[4].at", "时间有误"),
            FormatIssue("$.records", "记录标识 'r5' 重复"),
        ]
    )
    assert form.errors["f_location"] == ["位置有误"]
    assert form.errors["officer_1"] == ["证件已过期"]
    assert form.errors["sig_2_role"] == ["身份有误"]
    assert form.errors["refusal_1_party"] == ["引用了不存在的当事人"]
    assert form.errors["media"] == ["该媒体文件尚未入库，请先上传"]
    assert form.errors["at"] == ["时间有误"]
    assert rest == ["记录标识 'r5' 重复"]


def test_a_correction_starts_from_the_old_record_and_needs_a_reason() -> None:
    from lawtrail.core import timeutil
    from lawtrail.core.model import OfficerPresence, Signature

    old = Record(
        "r1",
        "inquiry_record",
        timeutil.parse_aware("2026-10-05T09:00:00+08:00"),
        fields={"interviewee": "张三", "rights_notified": ("statement", "defense")},
        officers=(OfficerPresence("o9", True),),
        signatures=(Signature("party", party="p1", image_sha256="a" * 64),),
    )
    kind = RECORD_KINDS["inquiry_record"]
    case = a_case((old,))
    form = forms.record_form(kind, case, staff(), correcting=old)
    assert form.fields["correction_reason"].required
    assert form["f_interviewee"].value() == "张三"
    assert form["f_rights_notified"].value() == ["statement", "defense"]
    assert form["officer_0"].value() == "o9"
    assert form["officer_0_shown"].value() == "true"
    assert form["sig_0_signer"].value() == "party:p1"
    assert form["sig_0_kept"].value() == "a" * 64

    data = {k: v for k, v in form.initial.items() if v not in (None, "", [])}
    data["at"] = "2026-10-05T09:00"
    unreasoned = forms.record_form(kind, case, staff(), correcting=old, data=data)
    assert not unreasoned.is_valid()
    assert unreasoned.errors["correction_reason"] == ["请填写「更正理由」"]
    data |= {"correction_reason": "被询问人姓名笔误", "f_interviewee": "张山"}
    form = forms.record_form(kind, case, staff(), correcting=old, data=data)
    assert form.is_valid(), form.errors
    record = form.record("r2")
    assert record["corrects"] == {"record": "r1", "reason": "被询问人姓名笔误"}
    assert record["fields"]["interviewee"] == "张山"
    assert record["signatures"][0]["image_sha256"] == "a" * 64


def test_a_correction_cannot_borrow_an_image_from_outside_the_case() -> None:
    form = bind(
        RECORD_KINDS["closure"],
        {"sig_0_role": "officer", "sig_0_name": "某人", "sig_0_kept": "b" * 64},
    )
    assert not form.is_valid()
    assert form.errors["sig_0_image"] == ["原签名图像不属于本案"]


def test_a_signature_needs_a_role_and_a_signer_and_one_image() -> None:
    upload = SimpleUploadedFile("scan.png", png_bytes(), content_type="image/png")
    form = bind(
        RECORD_KINDS["closure"],
        {"sig_0_method": "handwritten", "sig_0_drawn": png_data_url()},
        files={"sig_0_image": upload},
    )
    assert not form.is_valid()
    assert form.errors["sig_0_role"] == ["请选择签名人身份"]
    assert form.errors["sig_0_signer"] == ["请选择签名人，或填写签名人姓名"]
    assert form.errors["sig_0_image"] == ["签名图像只能有一个：上传扫描件，或在屏幕上签名"]


def test_signature_images_are_recognised_by_their_bytes() -> None:
    for content in (png_bytes(), jpeg_bytes()):
        forms.check_signature_upload(SimpleUploadedFile("x.bin", content))
    disguised = SimpleUploadedFile("signature.png", b"%PDF-1.7 not an image", "image/png")
    with pytest.raises(django_forms.ValidationError, match="只能是 JPEG 或 PNG"):
        forms.check_signature_upload(disguised)
    assert forms.drawn_signature_png(png_data_url()) == png_bytes()
    bad = [
        "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(),
        "data:image/png;base64,@@@",
        "data:image/png;base64," + base64.b64encode(jpeg_bytes()).decode(),
    ]
    for data_url in bad:
        with pytest.raises(django_forms.ValidationError, match="屏幕签名"):
            forms.drawn_signature_png(data_url)


@override_settings(LAWTRAIL_MAX_SIGNATURE_BYTES=64)
def test_a_signature_image_over_the_limit_is_refused() -> None:
    big = SimpleUploadedFile("scan.jpg", jpeg_bytes() + b"\0" * 100, "image/jpeg")
    with pytest.raises(django_forms.ValidationError, match="签名图像不能超过"):
        forms.check_signature_upload(big)
    with pytest.raises(django_forms.ValidationError, match="签名图像不能超过"):
        forms.drawn_signature_png(png_data_url(extra=200))


def test_the_case_form_offers_only_the_acts_the_agency_rule_pack_covers() -> None:
    acts = load_pack("tonghua-gazetteer").acts_covered
    form = forms.CaseForm(acts, "ex_officio", lambda number: False)
    assert [v for v, _ in form.fields["acts"].choices] == ["license", "penalty"]
    form = forms.CaseForm(
        acts,
        "ex_officio",
        lambda number: number == "通志罚〔2026〕1号",
        data={
            "case-case_number": "通志罚〔2026〕1号",
            "case-acts": ["inspection"],
            "case-procedure": "general",
            "case-opened_at": AT,
            "case-party_1_address": "某地",
        },
    )
    assert not form.is_valid()
    assert form.errors["case_number"] == ["案号 通志罚〔2026〕1号 已存在，不能重复立案"]
    assert "「行政执法行为」没有选项 inspection" in form.errors["acts"][0]
    assert form.errors["party_0_name"] == ["请填写「当事人一：名称或姓名」"]
    assert form.errors["party_1_name"] == ["请填写当事人的名称或姓名"]


def test_the_case_form_gives_the_case_format_header() -> None:
    form = forms.CaseForm(
        load_pack("tonghua-market").acts_covered,
        "complaint",
        lambda number: False,
        data={
            "case-case_number": "通市监罚〔2026〕77号",
            "case-title": "投诉某超市销售过期食品案",
            "case-acts": ["penalty", "inspection"],
            "case-procedure": "general",
            "case-major": "on",
            "case-opened_at": AT,
            "case-party_0_name": "通化市某超市",
            "case-party_0_kind": "organization",
            "case-party_0_id_number": "91220502MA0000000X",
        },
    )
    assert form.is_valid(), form.errors
    assert form.header() == {
        "case_number": "通市监罚〔2026〕77号",
        "title": "投诉某超市销售过期食品案",
        "acts": ["penalty", "inspection"],
        "procedure": "general",
        "origin": "complaint",
        "major": True,
        "opened_at": "2026-10-09T14:30:00+08:00",
        "parties": [
            {
                "id": "p1",
                "name": "通化市某超市",
                "kind": "organization",
                "id_number": "91220502MA0000000X",
            }
        ],
    }
    data = {"format": FORMAT, "agency": "tonghua-market", **form.header()}
    assert parse_case(data).opened_at.isoformat() == "2026-10-09T14:30:00+08:00"


def test_next_record_id_skips_ids_in_use() -> None:
    from lawtrail.core import timeutil

    at = timeutil.parse_aware("2026-10-02T09:00:00+08:00")
    case = a_case((Record("r1", "closure", at), Record("r2", "closure", at)))
    assert forms.next_record_id(case) == "r3"
    case = a_case((Record("r3", "closure", at), Record("x", "closure", at)))
    assert forms.next_record_id(case) == "r4"
