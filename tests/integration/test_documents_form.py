"""The form of the 文书 and the 案卷 (issue #17, part B): the agency's PAdES signature, its seal,
a 笔录's signature lines on every page, GB/T 9704 typography, the volume in archival form with
scanned evidence taken in at its place, and DOCX files laid out as pages by LibreOffice.

Page images go to test-artifacts/documents/form/ and test-artifacts/documents/docx/ for a person
to look at. poppler-utils and LibreOffice (deps/apt.txt) are required: these tests fail, never
skip, without them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import subprocess
from pathlib import Path

import pytest
import weasyprint
from docx import Document as DocxDocument
from PIL import Image
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from lawtrail.core.model import Case, Media, Record, Signature
from lawtrail.documents import CaseVolume, DocumentError, DocumentRenderer
from lawtrail.documents.form import (
    SEALS_DIR,
    SealSource,
    Typography,
    demo_seal_png,
    installed_font_families,
    package_path,
    retention_label,
)
from lawtrail.documents.pades import PdfSigner, make_demo_credentials, outside_event_loop
from tests.integration.test_documents import (
    AGENCY_NAMES,
    at,
    benxi_case,
    market_case,
    pdf_pages,
    pdf_text,
    squeeze,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "documents"


def page_pngs(pdf: bytes, target: Path, *, resolution: int = 60) -> list[Path]:
    """Every page of a PDF as a PNG under test-artifacts/ (for a person to look at)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f"{target.name}-*.png"):
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", "-", str(target)], input=pdf, check=True
    )
    return sorted(target.parent.glob(f"{target.name}-*.png"))


def pdf_images(pdf: bytes) -> list[tuple[int, int, int]]:
    """(page, width, height) of every picture in a PDF (pdfimages -list)."""
    out = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    rows = []
    for line in out.splitlines()[2:]:
        cols = line.split()
        if cols and cols[2] in ("image", "smask") and cols[2] == "image":
            rows.append((int(cols[0]), int(cols[3]), int(cols[4])))
    return rows


# ----------------------------------------------------------------------------- PAdES


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("pdf-signing")
    ca = make_demo_credentials(directory, AGENCY_NAMES)
    return directory, ca


def validate(pdf: bytes, ca: Path) -> object:
    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca))])
    reader = PdfFileReader(io.BytesIO(pdf))
    assert len(reader.embedded_signatures) == 1
    return outside_event_loop(validate_pdf_signature, reader.embedded_signatures[0], context)


def test_an_issued_document_is_signed_by_the_agency_and_validates(
    credentials: tuple[Path, Path],
) -> None:
    directory, ca = credentials
    case = benxi_case()
    renderer = DocumentRenderer(seal=SealSource(), pdf_signer=PdfSigner(directory))
    decision = renderer.render("decision", case, case.record("dc1"))
    status = validate(decision.data, ca)
    assert status.intact and status.valid and status.trusted  # type: ignore[attr-defined]
    assert status.bottom_line  # type: ignore[attr-defined]
    assert status.coverage.name == "ENTIRE_FILE"  # type: ignore[attr-defined]
    signer = status.signing_cert.subject.human_friendly  # type: ignore[attr-defined]
    assert "本溪市人力资源和社会保障局" in signer
    # The signature is an incremental update: the rendering before it is the same bytes as an
    # unsigned rendering, so a re-rendering can still be compared with the issued file.
    plain = DocumentRenderer(seal=SealSource()).render("decision", case, case.record("dc1"))
    assert decision.data.startswith(plain.data)
    # A record that is not issued under the seal (a 笔录) is not signed.
    inquiry = renderer.render("inquiry_record", case, case.record("i1"))
    assert b"/ByteRange" not in inquiry.data


def test_a_modified_signed_document_is_detected(credentials: tuple[Path, Path]) -> None:
    directory, ca = credentials
    case = benxi_case()
    renderer = DocumentRenderer(pdf_signer=PdfSigner(directory))
    data = renderer.render("decision", case, case.record("dc1")).data
    # Change one byte of the signed content (inside the first revision's page stream).
    position = data.index(b"stream\n") + 40
    tampered = data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]
    status = validate(tampered, ca)
    assert not status.intact  # type: ignore[attr-defined]
    assert not status.bottom_line  # type: ignore[attr-defined]
    # And a signature that nobody trusts is not shown as trusted.
    other = make_demo_credentials(directory / "other", {"x": "另一机构"})
    untrusted = validate(data, other)
    assert untrusted.intact and not untrusted.trusted  # type: ignore[attr-defined]


def test_an_agency_without_a_certificate_issues_unsigned_pdfs(tmp_path: Path) -> None:
    case = benxi_case()
    renderer = DocumentRenderer(pdf_signer=PdfSigner(tmp_path))
    data = renderer.render("decision", case, case.record("dc1")).data
    assert b"/ByteRange" not in data
    assert data == DocumentRenderer().render("decision", case, case.record("dc1")).data


# ----------------------------------------------------------------------------- the seal


def test_the_agency_seal_is_printed_over_the_date_of_an_issued_document() -> None:
    case = market_case()
    record = next(r for r in case.records if r.kind == "decision")
    seal = SealSource()("tonghua-market")
    assert seal is not None and seal.startswith(b"\x89PNG")
    document = DocumentRenderer(seal=SealSource()).render("decision", case, record)
    pictures = pdf_images(document.data)
    with Image.open(io.BytesIO(seal)) as image:
        assert (document.pages, image.width, image.height) in pictures
    text = pdf_text(document.data)
    assert "（印章）" not in text
    # The seal's picture lies over the date: the date's box on the page overlaps the picture.
    last = document.pages
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(last), "-l", str(last), "-", "-"],
        input=document.data,
        capture_output=True,
        check=True,
    ).stdout.decode()
    date = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">2026年4月20日<', bbox)
    assert date is not None, "the date under the seal"
    page_png = page_pngs(document.data, ARTIFACTS / "form" / "decision-sealed", resolution=72)[-1]
    with Image.open(page_png) as page:
        rgb = page.convert("RGB")
        y = int((float(date.group(1)) + float(date.group(2))) / 2)
        red = sum(
            1
            for x in range(rgb.width)
            for dy in range(-25, 26)
            if (p := rgb.getpixel((x, y + dy))) and p[0] > 150 and p[1] < 90 and p[2] < 90  # type: ignore[index]
        )
        assert red > 50, "red seal ink around the date line"
    # Without a configured seal the place for one is marked, to be sealed by hand.
    plain = DocumentRenderer().render("decision", case, record)
    assert "（印章）" in pdf_text(plain.data)


def test_every_agency_has_a_demo_seal_marked_as_a_sample() -> None:
    packs = sorted((ROOT / "src" / "lawtrail" / "rulepacks").glob("*.toml"))
    assert packs
    for pack in packs:
        assert (SEALS_DIR / f"{pack.stem}.png").is_file(), pack.stem
    # A demo seal is the generator's drawing: a red ring on a transparent ground with 样章 in
    # red below its star (red ink in the lower middle, where a real seal has its number).
    with Image.open(io.BytesIO(demo_seal_png("测试机关"))) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0))[3] == 0  # type: ignore[index]
        band = image.crop((150, 320, 330, 380)).convert("RGBA")
        red = sum(1 for p in band.get_flattened_data() if p[3] > 0 and p[0] > 150 and p[1] < 80)  # type: ignore[index]
        assert red > 300


# ----------------------------------------------------------------------------- 笔录


def long_inquiry(case: Case, *, screen: bytes | None = None) -> Record:
    record = case.record("r04")
    assert record is not None
    questions = "".join(
        f"问：第{n}个问题，请说明涉案运动鞋第{n}批的进货时间、数量和价格？"
        f"答：第{n}批于2026年1月{n}日进货二十双，每双八十五元，没有发票。"
        for n in range(1, 40)
    )
    signatures = (
        Signature("party", "马宏伟", party="p1", at=at(2026, 3, 5, 10, 44), method="screen",
                  image_sha256="ab" * 32),
        Signature("officer", "刘建国", person="o1", at=at(2026, 3, 5, 10, 45)),
    )  # fmt: skip
    fields = {**record.fields, "content": questions}
    return dataclasses.replace(record, fields=fields, signatures=signatures)


def signature_png() -> bytes:
    image = Image.new("RGB", (160, 50), "white")
    for x in range(10, 150):
        image.putpixel((x, 25 + (x % 9) - 4), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_every_page_of_a_transcript_carries_the_signature_lines_and_its_page_count() -> None:
    case = market_case()
    picture = signature_png()
    record = long_inquiry(case)
    renderer = DocumentRenderer(image=lambda sha: picture if sha == "ab" * 32 else None)
    document = renderer.render("inquiry_record", case, record)
    assert document.pages is not None and document.pages >= 3
    page_pngs(document.data, ARTIFACTS / "form" / "inquiry-record-long")
    for page in range(1, document.pages + 1):
        text = pdf_text(document.data, page)
        assert "被询问人：" in text and "询问人：" in text and "记录人：" in text, page
        assert f"第{page}页共{document.pages}页" in text, page
        assert "—" not in text  # no "— 1 —" besides the 第 页 共 页
    # The party's screen signature is printed on every page's line; the officer signed on
    # paper, so his line stays blank there and his cell in the table shows 年 月 日.
    pictures = pdf_images(document.data)
    pages_with_signature = {
        page for page, width, height in pictures if (width, height) == (160, 50)
    }
    assert pages_with_signature == set(range(1, document.pages + 1))
    last = pdf_text(document.data, document.pages)
    assert "以上笔录我已看过，与我所述相符。" in last
    assert "2026年3月5日10时44分" in last
    assert "刘建国执法人员年月日" in last


def test_a_signature_table_is_not_left_alone_on_a_page() -> None:
    case = market_case()
    record = long_inquiry(case)
    document = DocumentRenderer().render("inquiry_record", case, record)
    assert document.pages is not None
    for page in range(1, document.pages + 1):
        text = pdf_text(document.data, page)
        if "签名人身份" in text:
            # Its heading, the table and the text before it share the page.
            before = text.split("签名签名人身份")[0]
            assert "答：" in before or "以上笔录我已看过" in before, page
            assert "马宏伟" in text and "刘建国" in text


# ----------------------------------------------------------------------------- typography


def test_the_title_and_body_follow_gb_t_9704_with_free_fallbacks() -> None:
    fallback = Typography(installed=frozenset({"Noto Serif CJK SC"})).context()
    assert fallback["title_weight"] == "700"  # Noto Serif bold stands in for 小标宋
    assert fallback["body_size"] == "16pt" and fallback["title_size"] == "22pt"
    assert fallback["body"].startswith('"仿宋_GB2312"')
    assert fallback["docx_body"] == "Noto Serif CJK SC"
    real = Typography.with_fonts(title=["华文中宋"], body=["方正仿宋_GBK"])
    installed = dataclasses.replace(real, installed=frozenset({"华文中宋"}))
    ctx = installed.context()
    assert ctx["title_weight"] == "400" and ctx["title"].startswith('"华文中宋"')
    assert ctx["body"].startswith('"方正仿宋_GBK", "仿宋_GB2312"')
    # Debian's free CJK fonts are installed (deps/apt.txt) and the PDF embeds them.
    assert {"Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UKai CN"} <= installed_font_families()
    case = market_case()
    document = DocumentRenderer().render("decision", case, case.record("r13") or case.records[0])
    fonts = subprocess.run(
        ["pdffonts", "-"], input=document.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Noto-Serif-CJK-SC-Bold" in fonts  # the title's stand-in for 小标宋
    assert "Noto-Serif-CJK-SC " in fonts  # the body's stand-in for 仿宋
    # headings (a 笔录's sections): 黑体's stand-in
    record = next(r for r in case.records if r.kind == "inquiry_record")
    transcript = DocumentRenderer().render("inquiry_record", case, record)
    fonts = subprocess.run(
        ["pdffonts", "-"], input=transcript.data, capture_output=True, check=True
    ).stdout.decode()
    assert "Noto-Sans-CJK-SC" in fonts


def test_the_docx_names_the_deployment_fonts() -> None:
    case = market_case()
    record = next(r for r in case.records if r.kind == "decision")
    default = DocumentRenderer().render("decision", case, record, format="docx")
    chosen = DocumentRenderer(typography=Typography.with_fonts(body=["方正仿宋_GBK"])).render(
        "decision", case, record, format="docx"
    )
    import zipfile

    def fonts(data: bytes) -> str:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return (
                package.read("word/styles.xml").decode()
                + package.read("word/document.xml").decode()
            )

    assert 'w:eastAsia="仿宋_GB2312"' in fonts(default.data)
    assert 'w:eastAsia="方正小标宋简体"' in fonts(default.data)
    assert 'w:eastAsia="方正仿宋_GBK"' in fonts(chosen.data)
    assert 'w:eastAsia="仿宋_GB2312"' not in fonts(chosen.data)
    body = DocxDocument(io.BytesIO(default.data)).styles["Normal"].font.size
    assert body is not None and body.pt == 16


# ----------------------------------------------------------------------------- the volume


def scanned_pdf() -> bytes:
    """A two-page scan on US Letter paper, as a scanner may deliver it."""
    return weasyprint.HTML(
        string=(
            "<style>@page { size: Letter; margin: 2cm }</style>"
            "<h1>营业执照（副本）扫描件</h1><p>统一社会信用代码 91220502MA17L8QX3K SCANONE</p>"
            "<p style='break-before: page'>营业执照第二页 SCANTWO</p>"
        )
    ).write_pdf()


def photo_jpeg() -> bytes:
    image = Image.new("RGB", (800, 600), (110, 150, 190))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture(scope="module")
def evidence_volume() -> tuple[Case, CaseVolume, dict[str, bytes]]:
    scan, photo = scanned_pdf(), photo_jpeg()
    blobs = {hashlib.sha256(b).hexdigest(): b for b in (scan, photo)}
    case = market_case()
    record = case.record("r04")
    assert record is not None
    taken = at(2026, 3, 5, 9, 40)
    media = (
        Media("m-scan", "photo", hashlib.sha256(scan).hexdigest(), taken, taken,
              filename="营业执照副本.pdf"),
        Media("m-photo", "photo", hashlib.sha256(photo).hexdigest(), taken, taken,
              filename="库房现场.jpg"),
    )  # fmt: skip
    inquiry = dataclasses.replace(record, media=(*record.media, *media))
    archived = Record(
        "cf0", "case_file", at(2026, 11, 12, 9, 0),
        fields={"archivist": "o1", "volume_number": "旧卷", "retention": "永久"},
    )  # fmt: skip
    records = (*(inquiry if r.id == "r04" else r for r in case.records), archived)
    case = dataclasses.replace(case, records=records)
    renderer = DocumentRenderer(seal=SealSource(), image=blobs.get)
    volume = renderer.volume(
        case,
        volume_number="通市监档〔2026〕罚字第12号",
        archivist="周敏",
        retention="30年",
        archived_at=at(2026, 11, 18, 10, 0),
    )
    page_pngs(volume.pdf, ARTIFACTS / "form" / "volume-main")
    assert volume.secondary is not None
    page_pngs(volume.secondary.pdf, ARTIFACTS / "form" / "volume-secondary")
    return case, volume, blobs


def test_scanned_evidence_appears_at_its_place_in_the_volume(
    evidence_volume: tuple[Case, CaseVolume, dict[str, bytes]],
) -> None:
    _case, volume, _blobs = evidence_volume
    titles = [e.title for e in volume.catalog]
    inquiry = titles.index("询问笔录")
    # Right after the 询问笔录 they are attached to: the scan (two pages), then the photo.
    assert titles[inquiry + 1] == "营业执照副本（扫描件）"
    assert titles[inquiry + 2] == "库房现场（照片）"
    scan, photo = volume.catalog[inquiry + 1], volume.catalog[inquiry + 2]
    assert scan.first_page == volume.catalog[inquiry].last_page + 1
    assert scan.last_page == scan.first_page + 1
    assert photo.first_page == scan.last_page + 1
    front = volume.front_pages
    first = pdf_text(volume.pdf, front + scan.first_page)
    second = pdf_text(volume.pdf, front + scan.last_page)
    assert "SCANONE" in first and "营业执照（副本）扫描件" in first
    assert "SCANTWO" in second
    # The scanned pages carry the volume's 页号 too.
    assert re.match(rf"{scan.first_page}(?!\d)", first)
    assert re.match(rf"{scan.last_page}(?!\d)", second)
    picture = pdf_text(volume.pdf, front + photo.first_page)
    assert re.match(rf"{photo.first_page}(?!\d)", picture)
    assert "证据照片" in picture and "库房现场.jpg" in picture
    assert any(page == front + photo.first_page and (w, h) == (800, 600)
               for page, w, h in pdf_images(volume.pdf))  # fmt: skip
    # The catalog lists them with their 页号.
    catalog = pdf_text(volume.pdf, 2, last=front, layout=False)
    assert f"{scan.first_page}-{scan.last_page}" in catalog
    assert "营业执照副本（扫描件）" in catalog


def test_the_volume_cover_has_the_archival_fields_and_no_page_number(
    evidence_volume: tuple[Case, CaseVolume, dict[str, bytes]],
) -> None:
    _case, volume, blobs = evidence_volume
    cover = pdf_text(volume.pdf, 1)
    for text in (
        "全宗号Z045",
        "目录号1",
        "案卷号通市监档〔2026〕罚字第12号",
        "档号Z045-1-通市监档〔2026〕罚字第12号",
        "决定书文号通市监罚〔2026〕12号",
        "立案日期2026年3月3日",
        "结案日期",
        "承办单位通化市市场监督管理局",
        "承办人刘建国、陈晓燕",
        "处理结果",
        "保管期限定期30年",
        "（正卷）",
    ):
        assert text in cover, text
    assert not re.match(r"\d", cover)
    # The 案卷归档 record is not a file of the volume it forms.
    assert "cf0" not in {e.record_id for e in volume.catalog}
    assert "案卷归档" not in "".join(e.title for e in volume.catalog)
    # The 备考表 lists every media file with its digest and where it lies in the package.
    remarks = pdf_text(
        volume.pdf, volume.front_pages + volume.numbered_pages + 1, last=volume.pages
    )
    assert "归档包" in remarks
    for sha in blobs:
        assert sha[:16] in remarks
        assert package_path(sha, "x.pdf").startswith("data/media/" + sha)
    # The 副卷 holds internal deliberation, numbered on its own, with its own cover.
    assert volume.secondary is not None
    secondary = volume.secondary
    assert "（副卷）" in pdf_text(secondary.pdf, 1)
    assert secondary.catalog[0].first_page == 1
    assert {e.title for e in secondary.catalog} >= {"法制审核意见书"}
    assert pdf_pages(secondary.pdf) == secondary.pages


def test_the_archiving_record_of_the_volume_matches_the_package_layout() -> None:
    from lawtrail.archive import _media_name

    for name in ("a.PDF", "b.jpg", "", "c.toolongextension"):
        assert package_path("ab" * 32, name) == "data/" + _media_name("ab" * 32, name)


def test_retention_is_one_of_the_periods_in_force() -> None:
    assert retention_label("永久") == "永久"
    assert retention_label("30年") == "定期30年"
    assert retention_label("定期10年") == "定期10年"
    with pytest.raises(ValueError, match="长期"):
        retention_label("长期")
    case = benxi_case()
    with pytest.raises(DocumentError, match="保管期限"):
        DocumentRenderer().volume(
            case, volume_number="1", archivist="周丽", retention="长期",
            archived_at=at(2026, 10, 20, 9, 0),
        )  # fmt: skip


# ----------------------------------------------------------------------------- DOCX as pages


def soffice_pdf(docx: bytes, name: str, tmp: Path) -> bytes:
    """The DOCX laid out as pages by LibreOffice (headless, its own profile)."""
    source = tmp / f"{name}.docx"
    source.write_bytes(docx)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return (tmp / f"{name}.pdf").read_bytes()


def test_docx_decision_notice_and_transcript_are_laid_out_as_pages(tmp_path: Path) -> None:
    case = market_case()
    decision = next(r for r in case.records if r.kind == "decision")
    notice = case.record("r06")
    assert notice is not None
    inquiry = long_inquiry(case)
    renderer = DocumentRenderer(seal=SealSource())
    out = ARTIFACTS / "docx"
    for template_id, record, expected in (
        ("decision", decision, ["行政处罚决定书", "通市监罚〔2026〕12号",
                                "通化市鑫盛达商贸有限公司", "六十日内", "2026年4月20日"]),
        ("rights_notice", notice, ["行政处罚告知书", "通化市鑫盛达商贸有限公司", "陈述"]),
        ("inquiry_record", inquiry, ["询问笔录", "马宏伟", "第39个问题",
                                     "以上笔录我已看过，与我所述相符。"]),
    ):  # fmt: skip
        docx = renderer.render(template_id, case, record, format="docx").data
        pdf = soffice_pdf(docx, template_id, tmp_path)
        pages = pdf_pages(pdf)
        assert pages >= 1
        text = pdf_text(pdf, 1, last=pages)
        for item in expected:
            assert squeeze(item) in text, (template_id, item)
        page_pngs(pdf, out / f"{template_id}-docx")
        if template_id == "inquiry_record":
            # Several pages, each with the signature lines and its 第 页 共 页.
            assert pages >= 3
            for page in range(1, pages + 1):
                text = pdf_text(pdf, page)
                assert "被询问人（签名）" in text and "记录人（签名）" in text, page
                assert f"第{page}页共{pages}页" in text, page
        else:
            # The page number "— n —" of an issued document, on each page.
            for page in range(1, pages + 1):
                assert f"—{page}—" in pdf_text(pdf, page), (template_id, page)
        if template_id == "decision":
            # The seal picture is in the file.
            assert any((w, h) == (480, 480) for _p, w, h in pdf_images(pdf))


def test_a_signed_volume_validates(credentials: tuple[Path, Path]) -> None:
    directory, ca = credentials
    case = benxi_case()
    renderer = DocumentRenderer(pdf_signer=PdfSigner(directory))
    volume = renderer.volume(
        case, volume_number="本人社监档〔2026〕15号", archivist="周丽", retention="永久",
        archived_at=at(2026, 10, 20, 9, 0),
    )  # fmt: skip
    status = validate(volume.pdf, ca)
    assert status.bottom_line  # type: ignore[attr-defined]
    assert volume.secondary is not None
    assert validate(volume.secondary.pdf, ca).bottom_line  # type: ignore[attr-defined]


def test_the_seal_never_stands_alone_on_a_page() -> None:
    """However long the decision, the seal goes with the text before it (the review clause):
    the page that carries the seal carries the end of the letter too."""
    case = market_case()
    decision = next(r for r in case.records if r.kind == "decision")
    renderer = DocumentRenderer(seal=SealSource())
    crossed = False
    for extra in range(0, 24, 2):
        facts = str(decision.fields.get("facts", "")) + "".join(
            f"另查明：当事人第{n}次销售涉案运动鞋，有销售记录为证。" for n in range(extra * 3)
        )
        longer = dataclasses.replace(decision, fields={**decision.fields, "facts": facts})
        document = renderer.render("decision", case, longer)
        assert document.pages is not None
        crossed = crossed or document.pages > 2
        seal_pages = [
            page
            for page in range(1, document.pages + 1)
            if "通化市市场监督管理局2026年4月20日" in pdf_text(document.data, page, layout=False)
        ]
        assert len(seal_pages) == 1, extra
        page = pdf_text(document.data, seal_pages[0], layout=False)
        assert "提起行政诉讼" in page, (extra, page[:80])
    assert crossed  # the lengths tried push the seal across at least one page boundary
