"""文书 a 案卷评查 accepts (issue #17, statutory content): the 行政处罚决定书 with every element of
行政处罚法 (2021) 第五十九条, the 当场 and 不予 decisions, the 行政处罚告知书 with its time limits,
and every issued form for the agencies it applies to — rendered to PDF and DOCX and read back
(pdftotext, python-docx). The values asserted are the case's and the agency pack's.

PDF rendering takes about a second: each decision and notice is rendered once per agency, each
form as a PDF once (for one of the agencies it applies to, in turn) and as a DOCX for every
agency it applies to. Page images go to test-artifacts/documents/content/ for a person to look at.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document as DocxDocument

from lawtrail.core.caseio import parse_case
from lawtrail.core.model import Case, Correction, OfficerPresence, Record
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.rules import PackError, agency_ids, load_pack, parse_pack
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.documents import DocumentRenderer, template_for
from lawtrail.documents.context import catalog_entries, document_number, with_amount_words
from lawtrail.documents.formatting import amount_in_words, format_amount
from lawtrail.documents.registry import NOTICE_KINDS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts" / "documents" / "content"
RENDERER = DocumentRenderer()

# Each agency's compliant general-procedure penalty case and its decision / penalty notice.
PENALTY_CASES: Mapping[str, tuple[str, str, str]] = {
    "tonghua-market": ("compliant-ex-officio-penalty.json", "r13", "r06"),
    "tonghua-postal": ("compliant-delivery-inspection.json", "r12", "r06"),
    "tonghua-gazetteer": ("compliant-chronicle-publication.json", "r13", "r07"),
    "benxi-hrss": ("compliant-wage-arrears.json", "dc1", "n1"),
    "luanchuan-stats": ("compliant-false-statistics-penalty.json", "r10", "r05"),
}
# How each agency names itself in its documents (the pack's [documents] self_name).
SELF_NAMES = {
    "tonghua-market": "本局",
    "tonghua-postal": "本局",
    "tonghua-gazetteer": "本办",
    "benxi-hrss": "本局",
    "luanchuan-stats": "本局",
}


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def cn(day: date | datetime) -> str:
    if isinstance(day, datetime):
        day = day.astimezone(SHANGHAI).date()
    return f"{day.year}年{day.month}月{day.day}日"


def load(agency: str, name: str) -> Case:
    return parse_case(json.loads((EXAMPLES / agency / name).read_text(encoding="utf-8")))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(data: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return squeeze(result.stdout.decode("utf-8"))


def docx_text(data: bytes) -> str:
    document = DocxDocument(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return squeeze("".join(parts))


def page_images(pdf: bytes, stem: str) -> None:
    """Every page as a PNG (pdftoppm) under test-artifacts/documents/content/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    source = ARTIFACTS / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(source), str(ARTIFACTS / stem)], check=True)
    source.unlink()
    assert list(ARTIFACTS.glob(f"{stem}-*.png"))


def both(template: str, case: Case, record: Record, stem: str) -> tuple[str, str]:
    """The document's text as PDF and as DOCX (the PDF's pages kept as PNGs)."""
    pdf = RENDERER.render(template, case, record)
    page_images(pdf.data, stem)
    docx = RENDERER.render(template, case, record, format="docx")
    text = docx_text(docx.data)
    assert "{{" not in text and "{%" not in text
    return pdf_text(pdf.data), text


def missing(text: str, expected: list[str]) -> list[str]:
    return [s for s in expected if squeeze(s) not in text]


# ----------------------------------------------------------------------------- the decision


@pytest.mark.parametrize("agency", list(PENALTY_CASES))
def test_the_penalty_decision_states_every_element_of_article_59(agency: str) -> None:
    name, decision_id, notice_id = PENALTY_CASES[agency]
    case = load(agency, name)
    decision = case.record(decision_id)
    notice = case.record(notice_id)
    assert decision is not None and notice is not None
    party = case.parties[0]
    pack = load_pack(agency).documents
    me = SELF_NAMES[agency]
    amount = Decimal(str(decision.fields["amount"]))
    figures, words = format_amount(amount), amount_in_words(amount)
    evidence = decision.fields["evidence"]
    assert isinstance(evidence, tuple) and evidence
    statement = next(r for r in case.records if r.kind == "statement_defense")
    notice_number = str(notice.fields["document_number"])

    for text in both("decision", case, decision, f"{agency}-decision"):
        expected = [
            # The title by agency and kind: a 行政处罚 of any agency, luanchuan-stats included.
            "行政处罚决定书",
            str(decision.fields["document_number"]),
            f"当事人：{party.name}",
            f"统一社会信用代码：{party.id_number}",
            f"住所：{party.address}",
            f"法定代表人（负责人）：{party.legal_representative}",
            # (二) the facts and the evidence, item by item.
            "上述事实，有下列证据证明：",
            *(f"{n}.{item}" for n, item in enumerate(evidence, 1)),
            # The account of 告知 and 陈述申辩, from those records.
            f"{me}于{cn(notice.at)}向你单位送达了《行政处罚告知书》（{notice_number}）",
            (
                f"你单位于{cn(statement.at)}明确放弃陈述、申辩的权利"
                if statement.fields.get("waived") is True
                else f"你单位于{cn(statement.at)}提出了陈述、申辩"
            ),
            # (三) the basis; the penalty, its amount once in figures and in 大写.
            str(decision.fields["legal_basis"]),
            f"人民币{figures}（大写：{words}）",
            # (四) where and by when to pay (第六十七条), the late penalty (第七十二条).
            f"你单位应当自收到本决定书之日起十五日内，到{pack.payment_bank}",
            # (五) the named 复议机关 and court, with their periods; 不停止执行 (第七十三条).
            f"六十日内向{pack.reconsideration_body}申请行政复议",
            f"六个月内依法向{pack.court}提起行政诉讼",
            "本决定不停止执行",
            f"{me}决定如下",
        ]
        assert pack.reconsideration_body and pack.court
        assert not missing(text, expected), missing(text, expected)
        if "罚款" in str(decision.fields["content"]):
            assert "每日按罚款数额的百分之三加处罚款" in text
        # The amount once (not again as 罚没金额); no invented wording, no record ids.
        assert text.count(squeeze(figures)) == 1
        assert "罚没金额" not in text
        assert "本机关" not in text
        assert "你（单位）" not in text
        assert not re.search(r"号-[a-z]+\d", text)


def test_the_on_the_spot_decision_names_officers_time_and_place() -> None:
    case = load("tonghua-market", "compliant-simplified.json")
    decision = case.record("s02")
    assert decision is not None
    procedure = next(r for r in case.records if r.officers)
    officers = [case.person(o.person) for o in procedure.officers]
    party = case.parties[0]
    assert party.kind == "person"
    for text in both("decision", case, decision, "tonghua-market-on-the-spot"):
        # 行政处罚法 (2021) 第五十二条: 当场处罚决定书 with the officers, time and place; no 立案.
        assert text.startswith(squeeze("通化市市场监督管理局当场行政处罚决定书"))
        assert "依法立案" not in text and "进行了调查" not in text
        for officer in officers:
            assert officer is not None
            assert f"{officer.name}（执法证件编号：{officer.certificate_number}）" in text
        assert squeeze(f"于{cn(decision.at)}10时00分在{decision.fields['place']}") in text
        assert f"住址：{party.address}" in text
        # A person is addressed as 你, not 你单位.
        assert "你应当自收到本决定书之日起十五日内" in text
        assert "你单位" not in text
        assert "人民币200.00元（大写：贰佰元整）" in text


def test_a_decision_not_to_punish_has_its_own_title_and_no_payment() -> None:
    case = load("tonghua-postal", "compliant-delivery-inspection.json")
    decision = case.record("r12")
    assert decision is not None
    fields = {
        k: v for k, v in decision.fields.items() if k not in ("amount", "rectification_ordered")
    }
    fields |= {
        "category": "no_penalty",
        "decision_type": "不予行政处罚决定",
        "document_number": "通邮管不罚〔2026〕8号",
        "content": "当事人违法行为轻微并及时改正，没有造成危害后果，决定不予行政处罚",
    }
    not_punished = dataclasses.replace(decision, fields=fields)
    case = dataclasses.replace(
        case, records=tuple(not_punished if r.id == "r12" else r for r in case.records)
    )
    for text in both("decision", case, not_punished, "tonghua-postal-no-penalty"):
        assert "不予行政处罚决定书" in text
        assert "通邮管不罚〔2026〕8号" in text
        assert "吉林省邮政管理局申请行政复议" in text
        assert "十五日内" not in text
        assert "百分之三" not in text
        assert "不停止执行" not in text


# ----------------------------------------------------------------------------- the notice


@pytest.mark.parametrize("agency", list(PENALTY_CASES))
def test_the_penalty_notice_states_the_proposed_penalty_and_the_time_limits(agency: str) -> None:
    name, _decision, notice_id = PENALTY_CASES[agency]
    case = load(agency, name)
    notice = case.record(notice_id)
    assert notice is not None
    amount = Decimal(str(notice.fields["penalty_amount"]))
    hearing = "hearing" in notice.fields["rights"]
    me = SELF_NAMES[agency]
    # The PDF for two agencies (with and without the hearing right), the DOCX for all.
    if agency in ("tonghua-market", "luanchuan-stats"):
        texts = both("rights_notice", case, notice, f"{agency}-penalty-notice")
    else:
        texts = (docx_text(RENDERER.render("rights_notice", case, notice, format="docx").data),)
    for text in texts:
        expected = [
            "行政处罚告知书",
            str(notice.fields["document_number"]),
            # 第四十四条: the intended penalty with its facts, reasons and basis.
            f"拟认定以下事实：{notice.fields['facts']}",
            f"{me}认为：{notice.fields['reasons']}",
            f"依据{notice.fields['legal_basis']}的规定，{me}拟对你单位作出如下行政处罚",
            f"人民币{format_amount(amount)}（大写：{amount_in_words(amount)}）",
            "第四十四条",
            "不因你单位陈述、申辩而给予更重的处罚（第四十五条、第六十二条）",
        ]
        assert not missing(text, expected), missing(text, expected)
        # 第六十四条 (一): the 5 days to ask for a hearing, where the hearing right is notified
        # (luanchuan-stats' regulation gives only 陈述、申辩: art. 8).
        assert ("告知后五日内提出" in text) is hearing


# ----------------------------------------------------------------------------- the forms

PERSON = "h1"  # the approver of every example case


def form_records(agency: str) -> dict[str, tuple[Record, list[str]]]:
    """One record of each issued form, and what its document must say (besides its title)."""
    d = SELF_NAMES[agency]
    return {
        "inquiry_notice": (
            Record(
                "f01",
                "inquiry_notice",
                at(2026, 9, 20, 9, 0),
                fields={
                    "recipient": "刘某",
                    "inquiry_at": at(2026, 9, 23, 9, 30),
                    "place": "执法大队询问室",
                    "materials": ("身份证件", "营业执照副本"),
                },
            ),
            [
                "刘某：",
                "请你（或者委托代理人）",
                "2026年9月23日9时30分",
                "第五十五条",
                "1.身份证件",
            ],
        ),
        "material_request": (
            Record(
                "f02",
                "material_request",
                at(2026, 9, 20, 9, 0),
                fields={
                    "recipient": "刘某",
                    "materials": ("进货台账",),
                    "deadline": date(2026, 9, 27),
                },
            ),
            ["2026年9月27日前", "1.进货台账", "与原件核对无误"],
        ),
        "register_preservation": (
            Record(
                "f03",
                "register_preservation",
                at(2026, 9, 20, 10, 0),
                fields={
                    "items": ("运动鞋185双",),
                    "keep_place": "当事人仓库",
                    "approved_by": PERSON,
                    "approved_at": at(2026, 9, 20, 9, 40),
                },
                officers=(OfficerPresence("o1", True),),
            ),
            [
                "经" + d + "负责人批准",
                "第五十六条",
                "七日内作出处理决定",
                "1.运动鞋185双",
                "批准人",
            ],
        ),
        "preservation_handling": (
            Record(
                "f04",
                "preservation_handling",
                at(2026, 9, 26, 10, 0),
                fields={"handling": "release", "items": ("运动鞋185双",), "preservation": "f03"},
            ),
            ["解除先行登记保存", "第五十六条"],
        ),
        "compulsory_measure": (
            Record(
                "f05",
                "compulsory_measure",
                at(2026, 9, 21, 10, 0),
                fields={
                    "measure": "seize",
                    "items": ("涉案运动鞋185双", "包装箱12个"),
                    "legal_basis": "《中华人民共和国商标法》第六十二条",
                },
            ),
            ["扣押财物", "场所、设施、财物清单", "2.包装箱12个", "期限为三十日", "申请行政复议"],
        ),
        "compulsory_extension": (
            Record(
                "f06",
                "compulsory_extension",
                at(2026, 10, 18, 10, 0),
                fields={"extended_until": date(2026, 11, 17), "approved_by": PERSON},
            ),
            ["2026年11月17日", "第二十五条第一款", "延长期限不超过三十日"],
        ),
        "compulsory_release": (
            Record(
                "f07",
                "compulsory_release",
                at(2026, 11, 1, 10, 0),
                fields={"reason": "decided", "items": ("包装箱12个",)},
            ),
            ["第二十八条", "不再需要查封、扣押", "1.包装箱12个"],
        ),
        "appraisal": (
            Record(
                "f08",
                "appraisal",
                at(2026, 9, 22, 10, 0),
                fields={"form": "commission", "institution": "某检测中心", "subject": "鞋类质量"},
            ),
            ["某检测中心：", "鞋类质量", "现委托你单位"],
        ),
        "appraisal_result_notice": (
            Record(
                "f09",
                "appraisal_result_notice",
                at(2026, 10, 8, 10, 0),
                fields={"institution": "某检测中心", "subject": "鞋类质量", "result": "不合格"},
            ),
            ["结果如下：不合格", "复检"],
        ),
        "hearing_right_notice": (
            Record(
                "f10",
                "hearing_right_notice",
                at(2026, 10, 9, 10, 0),
                fields={
                    "facts": "销售假冒商品",
                    "legal_basis": "《中华人民共和国商标法》第六十条",
                    "proposed_penalty": "罚款50000元",
                    "penalty_kinds": ("fine",),
                    "penalty_amount": "50000.00",
                },
            ),
            ["拟认定以下事实：销售假冒商品", "人民币50,000.00元（大写：伍万元整）", "五日内提出"],
        ),
        "hearing_notice": (
            Record(
                "f11",
                "hearing_notice",
                at(2026, 10, 12, 10, 0),
                fields={
                    "hearing_at": at(2026, 10, 20, 9, 0),
                    "place": "听证室",
                    "presiding_officer": PERSON,
                    "public": True,
                },
            ),
            ["2026年10月20日9时00分", "听证室", "公开举行", "申请回避", "一至二人代理"],
        ),
        "payment_deferral": (
            Record(
                "f12",
                "payment_deferral",
                at(2026, 10, 25, 10, 0),
                fields={
                    "mode": "instalments",
                    "instalments": ("2026年11月30日前缴纳5000元",),
                    "approved_by": PERSON,
                },
            ),
            ["分期缴纳罚款决定书", "第六十六条第二款", "1.2026年11月30日前缴纳5000元"],
        ),
        "case_transfer": (
            Record(
                "f13",
                "case_transfer",
                at(2026, 10, 26, 10, 0),
                fields={
                    "transfer_type": "crime",
                    "receiver": "某县公安局",
                    "materials": ("案件调查终结报告",),
                },
            ),
            ["涉嫌犯罪案件移送书", "某县公安局：", "第二十七条第一款", "1.案件调查终结报告"],
        ),
        "court_enforcement": (
            Record(
                "f14",
                "court_enforcement",
                at(2027, 1, 10, 10, 0),
                fields={
                    "court": "某区人民法院",
                    "urged_at": date(2026, 12, 1),
                    "application_content": "强制执行罚款",
                },
            ),
            ["强制执行申请书", "某区人民法院：", "被申请人", "第五十三条", "2026年12月1日"],
        ),
        "rectification_order": (
            Record(
                "f15",
                "rectification_order",
                at(2026, 9, 3, 10, 0),
                fields={"violations": "未编制工资支付台账", "deadline": date(2026, 9, 10)},
            ),
            ["劳动保障监察条例》第十八条第一款第（二）项", "2026年9月10日前改正"],
        ),
        "stats_inspection_notice": (
            Record(
                "f16",
                "stats_inspection_notice",
                at(2026, 9, 1, 10, 0),
                fields={"matters": "2026年统计数据质量", "inspection_at": date(2026, 9, 8)},
            ),
            ["统计法》第三十三条、第三十五条", "2026年9月8日"],
        ),
        "stats_inquiry": (
            Record(
                "f17",
                "stats_inquiry",
                at(2026, 9, 1, 11, 0),
                fields={"questions": ("产值数据的来源",), "reply_deadline": date(2026, 9, 10)},
            ),
            ["统计法》第三十五条", "1.产值数据的来源", "2026年9月10日前"],
        ),
    }


COMPULSORY_FORMS = ("compulsory_measure", "compulsory_extension", "compulsory_release")


def applies(agency: str, kind: str) -> bool:
    """A form applies to every agency unless it is another agency's own form; the forms of
    行政强制 to the agencies whose regulation covers 行政强制 (acts_covered)."""
    pack = load_pack(agency)
    if kind in COMPULSORY_FORMS and "compulsory" not in pack.acts_covered:
        return False
    owners = [a for a in agency_ids() if kind in load_pack(a).documents.own_forms]
    return not owners or agency in owners


FORM_CASES = {agency: PENALTY_CASES[agency][0] for agency in PENALTY_CASES}
APPLICABLE = [
    (kind, agency)
    for kind in sorted(NOTICE_KINDS)
    for agency in FORM_CASES
    if applies(agency, kind)
]


def test_every_issued_form_has_a_sample_here() -> None:
    assert set(form_records("tonghua-market")) == set(NOTICE_KINDS)


@pytest.mark.parametrize("kind", sorted(NOTICE_KINDS))
def test_every_form_states_its_statutory_content_for_every_agency_it_applies_to(
    kind: str,
) -> None:
    agencies = [a for k, a in APPLICABLE if k == kind]
    assert agencies
    # The PDF once, for one of the agencies (in turn); the DOCX for each of them.
    pdf_agency = agencies[sorted(NOTICE_KINDS).index(kind) % len(agencies)]
    for agency in agencies:
        case = load(agency, FORM_CASES[agency])
        record, expected = form_records(agency)[kind]
        case = dataclasses.replace(case, records=(*case.records, record))
        number = document_number(case, record)
        pattern = load_pack(agency).documents.number_patterns.get(kind)
        # Every issued form an agency uses is numbered by its pack's pattern.
        assert pattern is not None, f"{agency} numbers no {kind}"
        year, n = re.findall(r"〔(\d{4})〕(\d+)号", case.case_number)[0]
        assert number == pattern.format(int(year), int(n))
        me = SELF_NAMES[agency]
        expected = [case.agency and load_pack(agency).name, *expected, number]
        # Addressed to the party, except the forms addressed to a witness, an institution,
        # another authority or a court.
        if kind not in (
            "appraisal",
            "case_transfer",
            "court_enforcement",
            "inquiry_notice",
            "material_request",
        ):
            expected.append(f"{case.parties[0].name}：")
        formats = ("pdf", "docx") if agency == pdf_agency else ("docx",)
        for fmt in formats:
            doc = RENDERER.render(template_for(kind).id, case, record, format=fmt)
            if fmt == "pdf":
                page_images(doc.data, f"form-{kind}-{agency}")
                text = pdf_text(doc.data)
            else:
                text = docx_text(doc.data)
            assert not missing(text, expected), (fmt, agency, missing(text, expected))
            assert "本机关" not in text.replace("不属于本机关管辖", "")
            assert me in text or kind == "inquiry_notice"
            assert "{{" not in text


# ----------------------------------------------------------------------------- numbering


def test_internal_records_carry_no_number_and_no_record_id() -> None:
    case = load("tonghua-market", "compliant-ex-officio-penalty.json")
    entries = {e.record_id: e for e in catalog_entries(case, "通化市市场监督管理局")}
    kinds = {r.id: r.kind for r in case.records}
    internal = [
        rid
        for rid, kind in kinds.items()
        if kind in ("initiation_approval", "inquiry_record", "collective_discussion")
    ]
    assert internal
    for rid in internal:
        assert entries[rid].document_number == ""
    assert entries["r13"].document_number == "通市监罚〔2026〕12号"
    assert entries["r06"].document_number == "通市监罚告〔2026〕12号"
    assert not any(re.search(r"-r\d", e.document_number) for e in entries.values())
    # A correction is described by its date and title in the 备考表, never by a record id.
    first = case.records[0]
    correction = Record(
        "r99",
        first.kind,
        at(2026, 3, 4, 9, 0),
        fields=dict(first.fields),
        corrects=Correction(first.id, "更正笔误"),
    )
    corrected = dataclasses.replace(case, records=(*case.records, correction))
    text = docx_text(RENDERER.render("case_remarks", corrected, format="docx").data)
    assert "更正理由：更正笔误" in text
    assert not re.search(r"记录r\d", text)


def test_the_amount_is_printed_once_with_its_words() -> None:
    figures, words = format_amount(Decimal("110000")), amount_in_words(Decimal("110000"))
    assert (
        with_amount_words("一、没收；二、罚款110,000元", figures, words)
        == "一、没收；二、罚款人民币110,000.00元（大写：壹拾壹万元整）"
    )
    assert (
        with_amount_words("罚款人民币贰万元整", "20,000.00元", "贰万元整")
        == "罚款人民币20,000.00元（大写：贰万元整）"
    )
    assert (
        with_amount_words("罚款11万元", figures, words)
        == "罚款人民币110,000.00元（大写：壹拾壹万元整）"
    )
    # Another sum is left as it is.
    assert with_amount_words("多报7,360万元", figures, words) == "多报7,360万元"


def test_a_pack_with_a_bad_number_pattern_or_form_is_refused() -> None:
    head = '[agency]\nid = "x"\nname = "某局"\nregulation = "r.txt"\nacts_covered = ["penalty"]\n'
    with pytest.raises(PackError, match="未知的记录类型"):
        parse_pack(head + '[documents.number_patterns]\nno_such_kind = "某告〔{year}〕{n}号"\n')
    with pytest.raises(PackError, match=r"number_patterns\.rights_notice"):
        parse_pack(head + '[documents.number_patterns]\nrights_notice = "某告{n}号"\n')
    with pytest.raises(PackError, match=r"own_forms"):
        parse_pack(head + '[documents]\nown_forms = ["no_such_kind"]\n')
    settings: Any = parse_pack(head).documents
    assert settings.self_name == "本机关"


# Internal forms (审批表, 报告, 登记表) and the party's own papers: the generic sheet, with their
# official titles, their fields, no 文号 and no seal of the agency.
INTERNAL_FORMS: Mapping[str, tuple[dict[str, Any], str]] = {
    "case_source_registration": (
        {"source": "complaint", "summary": "群众举报销售假鞋"},
        "投诉、举报",
    ),
    "no_filing_approval": ({"reason": "违法事实不能成立", "head": PERSON}, "违法事实不能成立"),
    "investigation_report": (
        {"facts": "销售假冒商品", "evidence": ("询问笔录",), "proposal": "罚款"},
        "1.询问笔录",
    ),
    "case_approval": ({"case_summary": "销售假冒商品", "head_opinion": "同意"}, "销售假冒商品"),
    "hearing_report": (
        {"summary": "听证如期举行", "opinion": "维持原拟处罚意见"},
        "维持原拟处罚意见",
    ),
    "closure_approval": ({"result": "罚款已缴纳", "head_opinion": "同意结案"}, "罚款已缴纳"),
    "confiscated_disposal": ({"items": ("假冒运动鞋185双",), "method": "destroy"}, "销毁"),
    "sampling": ({"items": ("运动鞋2双",), "location": "当事人仓库"}, "当事人仓库"),
    "address_confirmation": (
        {"address": "通化市东昌区新华大街218号", "phone": "0435-1234567"},
        "0435-1234567",
    ),
    "power_of_attorney": ({"agent": "王律师", "scope": "代为参加听证"}, "代为参加听证"),
}
INTERNAL_TITLES = {"sampling": "抽样记录"}


@pytest.mark.parametrize("kind", sorted(INTERNAL_FORMS))
def test_internal_forms_have_their_titles_and_no_number(kind: str) -> None:
    fields, value = INTERNAL_FORMS[kind]
    title = INTERNAL_TITLES.get(kind, RECORD_KINDS[kind].label)
    case = load("tonghua-market", PENALTY_CASES["tonghua-market"][0])
    record = Record("x1", kind, at(2026, 3, 10, 9, 0), fields=fields)
    case = dataclasses.replace(case, records=(*case.records, record))
    assert document_number(case, record) == ""
    formats = ("pdf", "docx") if sorted(INTERNAL_FORMS).index(kind) % 3 == 0 else ("docx",)
    for fmt in formats:
        doc = RENDERER.render(template_for(kind).id, case, record, format=fmt)
        if fmt == "pdf":
            page_images(doc.data, f"internal-{kind}")
        text = pdf_text(doc.data) if fmt == "pdf" else docx_text(doc.data)
        assert title in text
        assert f"{title}记录" not in text
        assert value in text
        assert "（印章）" not in text
        assert "编号：" not in text
