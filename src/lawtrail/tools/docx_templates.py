"""Write (or, with --check, verify) the default DOCX templates of lawtrail.documents.

python -m lawtrail.tools.docx_templates          # rewrite templates/docx/*.docx
python -m lawtrail.tools.docx_templates --check  # exit 1 if a committed file is stale

A .docx is a ZIP of XML: it cannot be reviewed in a diff, so the files are made here, with
python-docx, and hold docxtpl's Jinja tags (``{{ … }}``, ``{%p … %}`` for a paragraph,
``{%tr … %}`` for a table row). They see the same context as the HTML templates (see
lawtrail.documents.context). The output is byte-for-byte reproducible: fixed core properties
and ZIP times. An agency that wants its own layout edits a copy in Word or WPS and puts it in
its override directory; Word must keep each tag within one run (type it in one go).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Mm, Pt

from lawtrail.core.timeutil import SHANGHAI
from lawtrail.documents.form import (
    BODY_SIZE_PT,
    DEFAULT_BODY_FONTS,
    DEFAULT_HEADING_FONTS,
    DEFAULT_TITLE_FONTS,
    TITLE_SIZE_PT,
)
from lawtrail.documents.registry import TEMPLATES
from lawtrail.documents.render import DOCX_DIR, fix_zip_times

# Fixed, so that regenerating gives the committed bytes.
TEMPLATE_TIME = datetime(2026, 1, 1, tzinfo=SHANGHAI)

# The fonts of GB/T 9704-2012 §7.3 (documents/form.py): Word on a Chinese Windows and WPS have
# them; LibreOffice maps them to an installed CJK face. A deployment that names other fonts in its
# settings gets them substituted when a document is rendered (render.py _docx_fonts).
BODY_FONT = DEFAULT_BODY_FONTS[0]  # 仿宋_GB2312
TITLE_FONT = DEFAULT_TITLE_FONTS[0]  # 方正小标宋简体
HEADING_FONT = DEFAULT_HEADING_FONTS[0]  # 黑体
BODY_SIZE = BODY_SIZE_PT  # 3号
TITLE_SIZE = TITLE_SIZE_PT  # 2号
LATIN_FONT = "Times New Roman"
CONTENT_WIDTH = Cm(21 - 2.8 - 2.6)  # A4 less the GB/T 9704 margins
LABEL_WIDTH = Cm(3.4)
VALUE_WIDTH = Length(CONTENT_WIDTH - LABEL_WIDTH)

Doc = Any  # python-docx's Document object


# ----------------------------------------------------------------------------- building blocks


def _fonts(element: Any, east_asia: str = BODY_FONT) -> None:
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _field(instruction: str) -> Any:
    """A simple Word field (PAGE, NUMPAGES) showing "1" until Word or LibreOffice updates it."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    return field


def new_document(*, cover: bool = False) -> Doc:
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.footer_distance = Cm(2.2)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE)
    _fonts(normal.element)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.3
    # The page number "— 1 —" in the footer; none on a cover (GB/T 9705-2008). A 笔录 has
    # instead, on every page, its signature lines and 第 页 共 页 (layout.transcript).
    if cover:
        section.different_first_page_header_footer = True
    footer = section.footer.paragraphs[0]
    footer.text = "{%p if layout.transcript %}"
    lines = section.footer.add_paragraph()
    lines.add_run(
        "{% for line in layout.sign_lines %}{{ line.label }}（签名）：＿＿＿＿　{% endfor %}"
    ).font.size = Pt(10.5)
    pages = section.footer.add_paragraph()
    pages.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pages.add_run("第 ").font.size = Pt(10.5)
    pages._p.append(_field("PAGE"))
    pages.add_run(" 页　共 ").font.size = Pt(10.5)
    pages._p.append(_field("NUMPAGES"))
    pages.add_run(" 页").font.size = Pt(10.5)
    section.footer.add_paragraph("{%p else %}")
    number = section.footer.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number.add_run("— ").font.size = Pt(14)
    number._p.append(_field("PAGE"))
    number.add_run(" —").font.size = Pt(14)
    section.footer.add_paragraph("{%p endif %}")
    props = doc.core_properties
    props.title = "{{ document.title }}"
    props.author = "{{ agency.name }}"
    props.created = props.modified = TEMPLATE_TIME.replace(tzinfo=None)
    props.last_modified_by = "LawTrail"
    props.revision = 1
    return doc


def para(
    doc: Doc,
    text: str = "",
    *,
    size: float = BODY_SIZE,
    bold: bool = False,
    align: str = "left",
    indent: bool = False,
    before: float = 0,
    after: float = 0,
    spacing: float | None = None,
    left: Length | None = None,
    font: str | None = None,
) -> Any:
    paragraph = doc.add_paragraph()
    paragraph.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }[align]
    fmt = paragraph.paragraph_format
    fmt.space_before, fmt.space_after = Pt(before), Pt(after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if spacing is not None:
        fmt.line_spacing = spacing
    if left is not None:
        fmt.left_indent = left
    if text:
        run = paragraph.add_run(text)
        run.font.size = Pt(size)
        run.bold = bold
        if font is not None:
            _fonts(run._r, font)
    return paragraph


def tag(doc: Doc, text: str) -> None:
    """A paragraph holding only a docxtpl paragraph tag ({%p if … %}): it vanishes."""
    doc.add_paragraph(text)


def header(doc: Doc, *, number: bool = True) -> None:
    para(doc, "{{ agency.name }}", size=16, align="center", font=TITLE_FONT)
    para(doc, "{{ document.title }}", size=TITLE_SIZE, align="center", after=4, font=TITLE_FONT)
    if number:
        # Only a document the agency issues carries a 文号; internal records carry none.
        para(
            doc,
            "{% if document.number %}{% if not document.issued %}编号：{% endif %}"
            "{{ document.number }}{% endif %}",
            align="right",
            after=8,
        )


def heading(doc: Doc, text: str) -> None:
    # Kept with what follows (a signature or media table never starts a page without its
    # heading, as in the PDF's keep-together rules).
    paragraph = para(doc, text, size=BODY_SIZE, before=8, after=3, font=HEADING_FONT)
    paragraph.paragraph_format.keep_with_next = True


def _cell(cell: Any, text: str, *, size: float, bold: bool = False, center: bool = False) -> None:
    paragraph = cell.paragraphs[0]
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = bold


def _table(doc: Doc, columns: int, widths: Sequence[Length]) -> Any:
    table = doc.add_table(rows=0, cols=columns)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    return table


def _row(table: Any, texts: Sequence[str], widths: Sequence[Length], **style: Any) -> None:
    cells = table.add_row().cells
    for cell, text, width in zip(cells, texts, widths, strict=True):
        cell.width = width
        _cell(cell, text, **style)


def form(doc: Doc, rows: Sequence[tuple[str, str]], *, size: float = 12) -> None:
    """A two-column form: labels on the left, values on the right."""
    widths = (LABEL_WIDTH, VALUE_WIDTH)
    table = _table(doc, 2, widths)
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = widths
        _cell(cells[0], label, size=size, center=True)
        _cell(cells[1], value, size=size)


def loop_table(
    doc: Doc,
    headers: Sequence[str],
    fractions: Sequence[float],
    loops: Sequence[tuple[str, Sequence[str]]],
    *,
    size: float = 10.5,
) -> None:
    """A table with a header row and, for each loop, one row repeated by {%tr for %}."""
    widths = [Length(int(CONTENT_WIDTH * f)) for f in fractions]
    table = _table(doc, len(headers), widths)
    _row(table, headers, widths, size=size, bold=True, center=True)
    blank = [""] * (len(headers) - 1)
    for loop, cells in loops:
        _row(table, [f"{{%tr for {loop} %}}", *blank], widths, size=size)
        _row(table, cells, widths, size=size)
        _row(table, ["{%tr endfor %}", *blank], widths, size=size)


PARTY_NAMES = "{% for p in parties %}{{ p.name }}{% if not loop.last %}、{% endif %}{% endfor %}"


def officer_list() -> str:
    return (
        "{% for o in officers %}{{ o.name }}（执法证件编号：{{ o.certificate_number or '无' }}，"
        "{{ o.certificate_shown }}）{% if not loop.last %}、{% endif %}{% endfor %}"
    )


def other_fields(doc: Doc) -> None:
    tag(doc, "{%p if record.other_fields %}")
    heading(doc, "其他记载事项")
    widths = [LABEL_WIDTH, VALUE_WIDTH]
    table = _table(doc, 2, widths)
    _row(table, ["{%tr for i in record.other_fields %}", ""], widths, size=12)
    _row(table, ["{{ i.label }}", "{{ i.value }}"], widths, size=12)
    _row(table, ["{%tr endfor %}", ""], widths, size=12)
    tag(doc, "{%p endif %}")


def signatures(doc: Doc) -> None:
    """Signatures as made: the screen signature's picture and time, else a blank cell to sign
    by hand and 年 月 日 to date by hand (as the PDF, templates/html/macros.html)."""
    tag(doc, "{%p if signatures or refusals %}")
    heading(doc, "签名")
    loop_table(
        doc,
        ("签名人", "身份", "签名", "签名时间"),
        (0.20, 0.22, 0.30, 0.28),
        (
            (
                "s in signatures",
                (
                    "{{ s.name }}",
                    "{{ s.role }}{% if s.method != '手写签名' %}（{{ s.method }}）{% endif %}",
                    "{{ s.image }}",
                    "{% if s.has_image and s.at %}{{ s.at }}"
                    "{% else %}　　年　　月　　日{% endif %}",
                ),
            ),
            (
                "r in refusals",
                (
                    "{{ r.name }}",
                    "{{ r.role }}",
                    "拒绝签名。拒绝理由：{{ r.reason }}",
                    "{{ r.at }}",
                ),
            ),
        ),
    )
    tag(doc, "{%p endif %}")


def media(doc: Doc, source: str = "media") -> None:
    tag(doc, f"{{%p if {source} %}}")
    heading(doc, "音像记录")
    loop_table(
        doc,
        ("类型", "文件名", "拍摄时间", "SHA-256 校验值"),
        (0.08, 0.31, 0.25, 0.36),
        (
            (
                f"x in {source}",
                ("{{ x.type }}", "{{ x.filename }}", "{{ x.captured }}", "{{ x.sha256 }}"),
            ),
        ),
        size=9,
    )
    tag(doc, "{%p endif %}")


def notes(doc: Doc) -> None:
    tag(doc, "{%p if record.correction %}")
    para(doc, "{{ record.correction }}", size=10.5, before=6)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if record.av_exemption %}")
    para(doc, "{{ record.av_exemption }}", size=10.5)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if record.note %}")
    para(doc, "备注：{{ record.note }}", size=10.5)
    tag(doc, "{%p endif %}")


def acknowledgment(doc: Doc) -> None:
    tag(doc, "{%p if record.acknowledgment %}")
    para(doc, "{{ record.acknowledgment }}", size=BODY_SIZE, indent=True, before=6)
    tag(doc, "{%p endif %}")


def tail(doc: Doc) -> None:
    other_fields(doc)
    acknowledgment(doc)
    signatures(doc)
    media(doc)
    notes(doc)


def seal(doc: Doc) -> None:
    left = Cm(8.5)
    para(doc, "{{ agency.name }}", size=BODY_SIZE, align="center", before=24, left=left)
    # The agency's seal picture where configured (documents/form.py), else the place for one.
    para(
        doc,
        "{% if document.seal %}{{ document.seal }}{% else %}（印章）{% endif %}",
        size=BODY_SIZE,
        align="center",
        left=left,
    )
    para(doc, "{{ document.date }}", size=BODY_SIZE, align="center", left=left)


def letter(doc: Doc, text: str) -> None:
    para(doc, text, size=BODY_SIZE, indent=True, align="justify", spacing=1.5)


def line(doc: Doc, text: str) -> None:
    para(doc, text, after=3)


# ----------------------------------------------------------------------------- the templates


def initiation_approval() -> Doc:
    doc = new_document()
    header(doc)
    form(
        doc,
        (
            ("案件名称", "{{ case.title }}"),
            ("案号", "{{ case.number }}"),
            ("执法类别", "{{ case.acts }}（{{ case.procedure }}）"),
            ("案件来源", "{{ f.case_source or case.origin }}"),
            ("当事人", "{{ party.name }}"),
            ("{{ party.id_label or '证件号码' }}", "{{ party.id_number }}"),
            ("住所", "{{ party.address }}"),
            ("联系方式", "{{ party.contact }}"),
            ("当事人基本情况", "{{ f.party_info }}"),
            ("启动原因", "{{ f.reason }}"),
            ("基本案情", "{{ f.case_summary }}"),
            ("承办人意见", "{{ f.handler_opinion }}"),
            ("承办机构意见", "{{ f.unit_opinion }}"),
            ("法制机构合法性审查意见", "{{ f.legality_review_opinion }}"),
            (
                "行政机关负责人意见",
                "{{ f.head_opinion }}\n批准负责人：{{ f.head }}　　是否批准：{{ f.approved }}"
                "　　日期：{{ record.date }}",
            ),
        ),
    )
    tail(doc)
    return doc


def _party_lines(doc: Doc) -> None:
    line(
        doc, "当事人：{{ party.name }}　　{{ party.id_label or '证件号码' }}：{{ party.id_number }}"
    )
    line(doc, "住所：{{ party.address }}　　联系方式：{{ party.contact }}")


def inquiry_record() -> Doc:
    doc = new_document()
    header(doc)
    line(doc, "时间：{{ record.period }}")
    line(doc, "地点：{{ f.location }}")
    line(doc, "询问人：" + officer_list())
    line(doc, "被询问人：{{ f.interviewee }}　　身份：{{ f.interviewee_role }}")
    _party_lines(doc)
    line(doc, "案由：{{ case.title }}（案号：{{ case.number }}）")
    line(
        doc,
        "告知事项：告知被询问人依法享有{{ f.rights_notified or '（未记载）' }}的权利；"
        "告知方式：{{ f.rights_notice_method or '（未记载）' }}。",
    )
    heading(doc, "询问内容")
    para(doc, "{{ record.transcript }}")
    tail(doc)
    return doc


def site_inspection() -> Doc:
    doc = new_document()
    header(doc)
    line(doc, "检查时间：{{ record.period }}")
    line(doc, "检查地点：{{ f.location }}")
    line(doc, "检查人员：" + officer_list())
    _party_lines(doc)
    line(doc, "案由：{{ case.title }}（案号：{{ case.number }}）")
    line(doc, "在场人员：{{ f.present_persons }}")
    heading(doc, "检查（勘验）情况")
    para(doc, "{{ f.findings }}", indent=True, align="justify")
    tail(doc)
    return doc


def rights_notice() -> Doc:
    """行政处罚告知书 / 权利告知书: see templates/html/rights_notice.html."""
    doc = new_document()
    header(doc)
    para(doc, "{{ party.name }}：", size=14, spacing=1.5)
    case_name = (
        "{% if case.title %}{{ case.title }}{% else %}{{ wording.you }}的案件{% endif %}"
        "（案号：{{ case.number }}）"
    )
    tag(doc, "{%p if penalty and penalty.content %}")
    letter(
        doc,
        "{{ wording.self }}在办理" + case_name + "过程中，{% if penalty.facts %}经调查，"
        "拟认定以下事实：{{ penalty.facts|sentence }}{% else %}拟对{{ wording.you }}作出行政处罚。"
        "{% endif %}",
    )
    tag(doc, "{%p if penalty.reasons %}")
    letter(doc, "{{ wording.self }}认为：{{ penalty.reasons|sentence }}")
    tag(doc, "{%p endif %}")
    letter(
        doc,
        "{% if penalty.legal_basis %}依据{{ penalty.legal_basis }}的规定，{% endif %}"
        "{{ wording.self }}拟对{{ wording.you }}作出如下行政处罚：{{ penalty.content|sentence }}",
    )
    letter(
        doc,
        "依据《中华人民共和国行政处罚法》第四十四条的规定，现告知{{ wording.you }}享有下列权利：",
    )
    tag(doc, "{%p else %}")
    letter(
        doc,
        "{{ wording.self }}在办理" + case_name + "过程中，依法告知{{ wording.you }}享有下列权利：",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for r in rights %}")
    letter(doc, "{{ r.ordinal }}、{{ r.name }}。{{ r.text }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if penalty and penalty.content %}")
    letter(
        doc,
        "{{ wording.you }}可以向{{ wording.self }}提出陈述、申辩，{{ wording.self }}在作出行政处罚"
        "决定前将充分听取{{ wording.you }}的意见，对{{ wording.you }}提出的事实、理由和证据进行"
        "复核，不因{{ wording.you }}陈述、申辩而给予更重的处罚（第四十五条、第六十二条）。",
    )
    tag(doc, "{%p if penalty.hearing %}")
    letter(
        doc,
        "{{ wording.you }}要求听证的，应当在{{ wording.self }}告知后五日内提出；逾期未提出的，"
        "视为放弃听证权利（第六十三条、第六十四条第（一）项）。",
    )
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    letter(doc, "告知方式：{{ f.method }}。")
    seal(doc)
    tail(doc)
    return doc


def statement_defense() -> Doc:
    doc = new_document()
    header(doc)
    form(
        doc,
        (
            ("案件名称", "{{ case.title }}"),
            ("案号", "{{ case.number }}"),
            ("时间", "{{ record.period }}"),
            ("陈述申辩人", "{{ party.name }}"),
            ("执法人员", officer_list()),
            ("陈述申辩针对", "{{ f.concerns }}"),
            (
                "放弃陈述申辩",
                "{{ f.waived }}{% if f.waiver_form %}（{{ f.waiver_form }}）{% endif %}",
            ),
            ("陈述申辩的事实、理由和证据", "{{ f.content }}"),
            ("复核及处理意见", "{{ f.review_opinion }}"),
            ("是否采纳", "{{ f.adopted }}"),
            ("采纳或不采纳的理由", "{{ f.adoption_reason }}"),
        ),
    )
    tail(doc)
    return doc


def hearing() -> Doc:
    doc = new_document()
    header(doc)
    line(doc, "案由：{{ case.title }}（案号：{{ case.number }}）")
    line(doc, "听证时间：{{ record.period }}")
    line(doc, "听证通知书（公告）编号：{{ f.notice_number }}")
    line(doc, "听证通知送达时间：{{ f.notice_served_at }}")
    line(doc, "听证主持人：{{ f.presiding_officer }}")
    line(doc, "案件调查人员：" + officer_list())
    _party_lines(doc)
    heading(doc, "听证记录")
    para(doc, "{{ record.transcript }}")
    tail(doc)
    return doc


def legal_review() -> Doc:
    doc = new_document()
    header(doc)
    form(
        doc,
        (
            ("案件名称", "{{ case.title }}"),
            ("案号", "{{ case.number }}"),
            ("执法类别", "{{ case.acts }}（{{ case.procedure }}）"),
            ("当事人", "{{ party.name }}"),
            ("法制审核人员", "{{ f.reviewer }}"),
            ("审核载体", "{{ f.form }}"),
            ("是否重大执法决定", "{{ case.major }}"),
        ),
    )
    heading(doc, "审核意见")
    letter(doc, "{{ f.opinion|sentence }}")
    heading(doc, "审核建议")
    letter(doc, "{{ (f.suggestions or '无')|sentence }}")
    seal(doc)
    tail(doc)
    return doc


def decision() -> Doc:
    """行政处罚法 (2021) 第五十九条 (第五十二条 for 当场处罚): see templates/html/decision.html."""
    doc = new_document()
    header(doc)
    para(doc, "当事人：{{ party.name }}", size=14, spacing=1.5)
    for label, value in (
        ("{{ party.id_label }}", "party.id_number"),
        ("{{ party.address_label }}", "party.address"),
        ("法定代表人（负责人）", "party.legal_representative"),
        ("联系方式", "party.contact"),
    ):
        tag(doc, f"{{%p if {value} %}}")
        para(doc, f"{label}：{{{{ {value} }}}}", size=14, spacing=1.5)
        tag(doc, "{%p endif %}")
    tag(doc, "{%p if decision.simplified %}")
    letter(
        doc,
        "{{ wording.self }}执法人员{{ decision.simplified_account }}于{{ record.at }}"
        "{% if decision.place %}在{{ decision.place }}{% endif %}，当场查明{{ wording.you }}"
        "存在下列违法行为：{{ f.facts|sentence }}",
    )
    tag(doc, "{%p else %}")
    letter(
        doc,
        "{{ wording.self }}于{{ case.opened }}对{% if case.title %}{{ case.title }}"
        "{% else %}{{ wording.you }}的案件{% endif %}（案号：{{ case.number }}）依法立案，"
        "并进行了调查。",
    )
    tag(doc, "{%p for line in ('经查明：' ~ f.facts)|sentence|lines if f.facts %}")
    letter(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if decision.evidence %}")
    letter(doc, "上述事实，有下列证据证明：")
    tag(doc, "{%p for e in decision.evidence %}")
    letter(doc, "{{ loop.index }}. {{ e|sentence }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for line in decision.notice_account %}")
    letter(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for line in (wording.self ~ '认为：' ~ f.reasons)|sentence|lines if f.reasons %}")
    letter(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    letter(
        doc,
        "{% if f.legal_basis %}依据{{ f.legal_basis }}的规定，{% endif %}"
        "{{ wording.self }}决定如下：",
    )
    tag(doc, "{%p for line in penalty.content|clauses|sentence|lines %}")
    letter(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if f.rectification_ordered == '是' and f.rectification_deadline %}")
    letter(doc, "责令{{ wording.you }}于{{ f.rectification_deadline }}前改正。")
    tag(doc, "{%p endif %}")
    for value in ("decision.payment", "decision.late_penalty"):
        tag(doc, f"{{%p if {value} %}}")
        letter(doc, f"{{{{ {value} }}}}")
        tag(doc, "{%p endif %}")
    tag(doc, "{%p if f.performance_deadline and not decision.payment %}")
    letter(doc, "请于{{ f.performance_deadline }}前履行本决定。")
    tag(doc, "{%p endif %}")
    letter(doc, "{{ decision.remedies }}")
    tag(doc, "{%p if decision.not_suspended %}")
    letter(doc, "{{ decision.not_suspended }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if decision.simplified %}")
    letter(doc, "执法人员：{{ decision.simplified_account }}")
    tag(doc, "{%p endif %}")
    seal(doc)
    tail(doc)
    return doc


def notice() -> Doc:
    """The issued forms without a layout of their own (lawtrail.documents.forms)."""
    doc = new_document()
    header(doc)
    tag(doc, "{%p if form.addressee %}")
    para(doc, "{{ form.addressee }}：", size=14, spacing=1.5)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for p in form.paragraphs %}")
    letter(doc, "{{ p }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for x in form.lists %}")
    heading(doc, "{{ x.title }}")
    tag(doc, "{%p for item in x.entries %}")
    line(doc, "{{ item }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if form.approval %}")
    para(doc, "{{ form.approval }}", size=10.5, before=6)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if document.issued %}")
    seal(doc)
    tag(doc, "{%p endif %}")
    tail(doc)
    return doc


def service() -> Doc:
    doc = new_document()
    header(doc)
    signed = "{{ s.name }}（{{ s.role }}，{{ s.method }}，{{ s.at }}）{{ s.image }}"
    form(
        doc,
        (
            ("案件名称", "{{ case.title }}（案号：{{ case.number }}）"),
            ("送达文书名称及文号", "{{ service.document }}"),
            ("受送达人", "{{ f.recipient or party.name }}"),
            ("送达时间", "{{ service.time }}"),
            ("送达地点", "{{ service.place }}"),
            ("送达方式", "{{ f.method }}"),
            (
                "收件人签名（盖章）",
                "{% for s in service.receivers %}" + signed + "\n{% endfor %}"
                "{% for r in service.refusals %}{{ r.role }}{{ r.name }}拒绝签名"
                "{% if r.at %}（{{ r.at }}）{% endif %}，拒绝理由：{{ r.reason }}\n{% endfor %}",
            ),
            ("送达人", "{% for s in service.servers %}" + signed + "\n{% endfor %}"),
            ("见证人及其他签名人", "{% for s in service.others %}" + signed + "\n{% endfor %}"),
            (
                "备注",
                "{% for i in record.other_fields %}{{ i.label }}：{{ i.value }}\n{% endfor %}"
                "{% if record.correction %}{{ record.correction }}\n{% endif %}"
                "{% if record.av_exemption %}{{ record.av_exemption }}\n{% endif %}"
                "{{ record.note }}",
            ),
        ),
    )
    media(doc)
    return doc


def urge_notice() -> Doc:
    doc = new_document()
    header(doc)
    para(doc, "{{ party.name }}：", size=14, spacing=1.5)
    tag(doc, "{%p for line in f.content|sentence|lines %}")
    letter(doc, "{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if f.performance_deadline %}")
    letter(doc, "履行期限：请于{{ f.performance_deadline }}前履行上述义务。")
    tag(doc, "{%p endif %}")
    # 行政强制法第三十五条: the 催告书 states the party's right of statement and defence.
    letter(doc, "{{ wording.you }}收到本催告书后有权进行陈述和申辩。")
    seal(doc)
    tail(doc)
    return doc


def record() -> Doc:
    doc = new_document()
    header(doc)
    widths = (LABEL_WIDTH, VALUE_WIDTH)
    table = _table(doc, 2, widths)
    for label, value in (
        ("案件名称", "{{ case.title }}"),
        ("案号", "{{ case.number }}"),
        ("当事人", "{{ party.name }}"),
        ("时间", "{{ record.period }}"),
        ("执法人员", officer_list()),
    ):
        _row(table, [label, value], widths, size=12)
    _row(table, ["{%tr for i in record.field_list %}", ""], widths, size=12)
    _row(table, ["{{ i.label }}", "{{ i.value }}"], widths, size=12)
    _row(table, ["{%tr endfor %}", ""], widths, size=12)
    tag(doc, "{%p if document.issued %}")
    seal(doc)
    tag(doc, "{%p endif %}")
    signatures(doc)
    media(doc)
    notes(doc)
    return doc


def case_cover() -> Doc:
    """The 案卷封面 (as templates/html/case_cover.html): 全宗号, 目录号, 案卷号 and 档号, the
    decision's 文号, 立案/结案日期, 承办单位/人, 处理结果, 保管期限; no page number."""
    doc = new_document(cover=True)
    para(doc, "全宗号：{{ volume.fonds }}　　目录号：{{ volume.catalog_number }}", size=12,
         align="right")  # fmt: skip
    para(doc, "{{ agency.name }}", size=18, align="center", before=18, font=TITLE_FONT)
    para(doc, "{{ document.title }}", size=26, align="center", before=12, font=TITLE_FONT)
    para(
        doc,
        "{% if volume.part %}（{{ volume.part }}）{% endif %}",
        size=BODY_SIZE,
        align="center",
        after=18,
    )
    form(
        doc,
        (
            ("案卷题名", "{{ case.title }}"),
            ("案卷号", "{{ volume.number }}"),
            ("档号", "{{ volume.reference }}"),
            ("案号", "{{ case.number }}"),
            ("决定书文号", "{{ volume.decision_number }}"),
            ("当事人", PARTY_NAMES),
            ("执法类别", "{{ case.acts }}（{{ case.procedure }}）"),
            ("立案日期", "{{ volume.opened }}"),
            ("结案日期", "{{ volume.closed }}"),
            ("承办单位", "{{ volume.unit }}"),
            ("承办人", "{{ volume.handlers }}"),
            ("处理结果", "{{ volume.result }}"),
            ("卷内文件", "{{ volume.documents }}件　　共{{ volume.pages or '　　' }}页"),
            ("保管期限", "{{ volume.retention }}"),
            ("立卷人", "{{ volume.archivist }}"),
            ("立卷日期", "{{ volume.archived }}"),
        ),
        size=12,
    )
    return doc


def case_catalog() -> Doc:
    doc = new_document()
    para(doc, "{{ document.title }}", size=22, bold=True, align="center", after=6)
    para(
        doc,
        "案卷号：{{ volume.number }}　　案号：{{ case.number }}",
        size=10.5,
    )
    para(doc, "立卷单位：{{ agency.name }}", size=10.5)
    para(doc, "当事人：" + PARTY_NAMES, size=10.5, after=4)
    loop_table(
        doc,
        ("序号", "文号", "责任者", "题名", "日期", "页号", "备注"),
        (0.06, 0.21, 0.17, 0.26, 0.12, 0.09, 0.09),
        (
            (
                "e in volume.entries",
                (
                    "{{ e.number }}",
                    "{{ e.document_number }}",
                    "{{ e.responsible }}",
                    "{{ e.title }}",
                    "{{ e.date }}",
                    "{{ e.pages }}",
                    "{{ e.remark }}",
                ),
            ),
        ),
        size=10,
    )
    return doc


def case_remarks() -> Doc:
    doc = new_document()
    para(doc, "{{ document.title }}", size=22, bold=True, align="center", after=4)
    para(doc, "案卷号：{{ volume.number }}　　案号：{{ case.number }}", align="right", after=8)
    heading(doc, "本卷情况说明")
    para(
        doc,
        "本卷为{{ agency.name }}办理的{{ case.title }}（案号：{{ case.number }}；当事人："
        + PARTY_NAMES
        + "）的行政执法案卷，"
        "共有文件{{ volume.documents }}件，共{{ volume.pages or '　　' }}页"
        "（自第一份文件起编页号，案卷封面、卷内目录和本备考表不编页号）。",
        indent=True,
        align="justify",
    )
    tag(doc, "{%p if volume.media %}")
    para(
        doc,
        "本案音像资料及照片共{{ volume.media|length }}件，按规定另行存储，"
        "以下列 SHA-256 校验值标识，原件存于本案归档包（BagIt）的 data/media/ 目录，"
        "可据以核对其完整性：",
        indent=True,
        align="justify",
    )
    loop_table(
        doc,
        ("序号", "类型", "文件名", "SHA-256 校验值及归档包位置"),
        (0.08, 0.09, 0.37, 0.46),
        (
            (
                "x in volume.media",
                (
                    "{{ loop.index }}",
                    "{{ x.type }}",
                    "{{ x.filename }}",
                    "{{ x.sha256 }} {{ x.package }}",
                ),
            ),
        ),
        size=9,
    )
    tag(doc, "{%p else %}")
    para(doc, "本案无音像资料。", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for c in volume.corrections %}")
    para(doc, "{{ c|sentence }}", indent=True, align="justify")
    tag(doc, "{%p endfor %}")
    left = Cm(9)
    para(doc, "立卷人：{{ volume.archivist or '＿＿＿＿＿＿' }}", before=36, left=left, spacing=2)
    para(doc, "检查人：{{ volume.checker or '＿＿＿＿＿＿' }}", left=left, spacing=2)
    para(doc, "立卷时间：{{ volume.archived or '＿＿＿＿＿＿' }}", left=left, spacing=2)
    return doc


BUILDERS: dict[str, Callable[[], Doc]] = {
    "initiation_approval": initiation_approval,
    "inquiry_record": inquiry_record,
    "site_inspection": site_inspection,
    "rights_notice": rights_notice,
    "statement_defense": statement_defense,
    "hearing": hearing,
    "legal_review": legal_review,
    "decision": decision,
    "service": service,
    "urge_notice": urge_notice,
    "record": record,
    "notice": notice,
    "case_cover": case_cover,
    "case_catalog": case_catalog,
    "case_remarks": case_remarks,
}


def build(template_id: str) -> bytes:
    """The bytes of one default template, the same on every run."""
    doc = BUILDERS[template_id]()
    out = BytesIO()
    doc.save(out)
    return fix_zip_times(out.getvalue(), TEMPLATE_TIME)


def build_all() -> dict[str, bytes]:
    missing = set(TEMPLATES) - set(BUILDERS)
    if missing:  # pragma: no cover - a template added to the registry without a layout
        raise SystemExit(f"没有 DOCX 模板的生成函数：{'、'.join(sorted(missing))}")
    return {template_id: build(template_id) for template_id in TEMPLATES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only verify, write nothing")
    parser.add_argument("--out", type=Path, default=DOCX_DIR, help="target directory")
    args = parser.parse_args(argv)
    stale = []
    for template_id, data in build_all().items():
        path = args.out / f"{template_id}.docx"
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in stale:
        print(("过期：" if args.check else "已生成：") + str(path))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
