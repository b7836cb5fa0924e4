"""Counting an officer's work on a record form: the fields a user must fill and the clicks it
takes (issue #15, docs/officer-workflow.md).

One script for both sides of the comparison: it drives whatever the pages offer — the record
form's own upload (``#record-attach``) when there is one, else the case's media page first —
and it uses only the browser (playwright) and the pages, never the project's code, so that it
runs unchanged against a server of an older checkout.

What is counted, the same way on both sides:

- a *field* is an input the user gives a value: a text typed, an option chosen, a box ticked,
  a file chosen, a signature drawn. A field that already holds the wanted value (a default:
  the current user as the first officer, the act time) is not touched and not counted;
- a *click* is every pointer action: following a link, pressing a button, opening a folded
  section, putting the cursor in a text field, choosing an option, ticking a box, choosing a
  file (one click: the file dialog's choice is not counted), drawing a signature (one stroke
  group, one click).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEEP = object()  # wanted: any value the field already holds (typed only when it is empty)


@dataclass
class Count:
    fields: int = 0
    clicks: int = 0
    filled: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"fields": self.fields, "clicks": self.clicks, "filled": self.filled}


def _unfold(page: Any, locator: Any, count: Count) -> None:
    """Open the folded <details> that hold the input (outermost first): a click each."""
    levels = locator.evaluate(
        """el => { const out = []; let n = 0;
            for (let d = el.closest('details'); d; d = d.parentElement.closest('details')) {
                n += 1; if (!d.open) out.push(n); }
            return out.reverse(); }"""
    )
    for level in levels:
        locator.locator(f"xpath=ancestor::details[{level}]/summary").click()
        count.clicks += 1


def fill(page: Any, wanted: Mapping[str, Any], count: Count) -> None:
    """Give each named input its wanted value unless it holds it already."""
    for name, value in wanted.items():
        first = page.locator(f'[name="{name}"]').first
        what = first.evaluate("el => el.tagName.toLowerCase() + ':' + (el.type || '')")
        if what == "input:checkbox":
            values = value if isinstance(value, list) else None
            boxes = (
                [page.locator(f'input[name="{name}"][value="{v}"]') for v in values]
                if values is not None
                else [first]
            )
            for box in boxes:
                if not box.is_checked():
                    _unfold(page, box, count)
                    box.check()
                    count.clicks += 1
                    count.fields += 1
                    count.filled.append(name)
            continue
        current = first.input_value()
        if value is KEEP:
            if current:
                continue
            raise AssertionError(f"{name} is empty and has no value to type")
        if current == value:
            continue
        _unfold(page, first, count)
        if what.startswith("select"):
            assert first.select_option(value=value) == [value], (name, value)
        else:
            first.fill(value)
        count.clicks += 1
        count.fields += 1
        count.filled.append(name)


def draw_signature(page: Any, slot: int, count: Count) -> None:
    canvas = page.locator(f'canvas.sig-pad[data-target="id_sig_{slot}_drawn"]')
    _unfold(page, canvas, count)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.2, y + h * 0.5)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + w * (0.2 + 0.05 * step), y + h * (0.5 + (-1) ** step * 0.15), steps=2)
    page.mouse.up()
    page.wait_for_function(
        "id => document.getElementById(id).value.startsWith('data:image/png')",
        arg=f"id_sig_{slot}_drawn",
    )
    count.clicks += 1
    count.fields += 1
    count.filled.append(f"sig_{slot} (drawn)")


def click(page: Any, locator: Any, count: Count, *, navigates: bool = True) -> None:
    if navigates:
        with page.expect_navigation():
            locator.click()
    else:
        locator.click()
    count.clicks += 1


def record(
    page: Any,
    case_pk: int,
    kind: str,
    wanted: Mapping[str, Any],
    *,
    signatures: tuple[int, ...] = (),
    video: Path | None = None,
    on_form: Callable[[Any], None] | None = None,
) -> dict[str, Any]:
    """From the case page to the saved record: returns the counts and the record's URL."""
    count = Count()
    page.goto(f"/cases/{case_pk}/")  # the officer is on the case page: not counted
    digest = ""
    if video is not None and not _form_uploads(page, case_pk, kind):
        # Before: the video goes to the case's media page first, then the form is opened.
        click(page, page.locator(f'a[href$="/cases/{case_pk}/media/"]').first, count)
        page.set_input_files("#upload-files", video)
        count.clicks += 1
        count.fields += 1
        count.filled.append("video (media page)")
        item = page.locator("#upload-queue li.upload-item").filter(has_text=video.name)
        item.locator(".upload-result").filter(has_text="已入库").wait_for(timeout=60_000)
        digest = re.search(r"sha256 ([0-9a-f]{64})", item.inner_text())[1]  # type: ignore[index]
        click(page, page.locator(f'a[href$="/cases/{case_pk}/"]').first, count)
    click(page, page.locator(f'.kind-menu a[href$="/records/new/{kind}/"]'), count)
    if video is not None and digest:
        fill(page, {"media": [digest]}, count)
    elif video is not None:
        # After: chosen inside the form, stored and ticked there.
        page.locator("#record-attach input.attach-input").first.set_input_files(video)
        count.clicks += 1
        count.fields += 1
        count.filled.append("video (in the form)")
        page.locator("#attach-queue li.attach-ok").first.wait_for(timeout=60_000)
    fill(page, wanted, count)
    for slot in signatures:
        draw_signature(page, slot, count)
    if on_form is not None:
        on_form(page)
    submit = page.locator("form.record-form button.primary[type=submit]")
    click(page, submit, count)
    if page.locator("input[name=confirm_violations]").count():
        problems = page.locator(".verdict-list").all_inner_texts()
        raise AssertionError(f"the record would break a rule: {problems}")
    errors = page.locator(".form-errors, .has-error")
    if errors.count():
        raise AssertionError(f"refused: {errors.all_inner_texts()}")
    assert re.search(rf"/cases/{case_pk}/records/[^/]+/$", page.url), page.url
    return {**count.as_dict(), "url": page.url}


def _form_uploads(page: Any, case_pk: int, kind: str) -> bool:
    """Whether the record form takes the video itself (looked up without counting)."""
    probe = page.context.new_page()
    try:
        probe.goto(f"/cases/{case_pk}/records/new/{kind}/")
        return probe.locator("#record-attach").count() > 0
    finally:
        probe.close()
