"""Rendering 文书 to PDF (WeasyPrint) and DOCX (docxtpl), and assembling the 案卷.

Templates are files: ``templates/html/<id>.html`` (Jinja2, laid out by WeasyPrint) and
``templates/docx/<id>.docx`` (Word files holding docxtpl's Jinja tags, made by
``python -m lawtrail.tools.docx_templates``). An agency replaces any of them by putting a file
of the same name in ``<override_dir>/<agency>/`` (for itself) or ``<override_dir>/`` (for
every agency); HTML templates are looked up through the same chain, so ``{% extends
"base.html" %}`` picks up an agency's own base layout. Templates run in Jinja's sandbox: a
template can format what the context offers but cannot call into Python.

Reproducibility: the same case data gives the same bytes, so that a court can re-render a
document and compare it with the SHA-256 recorded in the ledger (given the same LawTrail,
WeasyPrint, fonts and zlib). Nothing reads the clock: the PDF's creation date is the record's
time (a volume's: ``archived_at``), its /ID is the MD5 of its own content (pydyf's
``identifier=True``); a DOCX gets the same time as its core properties and as the time of
every ZIP member (python-docx would write the current time into both).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re
import threading
import traceback
import zipfile
from collections.abc import Callable, Mapping, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pydyf  # type: ignore[import-untyped]
import pypdf
import weasyprint
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import (
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from lawtrail.core.model import Case, Media, Record
from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.rules import PackError, load_pack
from lawtrail.core.timeutil import NaiveDatetimeError, local, local_date
from lawtrail.documents.context import (
    CASE_TITLES,
    ContextBuilder,
    catalog_entries,
    document_number,
    document_title,
    volume_records,
)
from lawtrail.documents.form import (
    ACKNOWLEDGMENTS,
    DEFAULT_BODY_FONTS,
    DEFAULT_HEADING_FONTS,
    DEFAULT_TITLE_FONTS,
    RECORDER_FIELDS,
    SECONDARY_KINDS,
    ArchiveProfile,
    Typography,
    archive_profile,
    is_transcript,
    package_path,
    retention_label,
    sign_lines,
)
from lawtrail.documents.formatting import (
    chinese_date,
    chinese_datetime,
    clauses,
    lines,
    safe_filename,
    sentence,
    w3c_datetime,
)
from lawtrail.documents.pades import PdfSigner
from lawtrail.documents.registry import (
    CASE_CATALOG,
    CASE_COVER,
    CASE_REMARKS,
    FORMATS,
    GENERIC,
    MEDIA_TYPES,
    DocumentError,
    DocumentTemplate,
    get_template,
    template_for,
)
from lawtrail.documents.results import CaseVolume, CatalogEntry, RenderedDocument

TEMPLATE_ROOT = Path(__file__).resolve().parent / "templates"

# The page(s) of a scanned evidence file or photo in a volume (templates/html/case_evidence.html).
EVIDENCE_TEMPLATE = "case_evidence"

# The files a volume takes in: scanned PDFs and pictures (HEIC is not read by WeasyPrint).
EVIDENCE_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png"})

# The 案卷归档 record does not list itself (nor an earlier archiving) among the volume's files.
NOT_IN_THE_VOLUME = frozenset({"case_file"})


@dataclasses.dataclass(frozen=True)
class Evidence:
    """A scanned file or photo taken into the volume: a picture, or the pages of a PDF."""

    media: Media
    image: bytes
    pdf_pages: list[Any]

    @property
    def title(self) -> str:
        stem = Path(self.media.filename).stem if self.media.filename else self.media.sha256[:12]
        return f"{stem}（{'扫描件' if self.pdf_pages else '照片'}）"


HTML_DIR = TEMPLATE_ROOT / "html"
DOCX_DIR = TEMPLATE_ROOT / "docx"

# Filters templates may use besides Jinja's own (the same for HTML and DOCX).
FILTERS: dict[str, Callable[[str], object]] = {
    "sentence": sentence,
    "clauses": clauses,
    "lines": lines,
}

# How tall an embedded signature picture is printed in a DOCX (the HTML sets 1.2 cm in CSS).
SIGNATURE_HEIGHT_MM = 12
# An agency's seal: 42 mm across (the size of a 机关 seal, as in the HTML's CSS).
SEAL_DIAMETER_MM = 42

_IMAGE_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_media_type(data: bytes) -> str | None:
    """PNG, JPEG or GIF by their signatures; None for anything else (it is not embedded)."""
    return next((kind for magic, kind in _IMAGE_TYPES if data.startswith(magic)), None)


def _data_uri(data: bytes) -> object:
    kind = image_media_type(data)
    if kind is None:
        return ""
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _volume_stamp(first_page: int) -> str:
    """The archivist's 页号 at the top right of every page of a volume (GB/T 9705-2008 asks
    for page numbers on each page of the 卷内文件): the page's position in the volume PDF."""
    return (
        "@page { counter-increment: lawtrail-volume-page;"
        " @top-right { content: counter(lawtrail-volume-page);"
        ' font-family: "Noto Serif CJK SC", serif; font-size: 12pt;'
        " vertical-align: bottom; padding-bottom: 0.4cm; } }\n"
        f"@page :first {{ counter-reset: lawtrail-volume-page {first_page - 1}; }}\n"
    )


class DocumentRenderer:
    """Renders the documents of cases. One instance can serve many cases and threads."""

    def __init__(
        self,
        *,
        override_dir: Path | None = None,
        image: Callable[[str], bytes | None] | None = None,
        typography: Typography | None = None,
        seal: Callable[[str], bytes | None] | None = None,
        pdf_signer: PdfSigner | None = None,
    ) -> None:
        self._override_dir = Path(override_dir) if override_dir is not None else None
        self._image = image
        self._typography = typography or Typography()
        self._fonts = self._typography.context()
        # The agency's seal image (documents/form.py SealSource), placed over the date of the
        # documents it issues; None: the place of the seal is marked for a seal by hand.
        self._seal = seal
        # The agency's certificate that signs the PDFs it issues (PAdES, documents/pades.py).
        self._pdf_signer = pdf_signer
        # One font configuration for every document: fontconfig is asked once per font, and
        # the pages of several documents can be joined into one volume.
        self._font_config = FontConfiguration()
        # WeasyPrint's layout shares the font configuration (Pango/fontconfig objects), which
        # is not documented as thread-safe: PDF rendering is serialised.
        self._lock = threading.Lock()
        self._envs: dict[str, SandboxedEnvironment] = {}
        self._docx_env = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
        self._docx_env.filters.update(FILTERS)
        # Templates reach files of their own directories and data: URIs; never the network.
        self._url_fetcher = URLFetcher(allowed_protocols={"file", "data"})

    # ------------------------------------------------------------------------- public

    def render(
        self,
        template_id: str,
        case: Case,
        record: Record | None = None,
        *,
        format: str = "pdf",
        volume: CaseVolume | None = None,
    ) -> RenderedDocument:
        """One document of a case.

        A record template needs a record of its kind (the generic ``record`` takes any kind).
        The case-level ``case_cover``, ``case_catalog`` and ``case_remarks`` take no record.
        Given the :class:`CaseVolume` from :meth:`volume`, they are rendered as they are in
        it (page numbers, 案卷号, 立卷人 …); on their own, they are filled from the case's
        ``case_file`` record where it has one, and the 页号 column, page count and anything
        else not yet known are left blank to be filled in by hand.
        """
        template = get_template(template_id)
        if format not in FORMATS:
            raise DocumentError(f"不支持的文书格式“{format}”（可用的格式：pdf、docx）")
        self._check_record(template, case, record)
        agency_name = self._agency_name(case)

        def context(
            embed: Callable[[bytes], object], seal_embed: Callable[[bytes], object] | None = None
        ) -> dict[str, Any]:
            builder = ContextBuilder(case, agency_name, image=self._image, embed=embed)
            if record is not None:
                ctx = builder.for_record(template, record)
                return self._dress(ctx, case, record, embed, in_volume=False, seal_embed=seal_embed)
            ctx = self._case_context(builder, template, case, agency_name, volume)
            ctx = self._dress(ctx, case, None, embed, in_volume=False, seal_embed=seal_embed)
            profile = archive_profile(case.agency, self._override_dir)
            records = [r for r in volume_records(case) if r.kind not in NOT_IN_THE_VOLUME]
            if volume is not None and volume.part:
                wanted = volume.part == "副卷"
                records = [r for r in records if (r.kind in SECONDARY_KINDS) == wanted]
            part = volume.part if volume is not None else ""
            self._cover_fields(ctx, builder, records, profile, part, ctx["volume"]["number"])
            return ctx

        if format == "pdf":
            ctx = context(_data_uri)
            document = self._html_document(template.id, case.agency, ctx)
            data = self._write_pdf(document)
            if ctx["document"]["issued"] and self._pdf_signer is not None:
                data = self._pdf_signer.sign(case.agency, data, reason=ctx["document"]["title"])
            pages: int | None = len(document.pages)
        else:
            data = self._render_docx(template.id, case.agency, context)
            pages = None
        title = self._title(template, case, record)
        stem = f"{record.id if record is not None else case.case_number}-{title}"
        return RenderedDocument(
            template=template.id,
            format=format,
            data=data,
            pages=pages,
            filename=safe_filename(stem, format),
            media_type=MEDIA_TYPES[format],
        )

    def volume(
        self,
        case: Case,
        *,
        volume_number: str,
        archivist: str,
        retention: str,
        archived_at: dt.datetime,
    ) -> CaseVolume:
        """The 案卷 as one PDF: 案卷封面, 卷内目录, every document and its evidence, 卷内备考表.

        Every effective record except ``access``, ``void`` and ``case_file`` (the archiving
        does not list itself) becomes a document, rendered with :func:`template_for` its kind,
        in the order of the act's time; right after it come the scanned evidence and photos
        attached to it (a PDF's own pages, a picture on a page of its own), each a line of the
        卷内目录. Where the agency's archive profile asks for a 副卷 (documents/form.py), the
        records of internal deliberation form a second volume, ``CaseVolume.secondary``.

        Page numbers (页号) follow the archival rule (GB/T 9705-2008; DA/T 22-2015 §7.2): the
        cover, the catalog and the 备考表 are not numbered; the pages from the first document
        to the last are numbered 1, 2, … at the top right, and no document prints a page number
        of its own. The catalog's 页号 are these numbers; ``front_pages`` says how many
        unnumbered pages (cover and catalog) precede page 1 in the PDF.
        """
        try:
            local(archived_at)
        except NaiveDatetimeError:
            raise DocumentError("立卷时间必须带时区") from None
        try:
            retention = retention_label(retention)
        except ValueError as exc:
            raise DocumentError(str(exc)) from None
        profile = archive_profile(case.agency, self._override_dir)
        records = [r for r in volume_records(case) if r.kind not in NOT_IN_THE_VOLUME]
        secondary_records: list[Record] = []
        if profile.secondary_volume:
            secondary_records = [r for r in records if r.kind in SECONDARY_KINDS]
            records = [r for r in records if r.kind not in SECONDARY_KINDS]

        def assemble(chosen: Sequence[Record], part: str) -> CaseVolume:
            return self._assemble(
                case,
                chosen,
                profile,
                part,
                volume_number=volume_number,
                archivist=archivist,
                retention=retention,
                archived_at=archived_at,
            )

        secondary = assemble(secondary_records, "副卷") if secondary_records else None
        main = assemble(records, "正卷" if secondary else "")
        return dataclasses.replace(main, secondary=secondary)

    def _assemble(
        self,
        case: Case,
        records: Sequence[Record],
        profile: ArchiveProfile,
        part: str,
        *,
        volume_number: str,
        archivist: str,
        retention: str,
        archived_at: dt.datetime,
    ) -> CaseVolume:
        """One volume (正卷 or 副卷, ``part``; "" for a case filed in one volume)."""
        agency_name = self._agency_name(case)
        builder = ContextBuilder(case, agency_name, image=self._image, embed=_data_uri)
        evidence = {r.id: self._evidence(r) for r in records}

        def case_part(template_id: str, entries: Sequence[CatalogEntry], total: int) -> Document:
            ctx = builder.for_case(
                get_template(template_id),
                entries=entries,
                volume_number=volume_number,
                archivist=archivist,
                retention=retention,
                archived_at=archived_at,
                total_pages=total,
            )
            ctx = self._dress(ctx, case, None, _data_uri, in_volume=True)
            self._cover_fields(ctx, builder, records, profile, part, volume_number)
            return self._html_document(template_id, case.agency, ctx)

        # The documents first: their page numbers do not depend on the front matter, which
        # is not numbered. Each part is laid out once by WeasyPrint.
        page = 0
        parts: list[Document] = []
        entries: list[CatalogEntry] = []
        placements: list[tuple[int, Any]] = []  # (page index among the numbered, PDF page)
        for record in records:
            template = template_for(record.kind)
            ctx = self._dress(
                builder.for_record(template, record), case, record, _data_uri, in_volume=True
            )
            document = self._html_document(template.id, case.agency, ctx, first_page=page + 1)
            parts.append(document)
            entries.append(
                CatalogEntry(
                    number=len(entries) + 1,
                    document_number=document_number(case, record),
                    responsible=agency_name,
                    title=document_title(case, record),
                    date=local_date(record.at),
                    first_page=page + 1,
                    last_page=page + len(document.pages),
                    record_id=record.id,
                    template=template.id,
                )
            )
            page += len(document.pages)
            for item in evidence[record.id]:
                ctx = self._evidence_context(builder, record, item)
                sheet = self._html_document(
                    EVIDENCE_TEMPLATE, case.agency, ctx, first_page=page + 1
                )
                parts.append(sheet)
                for offset, scanned in enumerate(item.pdf_pages):
                    placements.append((page + offset, scanned))
                entries.append(
                    CatalogEntry(
                        number=len(entries) + 1,
                        document_number="",
                        responsible=agency_name,
                        title=item.title,
                        date=local_date(item.media.captured_at),
                        first_page=page + 1,
                        last_page=page + len(sheet.pages),
                        record_id=record.id,
                        template=EVIDENCE_TEMPLATE,
                    )
                )
                page += len(sheet.pages)
        numbered = page
        remarks = case_part(CASE_REMARKS, entries, numbered)
        cover = case_part(CASE_COVER, entries, numbered)
        catalog = case_part(CASE_CATALOG, entries, numbered)
        front = len(cover.pages) + len(catalog.pages)
        pages = [
            *cover.pages,
            *catalog.pages,
            *(p for document in parts for p in document.pages),
            *remarks.pages,
        ]
        joined = cover.copy(pages)
        title = f"{case.case_number} 行政执法案卷" + (f"（{part}）" if part else "")
        joined.metadata.title = title
        joined.metadata.created = joined.metadata.modified = w3c_datetime(archived_at)
        pdf = self._write_pdf(joined)
        if placements:
            pdf = _take_in(pdf, [(front + index, scanned) for index, scanned in placements])
        if self._pdf_signer is not None:
            pdf = self._pdf_signer.sign(case.agency, pdf, reason=title)
        return CaseVolume(
            pdf=pdf,
            pages=len(pages),
            catalog=tuple(entries),
            volume_number=volume_number,
            archivist=archivist,
            retention=retention,
            archived_at=archived_at,
            front_pages=front,
            numbered_pages=numbered,
            part=part,
        )

    def _evidence(self, record: Record) -> list[Evidence]:
        """The scanned evidence and photos of a record that the volume takes in: a PDF (its
        pages) or a JPEG/PNG picture, read from the evidence store; audio and video stay in
        the archive package and are listed in the 备考表."""
        result: list[Evidence] = []
        if self._image is None:
            return result
        for media in record.media:
            # Only stills are read (never a video into memory): photos and scans by name.
            if (
                media.type != "photo"
                or Path(media.filename).suffix.lower() not in EVIDENCE_SUFFIXES
            ):
                continue
            data = self._image(media.sha256)
            if not data:
                continue
            if data.startswith(b"%PDF-"):
                try:
                    reader = pypdf.PdfReader(BytesIO(data))
                    scanned = list(reader.pages)
                except (pypdf.errors.PyPdfError, ValueError, KeyError) as exc:
                    raise DocumentError(
                        f"证据材料 {media.filename or media.sha256} 不是可读取的 PDF 文件：{exc}"
                    ) from None
                result.append(Evidence(media, b"", scanned))
            elif image_media_type(data) in ("image/jpeg", "image/png"):
                result.append(Evidence(media, data, []))
        return result

    def _evidence_context(
        self, builder: ContextBuilder, record: Record, item: Evidence
    ) -> dict[str, Any]:
        template = get_template(GENERIC)
        ctx = builder.base(template, item.title, "", item.media.captured_at)
        ctx = self._dress(ctx, builder.case, None, _data_uri, in_volume=True)
        ctx["evidence"] = {
            "title": item.title,
            "record": document_title(builder.case, record),
            "filename": item.media.filename,
            "captured": chinese_datetime(item.media.captured_at),
            "sha256": item.media.sha256,
            "image": _data_uri(item.image) if item.image else "",
            "pages": len(item.pdf_pages),
            "package": package_path(item.media.sha256, item.media.filename),
        }
        return ctx

    def _cover_fields(
        self,
        ctx: dict[str, Any],
        builder: ContextBuilder,
        records: Sequence[Record],
        profile: ArchiveProfile,
        part: str,
        volume_number: str,
    ) -> None:
        """What a 案卷封面 carries besides the context's volume (DA/T 22-2015, the 市场监管
        案卷 cover): 全宗号, 目录号, 档号, 文号 of the decision, 立案/结案日期, 承办单位/人,
        处理结果; media with the pointer to the archive package."""
        case = builder.case
        volume = ctx["volume"]
        decisions = [r for r in records if r.kind == "decision"]
        closures = [r for r in case.effective_records() if r.kind == "closure"]
        handlers: list[str] = []
        for record in records:
            for presence in record.officers:
                person = case.person(presence.person)
                name = person.name if person else presence.person
                if name and name not in handlers:
                    handlers.append(name)
        result = ""
        if decisions:
            fields = decisions[-1].fields
            kind = fields.get("decision_type")
            content = fields.get("content")
            result = "；".join(
                str(v).strip() for v in (kind, content) if isinstance(v, str) and v.strip()
            )
        elif closures:
            reason = closures[-1].fields.get("reason")
            result = str(reason) if reason else ""
        media = [m for r in records for m in r.media]
        volume.update(
            {
                "part": part,
                "fonds": profile.fonds,
                "catalog_number": profile.catalog,
                "reference": profile.reference(volume_number),
                "decision_number": (document_number(case, decisions[-1]) if decisions else ""),
                "opened": chinese_date(case.opened_at),
                "closed": chinese_date(closures[-1].at) if closures else "",
                "unit": self._agency_name(case),
                "handlers": "、".join(handlers),
                "result": result,
                "media": [
                    {**shown, "package": package_path(m.sha256, m.filename)}
                    for m, shown in zip(media, builder.media(media), strict=True)
                ],
            }
        )
        ctx["media"] = volume["media"]

    # ------------------------------------------------------------------------- checks

    @staticmethod
    def _check_record(template: DocumentTemplate, case: Case, record: Record | None) -> None:
        if template.case_level:
            if record is not None:
                raise DocumentError(f"“{template.label}”是案卷级文书，不针对单条记录生成")
            return
        if record is None:
            raise DocumentError(f"生成“{template.label}”需要指定所依据的记录")
        if record.kind not in RECORD_KINDS:
            raise DocumentError(f"记录 {record.id} 的类型“{record.kind}”未定义，无法生成文书")
        if template.kind is not None and record.kind != template.kind:
            label = RECORD_KINDS[record.kind].label
            raise DocumentError(
                f"记录 {record.id} 是“{label}”，不能用“{template.label}”模板生成文书"
                f"（应使用“{template_for(record.kind).label}”）"
            )

    @staticmethod
    def _agency_name(case: Case) -> str:
        try:
            return load_pack(case.agency).name
        except PackError:
            raise DocumentError(f"未知的执法机关“{case.agency}”，无法确定文书的机关名称") from None

    @staticmethod
    def _title(template: DocumentTemplate, case: Case, record: Record | None) -> str:
        if record is not None:
            return document_title(case, record, template)
        return CASE_TITLES.get(template.id, template.label)

    # ------------------------------------------------------------------------- context

    @staticmethod
    def _case_context(
        builder: ContextBuilder,
        template: DocumentTemplate,
        case: Case,
        agency_name: str,
        volume: CaseVolume | None,
    ) -> dict[str, Any]:
        if volume is not None:
            return builder.for_case(
                template,
                entries=volume.catalog,
                volume_number=volume.volume_number,
                archivist=volume.archivist,
                retention=volume.retention,
                archived_at=volume.archived_at,
                total_pages=volume.numbered_pages or volume.pages,
            )
        # On its own: what the case's latest 案卷归档 record says, page numbers left blank.
        filed = [r for r in case.effective_records() if r.kind == "case_file"]
        fields = filed[-1].fields if filed else {}
        archivist_id = str(fields.get("archivist", ""))
        archivist = case.person(archivist_id)
        # The archiving itself is not a file of the volume it forms.
        listed = [
            e
            for e in catalog_entries(case, agency_name)
            if (r := case.record(e.record_id or "")) is None or r.kind not in NOT_IN_THE_VOLUME
        ]
        entries = [dataclasses.replace(e, number=n) for n, e in enumerate(listed, 1)]
        return builder.for_case(
            template,
            entries=entries,
            volume_number=str(fields.get("volume_number", "")),
            archivist=archivist.name if archivist else archivist_id,
            retention=str(fields.get("retention", "")),
            archived_at=filed[-1].at if filed else None,
            total_pages=None,
        )

    def _dress(
        self,
        ctx: dict[str, Any],
        case: Case,
        record: Record | None,
        embed: Callable[[bytes], object],
        *,
        in_volume: bool,
        seal_embed: Callable[[bytes], object] | None = None,
    ) -> dict[str, Any]:
        """The form of the document (documents/form.py) added to its context: fonts, the seal
        picture (``document.seal``), and for a 笔录 its acknowledgment line and the signature
        lines printed on every page (``layout``)."""
        seal_image = self._seal(case.agency) if self._seal is not None else None
        ctx["document"]["seal"] = (seal_embed or embed)(seal_image) if seal_image else ""
        transcript = record is not None and is_transcript(str(ctx["document"]["title"]))
        lines_: list[dict[str, Any]] = []
        if record is not None and ctx.get("record") is not None:
            recorder = next(
                (str(v) for k in RECORDER_FIELDS if isinstance(v := record.fields.get(k), str)),
                "",
            )
            ctx["record"]["acknowledgment"] = (
                ACKNOWLEDGMENTS.get(record.kind, ACKNOWLEDGMENTS[""]) if transcript else ""
            )
            if transcript:
                lines_ = sign_lines(record.kind, record.signatures, ctx["signatures"], recorder)
        # ``layout``, not ``form``: ``form`` is the statutory text of a 通知书 (documents/forms.py).
        ctx["layout"] = {
            "fonts": self._fonts,
            "in_volume": in_volume,
            "transcript": transcript,
            "sign_lines": lines_,
        }
        return ctx

    # ------------------------------------------------------------------------- PDF

    def _html_env(self, agency: str) -> SandboxedEnvironment:
        env = self._envs.get(agency)
        if env is None:
            search = [str(HTML_DIR)]
            if self._override_dir is not None:
                search[:0] = [str(self._override_dir / agency), str(self._override_dir)]
            env = SandboxedEnvironment(
                loader=FileSystemLoader(search),
                autoescape=True,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.filters.update(FILTERS)
            self._envs[agency] = env
        return env

    def _html_document(
        self,
        template_id: str,
        agency: str,
        context: dict[str, Any],
        *,
        first_page: int | None = None,
    ) -> Document:
        name = f"{template_id}.html"
        env = self._html_env(agency)
        try:
            template = env.get_template(name)
        except TemplateNotFound as exc:
            raise DocumentError(f"找不到文书模板文件 {exc.name}") from None
        except TemplateSyntaxError as exc:
            raise DocumentError(
                f"文书模板文件 {exc.filename or name} 第{exc.lineno}行有语法错误：{exc.message}"
            ) from None
        try:
            html = template.render(context)
        except Exception as exc:  # any failure of a template is the template's
            raise _template_failure(exc, template.filename or name) from exc
        stylesheets = []
        if first_page is not None:
            stylesheets.append(CSS(string=_volume_stamp(first_page), font_config=self._font_config))
        base_url = str(Path(template.filename).parent) + "/" if template.filename else None
        with self._lock:
            return HTML(string=html, base_url=base_url, url_fetcher=self._url_fetcher).render(
                font_config=self._font_config, stylesheets=stylesheets
            )

    def html_to_pdf(self, html: str) -> tuple[bytes, int]:
        """A PDF (and its page count) of HTML made elsewhere — the web shell's 评议考核 report
        — laid out with the documents' fonts and the same rules: one shared font configuration,
        rendering serialised, nothing fetched but ``data:`` URIs."""
        fetcher = URLFetcher(allowed_protocols={"data"})
        with self._lock:
            document = HTML(string=html, url_fetcher=fetcher).render(font_config=self._font_config)
        return self._write_pdf(document), len(document.pages)

    def _write_pdf(self, document: Document) -> bytes:
        with self._lock:
            data = document.write_pdf(pdf_identifier=True, finisher=_producer)
        assert isinstance(data, bytes)
        return data

    # ------------------------------------------------------------------------- DOCX

    def _docx_template(self, template_id: str, agency: str) -> Path:
        name = f"{template_id}.docx"
        candidates = [DOCX_DIR / name]
        if self._override_dir is not None:
            candidates[:0] = [self._override_dir / agency / name, self._override_dir / name]
        for path in candidates:
            if path.is_file():
                return path
        raise DocumentError(f"找不到文书模板文件 {name}")

    def _render_docx(
        self,
        template_id: str,
        agency: str,
        context: Callable[..., dict[str, Any]],
    ) -> bytes:
        path = self._docx_template(template_id, agency)
        try:
            template = DocxTemplate(path)
            template.init_docx()
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise DocumentError(f"文书模板文件 {path} 不是有效的 DOCX 文件：{exc}") from None

        def embed(data: bytes) -> object:
            if image_media_type(data) is None:
                return ""
            return InlineImage(template, BytesIO(data), height=Mm(SIGNATURE_HEIGHT_MM))

        def seal_embed(data: bytes) -> object:
            if image_media_type(data) is None:
                return ""
            return InlineImage(template, BytesIO(data), height=Mm(SEAL_DIAMETER_MM))

        ctx = context(embed, seal_embed)
        try:
            template.render(ctx, jinja_env=self._docx_env, autoescape=True)
        except TemplateSyntaxError as exc:
            raise DocumentError(
                f"文书模板文件 {path} 有语法错误（第{exc.lineno}行）：{exc.message}"
            ) from None
        except Exception as exc:  # any failure of a template is the template's
            raise DocumentError(f"文书模板文件 {path} 无法生成文书：{exc}") from exc
        created = dt.datetime.fromisoformat(ctx["document"]["created"])
        props = template.docx.core_properties
        props.title = ctx["document"]["title"]
        props.author = ctx["agency"]["name"]
        props.keywords = ctx["case"]["number"]
        props.last_modified_by = ctx["agency"]["name"]
        # python-docx's default template says "generated by python-docx" here.
        props.comments = f"{ctx['case']['number']} {ctx['case']['title']}".strip()
        props.subject = ctx["case"]["title"]
        props.category = "行政执法文书"
        props.language = "zh-CN"
        props.revision = 1
        # python-docx writes these as UTC ("…Z") without converting: give it UTC.
        props.created = props.modified = created.astimezone(dt.UTC).replace(tzinfo=None)
        out = BytesIO()
        template.save(out)
        app = _app_properties(ctx["agency"]["name"])
        rewrite: dict[str, Callable[[bytes], bytes]] = {APP_PROPERTIES: app}
        fonts = self._docx_fonts()
        if fonts:
            with zipfile.ZipFile(BytesIO(out.getvalue())) as package:
                for name in package.namelist():
                    if name.startswith("word/") and name.endswith(".xml"):
                        rewrite[name] = fonts
        return fix_zip_times(out.getvalue(), created, rewrite=rewrite)

    def _docx_fonts(self) -> Callable[[bytes], bytes] | None:
        """The deployment's own font names in place of the GB/T 9704 defaults the DOCX
        templates name (a DOCX is laid out by the reader's Word or WPS, so it names the real
        fonts, not this server's stand-ins); None when the deployment configured none."""
        pairs = [
            (default[0], chosen[0])
            for default, chosen in (
                (DEFAULT_TITLE_FONTS, self._typography.title),
                (DEFAULT_BODY_FONTS, self._typography.body),
                (DEFAULT_HEADING_FONTS, self._typography.heading),
            )
            if chosen and chosen[0] != default[0]
        ]
        if not pairs:
            return None

        def rewrite(data: bytes) -> bytes:
            text = data.decode("utf-8")
            for old, new in pairs:
                text = text.replace(f'w:eastAsia="{old}"', f'w:eastAsia="{xml_escape(new)}"')
            return text.encode("utf-8")

        return rewrite


APP_PROPERTIES = "docProps/app.xml"
# The application a DOCX names (Word shows it under 属性 › 详细信息): ours, not the Word that
# once saved python-docx's default template.
GENERATOR = "执法留痕 行政执法全过程记录系统"


def _app_properties(company: str) -> Callable[[bytes], bytes]:
    """docProps/app.xml naming LawTrail as the application and the agency as the company.

    A textual edit of two simple elements, so that the rest of the file keeps its bytes."""

    def rewrite(data: bytes) -> bytes:
        text = data.decode("utf-8")
        for tag, value in (("Application", GENERATOR), ("Company", company)):
            element = f"<{tag}>{xml_escape(value)}</{tag}>"
            text, found = re.subn(rf"<{tag}\s*/>|<{tag}>[^<]*</{tag}>", element, text, count=1)
            if not found:
                text = text.replace("</Properties>", f"  {element}\n</Properties>", 1)
        return text.encode("utf-8")

    return rewrite


# A4 in PDF points, and the room a scanned page is fitted into: below the volume's 页号 at the top
# right (1.5 cm), 1 cm from the other edges.
_A4 = (595.276, 841.89)
_CM = 72 / 2.54


def _take_in(pdf: bytes, placements: Sequence[tuple[int, Any]]) -> bytes:
    """The volume with each scanned PDF page drawn, scaled to fit, under the numbered blank
    page laid out for it (which carries only the volume's 页号)."""
    reader = pypdf.PdfReader(BytesIO(pdf))
    writer = pypdf.PdfWriter(clone_from=reader)
    left, right, top, bottom = _CM, _CM, 1.5 * _CM, _CM
    room_w, room_h = _A4[0] - left - right, _A4[1] - top - bottom
    for index, scanned in placements:
        if scanned.rotation:  # a page turned by /Rotate: turn its content instead
            holder = pypdf.PdfWriter()
            scanned = holder.add_page(scanned)
            scanned.transfer_rotation_to_content()
        box = scanned.mediabox
        width, height = float(box.width), float(box.height)
        scale = min(room_w / width, room_h / height, 1.0)
        x = left + (room_w - width * scale) / 2 - float(box.left) * scale
        y = bottom + (room_h - height * scale) / 2 - float(box.bottom) * scale
        transform = pypdf.Transformation().scale(scale).translate(x, y)
        writer.pages[index].merge_transformed_page(scanned, transform, over=False)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _producer(document: Document, pdf: pydyf.PDF) -> None:
    """The PDF's /Producer in Chinese; WeasyPrint's version stays in it, because the bytes of a
    re-rendering depend on it (see the module doc)."""
    pdf.info["Producer"] = pydyf.String(f"{GENERATOR}（WeasyPrint {weasyprint.__version__}）")


def fix_zip_times(
    data: bytes,
    when: dt.datetime,
    rewrite: Mapping[str, Callable[[bytes], bytes]] | None = None,
) -> bytes:
    """The same ZIP with every member dated `when` (Shanghai wall clock), for equal bytes; the
    members named in `rewrite` are passed through their function."""
    rewrite = rewrite or {}
    # A ZIP time is a wall-clock time from 1980 on.
    stamp = max(local(when).timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.create_system = 3
            member.external_attr = 0o644 << 16
            content = src.read(info.filename)
            if info.filename in rewrite:
                content = rewrite[info.filename](content)
            dst.writestr(member, content)
    return out.getvalue()


def _template_failure(exc: Exception, fallback: str) -> DocumentError:
    """Name the template file (an override or one it extends) and line where it failed."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".html") and Path(frame.filename).is_file():
            return DocumentError(
                f"文书模板文件 {frame.filename} 第{frame.lineno}行无法生成文书：{exc}"
            )
    return DocumentError(f"文书模板文件 {fallback} 无法生成文书：{exc}")


__all__ = ["DocumentRenderer", "fix_zip_times", "image_media_type"]
