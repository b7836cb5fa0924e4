"""Audio/video attached from inside a record form, in Chromium (issue #15): a video chosen on
the form (on a phone the same control opens the camera: ``capture``) is uploaded with a progress
bar into the case's evidence store and appears checked among the record's media; the draft keeps
it. Screenshots at desktop and phone width."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SampleVideo, Walk, beijing_now

pytestmark = pytest.mark.e2e


def test_a_video_is_uploaded_and_attached_from_inside_the_record_form(
    page_for, walk: Walk, shot, server, sample_video: SampleVideo, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    handler = page_for("stats.handler")
    walk.visit(handler, "/cases/")
    link = handler.locator("table a[href^='/cases/']", has_text="栾统罚〔2026〕7号")
    with handler.expect_navigation():
        link.first.click()
    pk = int(re.search(r"/cases/(\d+)/", handler.url)[1])  # type: ignore[index]
    walk.visit(handler, f"/cases/{pk}/records/new/site_inspection/")
    camera = handler.locator("#record-attach input[capture]")
    assert camera.get_attribute("capture") == "environment"
    video = sample_video.write(tmp_path / "现场检查.mp4", beijing_now())
    handler.set_input_files("#record-attach input.attach-input >> nth=0", video)
    item = handler.locator("#attach-queue li").filter(has_text="现场检查.mp4")
    expect(item).to_have_class("attach-ok", timeout=60_000)
    assert item.locator("progress").evaluate("b => b.value") == 100
    checkbox = handler.locator("input[name=media]:checked")
    expect(checkbox).to_have_count(1)
    sha = checkbox.get_attribute("value")
    assert sha and re.fullmatch(r"[0-9a-f]{64}", sha)
    walk.clean(handler)
    shot(handler, "attached-desktop")
    handler.set_viewport_size({"width": 390, "height": 844})
    assert handler.evaluate("document.documentElement.scrollWidth") <= 390
    shot(handler, "attached-phone")
    handler.set_viewport_size({"width": 1280, "height": 900})
    # the draft keeps it: the server now offers the file among the case's media, checked
    handler.locator("textarea[name=f_findings]").fill("现场检查，全程录像")
    with handler.expect_navigation():
        handler.get_by_role("button", name="保存草稿并检查").click()
    expect(handler.locator(f"input[name=media][value='{sha}']")).to_be_checked()
    expect(handler.locator(".verdict")).to_be_visible()
    walk.clean(handler)
