"""The document templates LawTrail ships, and which one renders a record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

FORMATS: tuple[str, ...] = ("pdf", "docx")

MEDIA_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "pdf": "application/pdf",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
)


class DocumentError(Exception):
    """A document that cannot be rendered as asked; the message is for the user (Chinese)."""


@dataclass(frozen=True)
class DocumentTemplate:
    """One kind of document: ``<id>.html`` and ``<id>.docx`` in the template directories."""

    id: str
    label: str
    kind: str | None  # the record kind it renders; None for the case-level documents

    @property
    def case_level(self) -> bool:
        return self.kind is None and self.id not in (GENERIC, NOTICE)


GENERIC = "record"
# The 通知书 / 决定书 an agency issues for the forms without a layout of their own: addressee,
# the statutory text of the form (lawtrail.documents.context.FORM_TEXTS), its items, the seal.
NOTICE = "notice"
CASE_COVER = "case_cover"
CASE_CATALOG = "case_catalog"
CASE_REMARKS = "case_remarks"

_ALL = (
    DocumentTemplate("initiation_approval", "程序启动审批表", "initiation_approval"),
    DocumentTemplate("inquiry_record", "询问笔录", "inquiry_record"),
    DocumentTemplate("site_inspection", "现场检查（勘验）笔录", "site_inspection"),
    DocumentTemplate("rights_notice", "权利告知书", "rights_notice"),
    DocumentTemplate("statement_defense", "陈述申辩笔录", "statement_defense"),
    DocumentTemplate("hearing", "听证笔录", "hearing"),
    DocumentTemplate("legal_review", "法制审核意见书", "legal_review"),
    DocumentTemplate("decision", "行政执法决定书", "decision"),
    DocumentTemplate("service", "送达回证", "service"),
    DocumentTemplate("urge_notice", "催告书", "urge_notice"),
    # Any other record kind: its fields with their Chinese labels.
    DocumentTemplate(GENERIC, "记录表", None),
    DocumentTemplate(NOTICE, "通知书", None),
    DocumentTemplate(CASE_COVER, "案卷封面", None),
    DocumentTemplate(CASE_CATALOG, "卷内目录", None),
    DocumentTemplate(CASE_REMARKS, "备考表", None),
)

TEMPLATES: Mapping[str, DocumentTemplate] = MappingProxyType({t.id: t for t in _ALL})

# The record kinds printed as an issued notice or decision (the NOTICE template).
NOTICE_KINDS: frozenset[str] = frozenset(
    {
        "inquiry_notice",
        "material_request",
        "register_preservation",
        "preservation_handling",
        "compulsory_measure",
        "compulsory_extension",
        "compulsory_release",
        "appraisal",
        "appraisal_result_notice",
        "hearing_right_notice",
        "hearing_notice",
        "rectification_order",
        "payment_deferral",
        "case_transfer",
        "court_enforcement",
        "stats_inspection_notice",
        "stats_inquiry",
    }
)

_BY_KIND: Mapping[str, DocumentTemplate] = {
    **{kind: next(t for t in _ALL if t.id == NOTICE) for kind in NOTICE_KINDS},
    **{t.kind: t for t in _ALL if t.kind is not None},
}


def template_for(record_kind: str) -> DocumentTemplate:
    """The template that renders a record of this kind: its own, else the generic sheet."""
    return _BY_KIND.get(record_kind, TEMPLATES[GENERIC])


def get_template(template_id: str) -> DocumentTemplate:
    try:
        return TEMPLATES[template_id]
    except KeyError:
        known = "、".join(TEMPLATES)
        raise DocumentError(f"未知的文书模板“{template_id}”（可用的模板：{known}）") from None
