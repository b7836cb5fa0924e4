"""Template filters that turn the system's identifiers into what users read."""

from __future__ import annotations

from django import template

from lawtrail.core.record_kinds import records_named as _records_named
from lawtrail.web.casepage import record_label as _record_label
from lawtrail.web.dashboard import regulation_title as _regulation_title

register = template.Library()


@register.filter
def regulation_title(file_name: str) -> str:
    """A regulation's title as users know it (not its packaged file's name)."""
    return _regulation_title(str(file_name))


@register.filter
def record_no(record_id: str) -> str:
    """A record named by its number in the case (第7份记录), not its id (r7)."""
    return _record_label(str(record_id))


@register.filter
def records_named(text: str) -> str:
    """A message (a finding, a notice) with the records it cites named 第9份记录, not r9."""
    return _records_named(str(text))
