"""What rendering gives back: a document, a line of the 卷内目录, a whole 案卷."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedDocument:
    template: str
    format: str  # "pdf" | "docx"
    data: bytes
    pages: int | None  # PDF page count; None for DOCX (Word lays the pages out itself)
    filename: str  # Chinese, safe for a file system, e.g. "r5-行政处罚决定书.pdf"
    media_type: str


@dataclass(frozen=True)
class CatalogEntry:
    """One line of the 卷内目录 (columns 序号 文号 责任者 题名 日期 页号 备注).

    ``first_page``/``last_page`` are the volume's 页号: its pages are numbered from the first
    document (the cover and the catalog before it are not numbered, see ``CaseVolume``); 0
    when the entry is listed without a volume (a standalone 卷内目录, whose 页号 column is left
    blank to be filled in by hand).
    """

    number: int
    document_number: str
    responsible: str  # 责任者: the agency name
    title: str
    date: datetime.date
    first_page: int
    last_page: int
    record_id: str | None
    template: str


@dataclass(frozen=True)
class CaseVolume:
    """The assembled 案卷: cover, catalog, every document in order, 备考表, as one PDF.

    The volume's particulars are kept so that its 案卷封面, 卷内目录 and 备考表 can also be
    rendered on their own (e.g. to DOCX) with the same page numbers:
    ``renderer.render("case_catalog", case, volume=volume, format="docx")``.
    """

    pdf: bytes
    pages: int
    catalog: tuple[CatalogEntry, ...]
    volume_number: str = ""
    archivist: str = ""
    retention: str = ""
    archived_at: datetime.datetime | None = None
    # The unnumbered pages before 页号 1 (案卷封面 and 卷内目录): 页号 n is PDF page
    # front_pages + n. ``numbered_pages`` pages are numbered; the 备考表 after them is not.
    front_pages: int = 0
    numbered_pages: int = 0
    part: str = ""  # 正卷 / 副卷 when the case is filed in two volumes, else ""
    secondary: CaseVolume | None = None  # the 副卷 of internal deliberation, where kept
