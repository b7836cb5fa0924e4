"""文书 and 案卷: every template rendered for cases of two agencies, to PDF and DOCX, and read
back (pdftotext, python-docx, pdftoppm) to check that the case's data is printed, in Chinese.

Each template's first page is kept as a PNG in test-artifacts/documents/<agency>/ for a person
to look at.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from PIL import Image

from lawtrail.core.caseio import parse_case
from lawtrail.core.model import (
    Case,
    Media,
    OfficerPresence,
    Record,
    Signature,
)
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.documents import (
    FORMATS,
    TEMPLATES,
    CaseVolume,
    DocumentError,
    DocumentRenderer,
    template_for,
)
from lawtrail.documents.form import SECONDARY_KINDS
from lawtrail.documents.render import DOCX_DIR
from lawtrail.tools.docx_templates import build_all

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "test-artifacts" / "documents"

# poppler-utils (pdftotext, pdftoppm, pdfinfo) is installed by ./run.sh (deps/apt.txt): these
# tests fail, never skip, without it.


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def cn(day: date | datetime) -> str:
    """The Chinese date as an officer writes it, computed here independently of the code."""
    if isinstance(day, datetime):
        day = day.astimezone(SHANGHAI).date()
    return f"{day.year}年{day.month}月{day.day}日"


def load(name: str) -> Case:
    return parse_case(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))


def add(case: Case, *records: Record) -> Case:
    return dataclasses.replace(case, records=(*case.records, *records))


def market_case() -> Case:
    """通化市市场监督管理局: the ex-officio trademark case, with a hearing added."""
    case = load("tonghua-market/compliant-ex-officio-penalty.json")
    hearing = Record(
        "h1",
        "hearing",
        at(2026, 4, 14, 9, 0),
        fields={
            "notice_number": "通市监听通〔2026〕12号",
            "notice_served_at": at(2026, 4, 8, 10, 0),
            "presiding_officer": "l1",
            "transcript": (
                "主持人：现在开始听证，请调查人员陈述案件事实、证据和处理意见。"
                "问：当事人对涉案运动鞋系假冒注册商标商品是否有异议？"
                "答：对鉴定结论无异议，但罚款数额过高，请求从轻。"
                "问：当事人能否提供合法进货来源？答：不能提供。"
            ),
        },
        officers=(OfficerPresence("o1", True), OfficerPresence("o2", True)),
        signatures=(
            Signature("officer", "刘建国", person="o1", at=at(2026, 4, 14, 10, 30)),
            Signature("party", "马宏伟", party="p1", at=at(2026, 4, 14, 10, 35)),
        ),
    )
    # 听证通知书 (行政处罚法 2021 第六十四条): printed with the notice template.
    notice = Record(
        "hn1",
        "hearing_notice",
        at(2026, 4, 8, 9, 0),
        fields={
            "document_number": "通市监听通〔2026〕12号",
            "hearing_at": at(2026, 4, 14, 9, 0),
            "place": "通化市市场监督管理局听证室",
            "presiding_officer": "l1",
            "public": True,
        },
    )
    return add(case, notice, hearing)


def benxi_case() -> Case:
    """本溪市人力资源和社会保障局: the wage-arrears case, with a hearing and an urge notice."""
    case = load("benxi-hrss/compliant-wage-arrears.json")
    hearing = Record(
        "hr1",
        "hearing",
        at(2026, 9, 19, 9, 30),
        fields={
            "notice_number": "本人社听通〔2026〕15号",
            "notice_served_at": at(2026, 9, 16, 15, 0),
            "presiding_officer": "l1",
            "transcript": (
                "主持人：本次听证由本局政策法规科赵敏主持。"
                "问：当事人对拖欠12名农民工工资186400元的事实是否有异议？"
                "答：无异议，拖欠系因总包单位工程款未到位。"
            ),
        },
        officers=(OfficerPresence("o1", True), OfficerPresence("o2", True)),
        signatures=(
            Signature("officer", "刘振宇", person="o1", at=at(2026, 9, 19, 10, 20)),
            Signature("party", "陈志刚", party="p1", at=at(2026, 9, 19, 10, 25)),
        ),
    )
    urge = Record(
        "u1",
        "urge_notice",
        at(2026, 10, 9, 9, 0),
        fields={
            "document_number": "本人社监催〔2026〕15号",
            "content": (
                "你单位未在本人社监罚〔2026〕15号行政处罚决定书确定的期限内足额编制工资支付"
                "台账。催告你单位于收到本催告书之日起十日内履行上述义务"
            ),
            "performance_deadline": date(2026, 10, 19),
        },
        signatures=(Signature("officer", "刘振宇", person="o1", at=at(2026, 10, 9, 9, 0)),),
    )
    # 责令改正（限期改正）指令书 (劳动保障监察条例 第十八条): numbered by the pack's pattern.
    order = Record(
        "ro1",
        "rectification_order",
        at(2026, 9, 3, 10, 0),
        fields={
            "violations": "未编制工资支付台账，拖欠12名农民工2026年5月至7月工资共计186400元",
            "legal_basis": "《保障农民工工资支付条例》第十五条",
            "order": "编制工资支付台账并足额支付拖欠的工资",
            "deadline": date(2026, 9, 10),
        },
    )
    return add(case, order, hearing, urge)


CASES: dict[str, Callable[[], Case]] = {
    "tonghua-market": market_case,
    "benxi-hrss": benxi_case,
}

AGENCY_NAMES = {
    "tonghua-market": "通化市市场监督管理局",
    "benxi-hrss": "本溪市人力资源和社会保障局",
}

# The record each record template is rendered for, and a value of it the document must print
# (choice values by their Chinese label).
RECORD_FOR: dict[str, dict[str, tuple[str, str]]] = {
    "tonghua-market": {
        "initiation_approval": ("r01", "监督检查（网络交易监测）发现"),
        "inquiry_record": ("r04", "通化市市场监督管理局询问室（二）"),
        "site_inspection": ("r02", "马宏伟（法定代表人）、李娜（店员）"),
        "rights_notice": ("r06", "申请回避"),
        "statement_defense": ("r07", "拟作出的决定"),
        "hearing": ("h1", "对鉴定结论无异议"),
        "legal_review": ("r09", "孙丽"),
        "decision": ("r13", "壹拾壹万元整"),
        "service": ("r14", "留置送达"),
        "urge_notice": ("r17", "2026年11月1日"),
        "record": ("r10", "集体讨论记录"),
        "notice": ("hn1", "通化市市场监督管理局听证室"),
    },
    "benxi-hrss": {
        "initiation_approval": ("a1", "实名投诉"),
        "inquiry_record": ("i1", "劳动保障监察支队询问室"),
        "site_inspection": ("s1", "陈志刚（法定代表人）、项目经理李某"),
        "rights_notice": ("n1", "提起行政诉讼"),
        "statement_defense": ("d0", "拟作出的决定"),
        "hearing": ("hr1", "拖欠系因总包单位工程款未到位"),
        "legal_review": ("lr1", "赵敏"),
        "decision": ("dc1", "贰万元整"),
        "service": ("sv1", "直接送达"),
        "urge_notice": ("u1", "2026年10月19日"),
        "record": ("e2", "劳动保障监察支队证据室"),
        "notice": ("ro1", "本人社监令〔2026〕15号"),
    },
}

# What each document is headed, as an officer expects it.
TITLES = {
    "initiation_approval": "程序启动审批表",
    "inquiry_record": "询问笔录",
    "site_inspection": "现场检查（勘验）笔录",
    "rights_notice": "行政处罚告知书",
    "statement_defense": "陈述申辩笔录",
    "hearing": "听证笔录",
    "legal_review": "法制审核意见书",
    "decision": "行政处罚决定书",
    "service": "送达回证",
    "urge_notice": "催告书",
    "case_cover": "行政执法案卷",
    "case_catalog": "卷内目录",
    "case_remarks": "卷内备考表",
}
GENERIC_TITLES = {"tonghua-market": "集体讨论记录", "benxi-hrss": "证据登记保存清单"}
NOTICE_TITLES = {"tonghua-market": "听证通知书", "benxi-hrss": "责令改正（限期改正）指令书"}

VOLUME_NUMBERS = {
    "tonghua-market": "通市监档〔2026〕罚字第12号",
    "benxi-hrss": "本人社监档〔2026〕15号",
}
ARCHIVISTS = {"tonghua-market": "周敏", "benxi-hrss": "周丽"}
ARCHIVED_AT = {"tonghua-market": at(2026, 11, 18, 15, 0), "benxi-hrss": at(2026, 10, 20, 10, 0)}

# These templates (and their cases) are rendered with the one renderer of the module: it is
# built once, as in the web process.
RENDERER = DocumentRenderer()


@pytest.fixture(scope="module")
def cases() -> dict[str, Case]:
    return {agency: make() for agency, make in CASES.items()}


def pdf_text(
    data: bytes, page: int | None = None, *, last: int | None = None, layout: bool = True
) -> str:
    """The PDF's text as pdftotext -layout reads it, without any white space.

    Without `layout`, in reading order: a table cell's lines stay together."""
    pages = ["-f", str(page), "-l", str(last or page)] if page is not None else []
    result = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), *pages, "-", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    return squeeze(result.stdout.decode("utf-8"))


def pdf_pages(data: bytes) -> int:
    result = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", result.stdout.decode("utf-8"), re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def docx_text(data: bytes) -> str:
    """Paragraphs and table cells of a DOCX, without any white space."""
    document = DocxDocument(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return squeeze("".join(parts))


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def first_page_png(pdf: bytes, target: Path) -> Image.Image:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = target.with_suffix(".pdf")
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", source,
         target.with_suffix("")],
        check=True,
    )  # fmt: skip
    source.unlink()
    return Image.open(target).convert("L")


def ink(image: Image.Image) -> float:
    """The share of a page's pixels that are not (near) white."""
    histogram = image.histogram()
    return sum(histogram[:200]) / (image.width * image.height)


def expectations(agency: str, case: Case, template_id: str) -> tuple[Record | None, list[str]]:
    """The record a template renders and the strings its document must hold."""
    name = AGENCY_NAMES[agency]
    party = case.parties[0].name
    if TEMPLATES[template_id].case_level:
        expected = [name, TITLES[template_id], case.case_number, party]
        if template_id == "case_cover":
            expected += [cn(case.opened_at), "卷内文件"]
        if template_id == "case_catalog":
            decision = next(r for r in case.records if r.kind == "decision")
            expected += ["行政处罚决定书", decision.at.strftime("%Y%m%d"), "责任者"]
        if template_id == "case_remarks":
            expected += ["本卷情况说明", "检查人"]
        return None, expected
    record_id, value = RECORD_FOR[agency][template_id]
    record = case.record(record_id)
    assert record is not None
    per_agency = {"record": GENERIC_TITLES, "notice": NOTICE_TITLES}
    title = per_agency[template_id][agency] if template_id in per_agency else TITLES[template_id]
    stated = next(
        (
            str(record.fields[k])
            for k in ("document_number", "notice_number", "receipt_number")
            if k in record.fields
        ),
        case.case_number,
    )
    return record, [name, title, stated, party, value, cn(record.at)]


# ----------------------------------------------------------------------------- every template


@pytest.mark.parametrize("template_id", list(TEMPLATES))
@pytest.mark.parametrize("agency", list(CASES))
def test_every_template_prints_the_case_data_in_chinese(
    cases: dict[str, Case], agency: str, template_id: str
) -> None:
    case = cases[agency]
    record, expected = expectations(agency, case, template_id)

    pdf = RENDERER.render(template_id, case, record)
    assert pdf.format == "pdf"
    assert pdf.media_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert pdf.pages == pdf_pages(pdf.data)
    text = pdf_text(pdf.data)
    missing = [s for s in expected if squeeze(s) not in text]
    assert not missing, f"PDF lacks {missing}"
    # No raw English id of a choice or a person in the document.
    for raw in ("written_notice", "lodging", "handwritten", "ex_officio", "opinion_document"):
        assert raw not in text

    docx = RENDERER.render(template_id, case, record, format="docx")
    assert docx.format == "docx"
    assert docx.pages is None
    assert docx.filename.endswith(".docx")
    assert docx.filename.removesuffix(".docx") == pdf.filename.removesuffix(".pdf")
    assert zipfile.is_zipfile(io.BytesIO(docx.data))
    text = docx_text(docx.data)
    missing = [s for s in expected if squeeze(s) not in text]
    assert not missing, f"DOCX lacks {missing}"
    assert "{{" not in text
    assert "{%" not in text

    image = first_page_png(pdf.data, ARTIFACTS / agency / f"{template_id}.png")
    width, height = image.size  # A4 at 60 dpi: 496 × 702, give or take rounding
    assert abs(width - 496) <= 1
    assert abs(height - 702) <= 1
    assert 0.005 < ink(image) < 0.25


def test_filenames_name_the_record_and_the_document(cases: dict[str, Case]) -> None:
    case = cases["tonghua-market"]
    decision = RENDERER.render("decision", case, case.record("r13"))
    assert decision.filename == "r13-行政处罚决定书.pdf"
    cover = RENDERER.render("case_cover", case, format="docx")
    assert cover.filename == "通市监罚〔2026〕12号-行政执法案卷.docx"
    assert cover.media_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )


def test_every_record_of_a_case_has_a_document(cases: dict[str, Case]) -> None:
    for case in cases.values():
        for record in case.effective_records():
            document = RENDERER.render(template_for(record.kind).id, case, record)
            assert document.pages is not None
            assert document.pages >= 1


# ----------------------------------------------------------------------------- content details


def test_a_refusal_to_sign_is_printed_with_its_reason(cases: dict[str, Case]) -> None:
    case = cases["tonghua-market"]
    service = case.record("r14")
    assert service is not None and service.refusals
    for fmt in FORMATS:
        document = RENDERER.render("service", case, service, format=fmt)
        text = pdf_text(document.data, layout=False) if fmt == "pdf" else docx_text(document.data)
        assert "马宏伟拒绝签名" in text
        assert "认为罚款过重，拒绝签收" in text
        assert "《行政处罚决定书》（通市监罚〔2026〕12号）" in text
    # The columns of the paper 送达回证 (in the PDF a long label wraps within its cell).
    text = docx_text(RENDERER.render("service", case, service, format="docx").data)
    for column in (
        "送达文书名称及文号",
        "受送达人",
        "送达时间",
        "送达地点",
        "送达方式",
        "收件人签名（盖章）",
        "送达人",
        "备注",
    ):
        assert column in text


def test_officers_are_named_with_their_certificates(cases: dict[str, Case]) -> None:
    case = cases["tonghua-market"]
    text = pdf_text(RENDERER.render("inquiry_record", case, case.record("r04")).data)
    assert "刘建国（执法证件编号：22050021001，已出示）" in text
    assert "陈晓燕（执法证件编号：22050021017，已出示）" in text


def test_issued_documents_carry_the_seal_area(cases: dict[str, Case]) -> None:
    case = cases["benxi-hrss"]
    for template_id, record_id in (
        ("decision", "dc1"),
        ("rights_notice", "n1"),
        ("urge_notice", "u1"),
        ("legal_review", "lr1"),
    ):
        record = case.record(record_id)
        assert record is not None
        for fmt in FORMATS:
            document = RENDERER.render(template_id, case, record, format=fmt)
            text = pdf_text(document.data) if fmt == "pdf" else docx_text(document.data)
            assert f"本溪市人力资源和社会保障局（印章）{cn(record.at)}" in text


def signature_image() -> bytes:
    image = Image.new("RGB", (120, 40), "white")
    for x in range(10, 110):
        image.putpixel((x, 20 + (x % 7) - 3), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_a_drawn_signature_is_embedded_as_a_picture(cases: dict[str, Case]) -> None:
    case = cases["tonghua-market"]
    picture = signature_image()
    asked: list[str] = []

    def image(sha256: str) -> bytes | None:
        asked.append(sha256)
        return picture if sha256 == "ab" * 32 else None

    record = case.record("r06")
    assert record is not None
    signed = dataclasses.replace(
        record,
        signatures=(
            Signature("party", "马宏伟", party="p1", at=at(2026, 4, 7, 9, 35), method="screen",
                      image_sha256="ab" * 32),
            Signature("officer", "刘建国", person="o1", at=at(2026, 4, 7, 9, 30),
                      image_sha256="cd" * 32),
        ),
    )  # fmt: skip
    renderer = DocumentRenderer(image=image)
    pdf = renderer.render("rights_notice", case, signed)
    assert asked == ["ab" * 32, "cd" * 32]
    listing = subprocess.run(
        ["pdfimages", "-list", "-", ], input=pdf.data, capture_output=True, check=True
    ).stdout.decode()  # fmt: skip
    assert len(listing.strip().splitlines()) == 3  # two header lines, one picture
    # The screen signature is printed with the time it was made; the officer's, made on
    # paper, leaves a blank cell and 年 月 日 to be filled in by hand.
    text = pdf_text(pdf.data, layout=False)
    assert "当事人（屏幕签名）" in text
    assert "2026年4月7日9时35分" in text
    assert "刘建国执法人员年月日" in pdf_text(pdf.data)

    docx = renderer.render("rights_notice", case, signed, format="docx")
    with zipfile.ZipFile(io.BytesIO(docx.data)) as package:
        pictures = [n for n in package.namelist() if n.startswith("word/media/")]
        assert len(pictures) == 1
        assert package.read(pictures[0]) == picture

    # Without an image store the signature is still listed, as text.
    plain = RENDERER.render("rights_notice", case, signed)
    assert "马宏伟" in pdf_text(plain.data)


def test_the_same_case_data_gives_the_same_bytes(cases: dict[str, Case]) -> None:
    case = cases["benxi-hrss"]
    record = case.record("dc1")
    other = DocumentRenderer()
    for fmt in FORMATS:
        first = RENDERER.render("decision", case, record, format=fmt)
        again = other.render("decision", case, record, format=fmt)
        assert first.data == again.data
    pdf = RENDERER.render("decision", case, record).data
    # The creation date is the record's time, not the rendering's.
    info = subprocess.run(["pdfinfo", "-isodates", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()  # fmt: skip
    assert re.search(r"CreationDate:\s+2026-09-23T10:00:00\+08", info)
    docx = RENDERER.render("decision", case, record, format="docx").data
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        assert {i.date_time for i in package.infolist()} == {(2026, 9, 23, 10, 0, 0)}


def test_document_properties_name_the_agency_and_the_case_in_chinese(
    cases: dict[str, Case],
) -> None:
    """What 文件属性 shows: the agency as author, the document's title, the case — not
    "python-docx" or Word's English defaults (issue #15)."""
    case = cases["benxi-hrss"]
    record = case.record("dc1")
    agency = "本溪市人力资源和社会保障局"
    docx = RENDERER.render("decision", case, record, format="docx").data
    props = DocxDocument(io.BytesIO(docx)).core_properties
    assert (props.title, props.author, props.last_modified_by) == ("行政处罚决定书", agency, agency)
    assert props.subject == case.title
    assert props.comments == f"{case.case_number} {case.title}"
    assert props.keywords == case.case_number
    assert (props.category, props.language) == ("行政执法文书", "zh-CN")
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        core = package.read("docProps/core.xml").decode()
        app = package.read("docProps/app.xml").decode()
    assert "python-docx" not in core and "LawTrail" not in core
    assert "<Application>执法留痕 行政执法全过程记录系统</Application>" in app
    assert f"<Company>{agency}</Company>" in app
    pdf = RENDERER.render("decision", case, record).data
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()  # fmt: skip
    fields = {
        k.strip(): v.strip() for k, v in (ln.split(":", 1) for ln in info.splitlines() if ":" in ln)
    }
    assert fields["Title"] == "行政处罚决定书"
    assert fields["Author"] == agency
    assert fields["Subject"] == f"{case.case_number} {case.title}"
    assert fields["Creator"] == "执法留痕 行政执法全过程记录系统"
    assert fields["Producer"].startswith("执法留痕 行政执法全过程记录系统（WeasyPrint ")


# ----------------------------------------------------------------------------- the volume


def volume_of(case: Case, agency: str) -> CaseVolume:
    return RENDERER.volume(
        case,
        volume_number=VOLUME_NUMBERS[agency],
        archivist=ARCHIVISTS[agency],
        retention="永久",
        archived_at=ARCHIVED_AT[agency],
    )


@pytest.fixture(scope="module")
def volumes(cases: dict[str, Case]) -> dict[str, tuple[Case, CaseVolume]]:
    result = {}
    for agency, case in cases.items():
        # An access log entry and a withdrawn record do not belong in the volume.
        withdrawn = Record(
            "x1", "performance", at(2026, 5, 1, 9, 0), fields={"details": "误录的履行记录"}
        )
        void = Record(
            "x2",
            "void",
            at(2026, 5, 1, 10, 0),
            fields={"target": "x1", "reason": "录入错误"},
        )
        access = Record(
            "x3", "access", at(2026, 5, 2, 9, 0), fields={"viewer": "督查员", "action": "view"}
        )
        full = add(case, withdrawn, void, access)
        result[agency] = (full, volume_of(full, agency))
    return result


@pytest.mark.parametrize("agency", list(CASES))
def test_the_catalog_numbers_the_pages_of_the_volume(
    volumes: dict[str, tuple[Case, CaseVolume]], agency: str
) -> None:
    case, volume = volumes[agency]
    catalog = volume.catalog
    assert volume.pages == pdf_pages(volume.pdf)
    records = [r for r in case.effective_records() if r.kind not in ("access", "void", "case_file")]
    # These agencies keep a 副卷: internal deliberation is filed there, the rest in the 正卷.
    assert volume.part == "正卷" and volume.secondary is not None
    main = [r.id for r in records if r.kind not in SECONDARY_KINDS]
    assert [e.record_id for e in catalog] == main
    assert [e.record_id for e in volume.secondary.catalog] == [
        r.id for r in records if r.kind in SECONDARY_KINDS
    ]
    assert "x1" not in {e.record_id for e in catalog}
    assert [e.number for e in catalog] == list(range(1, len(main) + 1))
    # 页号 run from the first document (page 1) to the last; cover and catalog come before
    # them unnumbered, the 备考表 after them, unnumbered too.
    assert catalog[0].first_page == 1
    for entry, following in itertools.pairwise(catalog):
        assert entry.first_page <= entry.last_page
        assert following.first_page == entry.last_page + 1
    assert catalog[-1].last_page == volume.numbered_pages
    front = volume.front_pages
    assert front + volume.numbered_pages < volume.pages
    assert "卷内备考表" in pdf_text(volume.pdf, front + catalog[-1].last_page + 1)
    assert "行政执法案卷" in pdf_text(volume.pdf, 1)
    assert "卷内目录" in pdf_text(volume.pdf, 2)
    for entry in catalog:
        page = pdf_text(volume.pdf, front + entry.first_page)
        assert squeeze(entry.title) in page, (entry.number, entry.title)
        assert squeeze(entry.document_number) in page
        # The archivist's page number at the top of the page, and no page number of the
        # document's own ("— 1 —") in its footer.
        assert re.match(rf"{entry.first_page}(?!\d)", page)
        assert "—1—" not in page
        assert entry.responsible == AGENCY_NAMES[agency]
    for unnumbered in (
        *range(1, front + 1),
        *range(front + volume.numbered_pages + 1, volume.pages + 1),
    ):
        page = pdf_text(volume.pdf, unnumbered)
        # No page number standing on its own line at the top (the text itself may begin with a
        # date: the 备考表's account of a voided record).
        lines = (
            subprocess.run(
                ["pdftotext", "-layout", "-f", str(unnumbered), "-l", str(unnumbered), "-", "-"],
                input=volume.pdf,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\n")
        )
        first = next((line.strip() for line in lines if line.strip()), "")
        assert not re.fullmatch(r"\d+", first), (unnumbered, first)
        assert not re.search(r"—\d+—", page), unnumbered


@pytest.mark.parametrize("agency", list(CASES))
def test_the_volume_holds_every_document_and_accounts_for_its_media(
    volumes: dict[str, tuple[Case, CaseVolume]], agency: str
) -> None:
    case, volume = volumes[agency]
    text = pdf_text(volume.pdf)
    assert text.count(squeeze(AGENCY_NAMES[agency])) >= len(volume.catalog)
    for entry in volume.catalog:
        assert squeeze(entry.title) in text
    assert "误录的履行记录" not in text
    assert "督查员" not in text
    cover = pdf_text(volume.pdf, 1)
    assert f"{len(volume.catalog)}件共{volume.numbered_pages}页" in cover
    assert "永久" in cover
    assert VOLUME_NUMBERS[agency] in cover
    remarks = pdf_text(
        volume.pdf, volume.front_pages + volume.numbered_pages + 1, last=volume.pages
    )
    assert f"共有文件{len(volume.catalog)}件，共{volume.numbered_pages}页" in remarks
    assert f"立卷人：{ARCHIVISTS[agency]}" in remarks
    assert "检查人：" in remarks
    assert f"立卷时间：{cn(ARCHIVED_AT[agency])}" in remarks
    # The voided record is accounted for in the 备考表.
    assert "已于2026年5月1日作废，理由：录入错误" in remarks
    media: list[Media] = [
        m for r in case.effective_records() if r.kind not in SECONDARY_KINDS for m in r.media
    ]
    for item in media:
        # The digest wraps in its narrow column: its head is on one line.
        assert item.sha256[:16] in remarks

    # The same volume's 备考表 as a DOCX lists every digest whole, and its 卷内目录 the pages.
    remarks_docx = docx_text(
        RENDERER.render("case_remarks", case, volume=volume, format="docx").data
    )
    for item in media:
        assert item.sha256 in remarks_docx
    catalog_docx = docx_text(
        RENDERER.render("case_catalog", case, volume=volume, format="docx").data
    )
    for entry in volume.catalog:
        pages = (
            f"{entry.first_page}-{entry.last_page}"
            if entry.last_page > entry.first_page
            else str(entry.first_page)
        )
        assert f"{entry.title}{entry.date:%Y%m%d}{pages}" in catalog_docx


def test_a_volume_is_reproducible(volumes: dict[str, tuple[Case, CaseVolume]]) -> None:
    case, volume = volumes["benxi-hrss"]
    again = DocumentRenderer().volume(
        case,
        volume_number=VOLUME_NUMBERS["benxi-hrss"],
        archivist=ARCHIVISTS["benxi-hrss"],
        retention="永久",
        archived_at=ARCHIVED_AT["benxi-hrss"],
    )
    assert again.pdf == volume.pdf
    assert again.catalog == volume.catalog


def test_a_standalone_catalog_leaves_the_page_numbers_blank(cases: dict[str, Case]) -> None:
    case = cases["tonghua-market"]
    document = DocxDocument(io.BytesIO(RENDERER.render("case_catalog", case, format="docx").data))
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0] == ["序号", "文号", "责任者", "题名", "日期", "页号", "备注"]
    # An internal record (the 程序启动审批表) carries no 文号 (issue #17).
    assert rows[1][:5] == [
        "1",
        "",
        "通化市市场监督管理局",
        "程序启动审批表",
        "20260303",
    ]
    assert all(row[5] == "" for row in rows[1:])
    # Filled from the case's own 案卷归档 record.
    assert "通市监档〔2026〕罚字第12号" in docx_text(
        RENDERER.render("case_cover", case, format="docx").data
    )


def test_a_naive_archiving_time_is_refused(cases: dict[str, Case]) -> None:
    with pytest.raises(DocumentError, match="立卷时间必须带时区"):
        RENDERER.volume(
            cases["benxi-hrss"],
            volume_number="1",
            archivist="周丽",
            retention="永久",
            archived_at=datetime(2026, 10, 20, 10, 0),
        )


# ----------------------------------------------------------------------------- agency templates


OVERRIDE_HTML = """{% extends "base.html" %}
{% block content %}<p>本局自定义决定书：{{ party.name }}，{{ f.amount }}</p>{% endblock %}
"""


def docx_with(text: str) -> bytes:
    document = DocxDocument()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_an_agency_template_replaces_the_default_for_that_agency_only(
    cases: dict[str, Case], tmp_path: Path
) -> None:
    (tmp_path / "tonghua-market").mkdir()
    (tmp_path / "tonghua-market" / "decision.html").write_text(OVERRIDE_HTML, encoding="utf-8")
    (tmp_path / "tonghua-market" / "decision.docx").write_bytes(
        docx_with("本局自定义决定书：{{ party.name }}，{{ document.number }}")
    )
    renderer = DocumentRenderer(override_dir=tmp_path)
    market, benxi = cases["tonghua-market"], cases["benxi-hrss"]

    own = pdf_text(renderer.render("decision", market, market.record("r13")).data)
    assert "本局自定义决定书：通化市鑫盛达商贸有限公司，人民币110,000.00元" in own
    assert "如不服本决定" not in own
    own_docx = docx_text(
        renderer.render("decision", market, market.record("r13"), format="docx").data
    )
    assert own_docx == "本局自定义决定书：通化市鑫盛达商贸有限公司，通市监罚〔2026〕12号"

    other = pdf_text(renderer.render("decision", benxi, benxi.record("dc1")).data)
    assert "本局自定义决定书" not in other
    assert "如不服本决定" in other
    other_docx = docx_text(
        renderer.render("decision", benxi, benxi.record("dc1"), format="docx").data
    )
    assert "本局自定义决定书" not in other_docx


def test_an_agency_template_comes_before_one_for_all_agencies(
    cases: dict[str, Case], tmp_path: Path
) -> None:
    (tmp_path / "benxi-hrss").mkdir()
    (tmp_path / "urge_notice.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>全市通用催告书</p>{% endblock %}',
        encoding="utf-8",
    )
    (tmp_path / "benxi-hrss" / "urge_notice.html").write_text(
        '{% extends "base.html" %}{% block content %}<p>本溪人社催告书</p>{% endblock %}',
        encoding="utf-8",
    )
    renderer = DocumentRenderer(override_dir=tmp_path)
    market, benxi = cases["tonghua-market"], cases["benxi-hrss"]
    assert "全市通用催告书" in pdf_text(
        renderer.render("urge_notice", market, market.record("r17")).data
    )
    assert "本溪人社催告书" in pdf_text(
        renderer.render("urge_notice", benxi, benxi.record("u1")).data
    )


def test_an_agency_base_layout_applies_to_all_its_documents(
    cases: dict[str, Case], tmp_path: Path
) -> None:
    base = (ROOT / "src/lawtrail/documents/templates/html/base.html").read_text(encoding="utf-8")
    (tmp_path / "benxi-hrss").mkdir()
    (tmp_path / "benxi-hrss" / "base.html").write_text(
        base.replace("<body>", "<body><p>本溪市人社局执法文书专用</p>"), encoding="utf-8"
    )
    renderer = DocumentRenderer(override_dir=tmp_path)
    benxi = cases["benxi-hrss"]
    for record_id in ("dc1", "sv1", "i1"):
        record = benxi.record(record_id)
        assert record is not None
        text = pdf_text(renderer.render(template_for(record.kind).id, benxi, record).data)
        assert "本溪市人社局执法文书专用" in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("decision.html", "{% if party.name %}未闭合", "语法错误"),
        ("decision.html", '{% extends "base.html" %}{% block content %}{{ f.no_such_field }}'
                          "{% endblock %}", "无法生成文书"),
        ("decision.docx", b"PK not a zip", "不是有效的 DOCX 文件"),
        ("decision.docx", docx_with("{{ party.name "), "语法错误"),
    ],
)  # fmt: skip
def test_a_broken_agency_template_is_named_in_the_error(
    cases: dict[str, Case], tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    (tmp_path / "tonghua-market").mkdir()
    path = tmp_path / "tonghua-market" / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    renderer = DocumentRenderer(override_dir=tmp_path)
    market = cases["tonghua-market"]
    fmt = name.rsplit(".", 1)[1] if name.endswith(".docx") else "pdf"
    with pytest.raises(DocumentError) as info:
        renderer.render("decision", market, market.record("r13"), format=fmt)
    assert str(path) in str(info.value)
    assert message in str(info.value)
    assert "文书模板文件" in str(info.value)


# ----------------------------------------------------------------------------- refusals


def test_an_unknown_template_is_refused(cases: dict[str, Case]) -> None:
    with pytest.raises(DocumentError, match="未知的文书模板“penalty_notice”"):
        RENDERER.render("penalty_notice", cases["tonghua-market"])


def test_a_record_of_another_kind_is_refused(cases: dict[str, Case]) -> None:
    market = cases["tonghua-market"]
    with pytest.raises(DocumentError) as info:
        RENDERER.render("decision", market, market.record("r14"))
    assert str(info.value) == (
        "记录 r14 是“送达”，不能用“行政执法决定书”模板生成文书（应使用“送达回证”）"
    )


def test_a_record_template_needs_a_record_and_a_case_template_takes_none(
    cases: dict[str, Case],
) -> None:
    market = cases["tonghua-market"]
    with pytest.raises(DocumentError, match="生成“送达回证”需要指定所依据的记录"):
        RENDERER.render("service", market)
    with pytest.raises(DocumentError, match="“卷内目录”是案卷级文书，不针对单条记录生成"):
        RENDERER.render("case_catalog", market, market.record("r01"))


def test_a_case_of_an_unknown_agency_is_refused(cases: dict[str, Case]) -> None:
    case = dataclasses.replace(cases["benxi-hrss"], agency="shenyang-tax")
    with pytest.raises(DocumentError, match="未知的执法机关“shenyang-tax”"):
        RENDERER.render("decision", case, case.record("dc1"))


def test_an_unknown_format_is_refused(cases: dict[str, Case]) -> None:
    market = cases["tonghua-market"]
    with pytest.raises(DocumentError, match="不支持的文书格式“odt”"):
        RENDERER.render("decision", market, market.record("r13"), format="odt")


def test_the_generic_sheet_renders_any_record_kind(cases: dict[str, Case]) -> None:
    market = cases["tonghua-market"]
    service = market.record("r14")
    pdf = RENDERER.render("record", market, service)
    assert pdf.filename == "r14-送达记录.pdf"
    text = pdf_text(pdf.data)
    assert "送达记录" in text
    assert "当事人经营场所收银台" in text
    text = docx_text(RENDERER.render("record", market, service, format="docx").data)
    assert "留置地点（受送达人住所）吉林省通化市东昌区新华大街218号当事人经营场所收银台" in text


# ----------------------------------------------------------------------------- the DOCX files


def test_committed_docx_templates_are_what_the_generator_makes() -> None:
    """The .docx files in the package are generated: `python -m lawtrail.tools.docx_templates`
    rewrites them; this fails when one was edited by hand or the generator changed."""
    built = build_all()
    assert set(built) == set(TEMPLATES)
    for template_id, data in built.items():
        committed = DOCX_DIR / f"{template_id}.docx"
        assert committed.read_bytes() == data, f"{committed} 已过期，请重新生成"
