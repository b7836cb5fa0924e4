"""The party's copy as a PDF (issue #16 item 4): the cover sheet and the records given, laid out
from the *already redacted* texts of :func:`lawtrail.core.party_copy.plan` — a redacted value is
never in the HTML, so it cannot be in the PDF. Every page is watermarked with the request number
and the recipient; the cover's QR code leads to the public verification page; approved media
files travel inside the PDF as attachments (one file, one digest)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape

from lawtrail.core import secrecy
from lawtrail.core.party_copy import Plan
from lawtrail.core.record_kinds import record_label
from lawtrail.core.secrecy import CopyRequest
from lawtrail.documents.render import DocumentRenderer

_TEMPLATES = Path(__file__).parent / "templates" / "party_copy"
_env = Environment(
    loader=FileSystemLoader(str(_TEMPLATES)),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Records as users name them (第1份记录), never their ids (issue #15).
_env.filters["record_label"] = record_label


@dataclass(frozen=True)
class RenderedCopy:
    pdf: bytes
    pages: int


def _css_safe(text: str) -> str:
    """For the CSS strings of the page header: no quote, backslash or angle bracket."""
    return re.sub(r"[\"'\\<>\n\r]", "", text)[:60]


def item_text(item: secrecy.Item, names: Mapping[str, str]) -> str:
    what = names.get(item.key, "")
    ref = record_label(item.ref) if item.type == "record" else f"SHA-256 {item.ref[:16]}…"
    return f"{ref} {what}".strip()


def render_copy(
    renderer: DocumentRenderer,
    *,
    plan: Plan,
    request: CopyRequest,
    agency: str,
    case_number: str,
    verify_url: str,
    basis: str,
    produced_at: str,
    names: Mapping[str, str],
    media: Mapping[str, bytes],
) -> RenderedCopy:
    """``names``: item key → what it is ("询问笔录", a file name); ``media``: sha256 → bytes of
    each approved media file, attached to the PDF."""
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2)
    html = _env.get_template("copy.html").render(
        request=request,
        recipient=_css_safe(request.requester_name),
        agency=agency,
        case_number=case_number,
        mode=secrecy.MODES.get(request.mode, request.mode),
        received_at=f"{request.received_at:%Y-%m-%d %H:%M}",
        received_via=secrecy.RECEIVED_VIA.get(request.received_via, request.received_via),
        outcome=secrecy.OUTCOMES.get(request.outcome, request.outcome),
        decided_at=f"{request.decided_at:%Y-%m-%d %H:%M}" if request.decided_at else "",
        decision_reason=request.decision_reason,
        basis=basis,
        produced_at=produced_at,
        qr=qr,
        verify_url=verify_url,
        given=[
            {"type": secrecy.ITEM_TYPES.get(i.type, i.type), "text": item_text(i, names)}
            for i in plan.given
        ],
        withheld=[
            {
                "type": secrecy.ITEM_TYPES.get(w.item.type, w.item.type),
                "text": item_text(w.item, names),
                "reason": w.reason,
            }
            for w in plan.withheld
        ],
        redactions=[
            {"where": f"记录 {r['record']} · {r.get('label') or r['field']}", "why": r["why"]}
            for r in plan.redactions
        ],
        records=plan.records,
        media=[
            {
                "href": "data:application/octet-stream;base64,"
                + base64.b64encode(media[m.sha256]).decode("ascii"),
                "name": m.filename or m.sha256[:16],
            }
            for m in plan.media
            if m.sha256 in media
        ],
    )
    pdf, pages = renderer.html_to_pdf(html)
    return RenderedCopy(pdf, pages)
