"""The 评议考核 report (:mod:`lawtrail.web.report`) as the page's tables, an XLSX workbook
(openpyxl) and a PDF (WeasyPrint, through the 文书 renderer's font setup).

Every section is rendered the same way, from its tables, so a section added to
:data:`lawtrail.web.report.SECTIONS` appears in all three without a change here.

XLSX: one sheet per section; the report's title, agency, period and generation time (Beijing
time) on top; each table as a title row, a header row and its rows — numbers as numbers, times
as Excel dates, an empty cell where the page shows "—"; the first table's header row frozen;
column widths set; the document's creator is the agency (LawTrail), not the library.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from lawtrail.core import timeutil
from lawtrail.documents.formatting import safe_filename
from lawtrail.web import wiring
from lawtrail.web.report import Cell, Report, Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF_TYPE = "application/pdf"
CREATOR = "LawTrail 执法留痕"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel refuses these in a sheet's name, and a name longer than 31 characters.
_SHEET_UNSAFE = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def shown(value: Cell) -> str:
    """A cell as the page and the PDF print it (an empty cell: —)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return timeutil.format_local(value)
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def view(report: Report) -> list[dict[str, Any]]:
    """The sections as the templates show them: headings, and each table's cells as text with
    their drill-down links and whether they are numbers (right-aligned)."""

    def row(cells: tuple[Cell, ...], links: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        return [
            {
                "text": shown(v),
                # A drill-down to no case is no link (as on the dashboard).
                "url": links[i] if i < len(links) and v not in (0, None) else "",
                "number": isinstance(v, int | float) and not isinstance(v, bool),
            }
            for i, v in enumerate(cells)
        ]

    return [
        {
            "key": section.key,
            "heading": heading,
            "basis": section.basis,
            "notes": section.notes,
            "tables": [
                {
                    "key": t.key,
                    "title": t.title,
                    "columns": [c.label for c in t.columns],
                    # The PDF's column widths: the XLSX's, as shares of the page's width.
                    "widths": [
                        round(100 * c.width / sum(x.width for x in t.columns), 1) for c in t.columns
                    ],
                    "rows": [row(r.cells, r.links) for r in t.rows],
                    "total": row(t.total.cells) if t.total else None,
                    "empty": t.empty,
                }
                for t in section.tables
            ],
        }
        for heading, section in report.numbered()
    ]


def filename(report: Report, extension: str) -> str:
    return safe_filename(report.title, extension)


def attachment(response: Any, name: str) -> Any:
    """A download with the Chinese file name (RFC 6266 ``filename*``), never cached."""
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------------------- XLSX


def _xlsx_value(value: Cell) -> Any:
    # Excel has no time zones: a time is written as Beijing wall-clock time (the title row says so).
    if isinstance(value, datetime):
        return timeutil.local(value).replace(tzinfo=None)
    return value


def _put_row(ws: Any, r: int, cells: tuple[Cell, ...], *, bold: bool = False) -> None:
    for c, value in enumerate(cells, 1):
        cell = ws.cell(row=r, column=c, value=_xlsx_value(value))
        if isinstance(value, datetime):
            cell.number_format = TIME_FORMAT
        elif isinstance(value, float):
            cell.number_format = "0.0"
        cell.border = _BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=isinstance(value, str))
        if bold:
            cell.font = Font(bold=True)


_THIN = Side(style="thin", color="808080")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")


def xlsx_bytes(report: Report) -> bytes:
    """The report as an XLSX workbook (see the module doc for its layout)."""
    wb = Workbook()
    wb.remove(wb.active)
    made = report.generated_at.astimezone(UTC).replace(tzinfo=None)
    props = wb.properties
    props.creator = f"{report.agency_name}（{CREATOR}）"
    props.lastModifiedBy = props.creator
    props.title = report.title
    props.subject = "执法全过程记录工作评议考核"
    props.keywords = f"{report.agency} {report.period.start} {report.period.end}"
    props.created = props.modified = made
    info = (
        f"机关：{report.agency_name}　期间：{report.period.start} 至 {report.period.end}"
        f"（{report.period.label}）　生成时间：{timeutil.format_local(report.generated_at)}"
        "（北京时间，表中时间同）"
    )
    for heading, section in report.numbered():
        ws = wb.create_sheet(heading.translate(_SHEET_UNSAFE)[:31])
        # Each column as wide as the widest of the section's tables wants it.
        widths = [0] * max(len(t.columns) for t in section.tables)
        for table in section.tables:
            for i, column in enumerate(table.columns):
                widths[i] = max(widths[i], column.width)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w

        _line(ws, widths, 1, report.title, Font(bold=True, size=14))
        _line(ws, widths, 2, info)
        _line(ws, widths, 3, heading, Font(bold=True, size=12))
        r = 4
        if section.basis:
            _line(ws, widths, r, f"依据：{section.basis}")
            r += 1
        frozen = False
        for table in section.tables:
            r, header = _put_table(ws, r + 1, table)
            if not frozen:  # the first table's header row stays in view when scrolling
                ws.freeze_panes = ws.cell(row=header + 1, column=1)
                frozen = True
        r += 1
        for note in section.notes:
            _line(ws, widths, r, f"说明：{note}")
            r += 1
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _line(ws: Any, widths: list[int], r: int, text: str, font: Font | None = None) -> None:
    """A line of text across the sheet's columns (merged), wrapped, the row as tall as its
    lines (Excel does not size a merged row to its text)."""
    cell = ws.cell(row=r, column=1, value=text)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    if font is not None:
        cell.font = font
    ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(widths))
    size = float(font.size) if font is not None and font.size else 11.0
    lines = -(-_text_width(text) * size // 11 // max(sum(widths), 1))
    ws.row_dimensions[r].height = max(1, lines) * size * 1.5


def _text_width(text: str) -> int:
    """The width of ``text`` in Excel's character units: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _put_table(ws: Any, r: int, table: Table) -> tuple[int, int]:
    """Write ``table`` from row ``r``: its title, header, rows and total. Returns the next free
    row and the header's row."""
    ws.cell(row=r, column=1, value=table.title).font = Font(bold=True)
    r += 1
    for c, column in enumerate(table.columns, 1):
        cell = ws.cell(row=r, column=c, value=column.label)
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    header = r
    r += 1
    if not table.rows:
        ws.cell(row=r, column=1, value=table.empty)
        return r + 1, header
    for row in table.rows:
        _put_row(ws, r, row.cells)
        r += 1
    if table.total is not None:
        _put_row(ws, r, table.total.cells, bold=True)
        r += 1
    return r, header


# ---------------------------------------------------------------------------- PDF


def pdf_bytes(report: Report) -> bytes:
    """The report as an A4 PDF: the Django template ``lawtrail/report/pdf.html`` laid out by the
    documents' renderer (its CJK fonts, its lock; nothing fetched from outside)."""
    html = render_to_string(
        "lawtrail/report/pdf.html",
        {
            "report": report,
            "sections": view(report),
            "generated": timeutil.format_local(report.generated_at),
        },
    )
    data, _ = wiring.renderer().html_to_pdf(html)
    return data
