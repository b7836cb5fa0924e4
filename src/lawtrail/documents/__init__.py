"""文书: enforcement documents rendered from case data to PDF and DOCX, and the 案卷.

>>> renderer = DocumentRenderer()
>>> doc = renderer.render("decision", case, case.record("r13"))           # PDF
>>> doc = renderer.render("decision", case, case.record("r13"), format="docx")
>>> volume = renderer.volume(case, volume_number=…, archivist=…, retention=…, archived_at=…)

No Django here: the web shell, the CLI and the archive exporter all call this package.
"""

from lawtrail.documents.registry import (
    FORMATS,
    TEMPLATES,
    DocumentError,
    DocumentTemplate,
    template_for,
)
from lawtrail.documents.render import DocumentRenderer
from lawtrail.documents.results import CaseVolume, CatalogEntry, RenderedDocument

__all__ = [
    "FORMATS",
    "TEMPLATES",
    "CaseVolume",
    "CatalogEntry",
    "DocumentError",
    "DocumentRenderer",
    "DocumentTemplate",
    "RenderedDocument",
    "template_for",
]
