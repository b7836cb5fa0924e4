"""The next case number (案号) of an agency, offered on the new-case form: the agency's pattern
for the procedure (``Agency.case_number_patterns``, reference data in the admin) and the
numbers of the year already taken — read from the case index with an indexed prefix search
(the index is the ledger's projection; the append refuses a number taken meanwhile)."""

from __future__ import annotations

from lawtrail.core.case_numbers import CaseNumberPattern, PatternError
from lawtrail.web.models import Agency, CaseIndex


def pattern(agency: Agency, procedure: str) -> CaseNumberPattern | None:
    """The agency's pattern for the procedure (the general one when it has none of its own)."""
    patterns = agency.case_number_patterns or {}
    text = patterns.get(procedure) or patterns.get("general")
    if not text:
        return None
    try:
        return CaseNumberPattern(str(text))
    except PatternError:
        return None  # refused in the admin; a row edited around it offers nothing


def suggest(agency: Agency, procedure: str, year: int) -> str:
    """The next case number of the year for the procedure, or "" (no pattern)."""
    found = pattern(agency, procedure)
    if found is None:
        return ""
    taken = CaseIndex.objects.filter(
        agency=agency, case_number__startswith=found.prefix(year)
    ).values_list("case_number", flat=True)
    return found.next(taken, year)
