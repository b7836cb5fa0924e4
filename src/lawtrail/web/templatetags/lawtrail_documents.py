"""The 文书 sections of the case page and the record page (issue #5), as inclusion tags: they
read the case's ``document`` entries and the user's rights themselves, so the pages only say
where the section goes (``{% case_documents %}``, ``{% record_documents %}``)."""

from __future__ import annotations

from typing import Any

from django import template

from lawtrail.documents import template_for
from lawtrail.web import actions, casepage
from lawtrail.web.views.documents import ArchiveForm, closure_state

register = template.Library()


@register.inclusion_tag("lawtrail/case_documents.html", takes_context=True)
def case_documents(context: template.Context) -> dict[str, Any]:
    """The case's documents, the archivist's 组卷归档 form (once the case is closed) and the
    package export (archivist, supervisors). Needs ``index`` and ``case`` in the context."""
    index = context["index"]
    case = context["case"]
    user = context["request"].user
    names = casepage.names_of(case, casepage.agency_users(index.agency_id))
    can_archive = actions.can_archive(user, index.agency_id)
    closed, archived_by = closure_state(index) if can_archive else (False, "")
    return {
        "index": index,
        "rows": casepage.document_rows(index.agency_id, index.case_number, case, names),
        "can_archive": can_archive,
        "closed": closed,
        "archived_by": archived_by,
        "archive_form": ArchiveForm() if can_archive and closed and not archived_by else None,
        "can_export": actions.can_export(user, index.agency_id),
    }


@register.inclusion_tag("lawtrail/record_documents.html", takes_context=True)
def record_documents(context: template.Context) -> dict[str, Any]:
    """The record's 文书: the buttons that generate it (PDF, Word) for the agency's staff, and
    the ones generated so far. Needs ``index``, ``case`` and ``record`` in the context."""
    index = context["index"]
    case = context["case"]
    record = context["record"]
    user = context["request"].user
    names = casepage.names_of(case, casepage.agency_users(index.agency_id))
    rows = casepage.document_rows(index.agency_id, index.case_number, case, names)
    return {
        "index": index,
        "record": record,
        "template": template_for(record.kind),
        "rows": [row for row in rows if row.record_id == record.id],
        "can_generate": actions.can_write(user, index.agency_id),
    }
