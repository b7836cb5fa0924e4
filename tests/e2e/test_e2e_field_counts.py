"""The fields and clicks of an officer's two everyday records — a standard 询问笔录 and a
现场检查笔录 with a body-camera video — measured in Chromium by one counting script
(tests/e2e/formcount.py) from the case page to the saved record (issue #15; the numbers are in
docs/officer-workflow.md).

The counts of this checkout are taken on the session's server. With LAWTRAIL_BEFORE_SRC set to
the ``src`` folder of an older checkout (``git worktree add /tmp/before d984997^``), the same
script is also run against a server started from that checkout, and this checkout must need
fewer fields and fewer clicks for each record. Both sets of counts are written to
test-artifacts/field-counts/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lawtrail.web.launch import LocalServer
from tests.e2e import formcount
from tests.e2e.conftest import ARTIFACTS, PASSWORD, SampleVideo, beijing_now, typed

pytestmark = pytest.mark.e2e

OUT = ARTIFACTS.parent / "field-counts"
BEFORE_SRC = os.environ.get("LAWTRAIL_BEFORE_SRC", "")
# the two officers sign on paper (handwritten), the party on the screen
OFFICERS_SIGN = {
    "sig_1_role": "officer",
    "sig_1_signer": "person:market.handler",
    "sig_1_method": "handwritten",
    "sig_2_role": "officer",
    "sig_2_signer": "person:market.officer",
    "sig_2_method": "handwritten",
}

OPEN_CASE = """
import json
from django.db import transaction
from lawtrail import services
from lawtrail.core.caseio import parse_case
from lawtrail.web import actions, wiring
from lawtrail.web.models import User
case = json.loads(CASE_JSON)
with transaction.atomic():
    services.do_import_case(wiring.ledger(), parse_case(case))
    handler = User.objects.get(username="market.handler")
    index = actions.project(case["agency"], case["case_number"], handler=handler)
print("CASE-PK", index.pk)
"""
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tonghua-market"


def open_case(server: LocalServer, opened: str) -> int:
    """A general-procedure case of the market agency at the start of its investigation: the
    example case's approved 程序启动审批表 only, under a new number, imported (not counted:
    the records after it are)."""
    case = json.loads((EXAMPLE / "compliant-ex-officio-penalty.json").read_text("utf-8"))
    case["case_number"] = f"通市监罚〔2026〕{secrets.randbelow(9000) + 1000}号"
    case["opened_at"] = opened
    start = case["records"][0]
    assert start["kind"] == "initiation_approval", start["kind"]
    start["at"] = opened
    for signature in start.get("signatures", []):
        signature["at"] = opened
    case["records"] = [start]
    script = OPEN_CASE.replace("CASE_JSON", repr(json.dumps(case, ensure_ascii=False)))
    done = server.lawtrail("manage", "shell", "-c", script)
    assert done.returncode == 0, done.stderr
    found = re.search(r"CASE-PK (\d+)", done.stdout)
    assert found, done.stdout
    return int(found[1])


def measure(server: LocalServer, browser: Any, video: Path) -> dict[str, Any]:
    now = beijing_now().replace(second=0)
    pk = open_case(server, (now - timedelta(hours=3)).isoformat())
    context = browser.new_context(
        base_url=server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1440, "height": 900},
    )
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto("/login/")
        page.fill("input[name=username]", "market.handler")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login/" not in url)
        # the act time: kept when the form offers one, typed when it is empty
        keep = formcount.KEEP if _defaults_time(page, pk) else None
        inquiry = formcount.record(
            page,
            pk,
            "inquiry_record",
            {
                "at": keep or typed(now - timedelta(hours=2)),
                "f_interviewee": "韩立军（经营者）",
                "f_interviewee_role": "party",
                "f_location": "通化市市场监督管理局询问室",
                "f_content": "询问货架上超过保质期食品的进货时间、数量和销售情况",
                "f_rights_notified": ["statement", "defense"],
                "f_rights_notice_method": "询问开始时告知并记入笔录",
                "officer_0": "market.handler",
                "officer_0_shown": "true",
                "officer_1": "market.officer",
                "officer_1_shown": "true",
                "sig_0_role": "party",
                "sig_0_signer": "party:p1",
                **OFFICERS_SIGN,
            },
            signatures=(0,),
        )
        inspection = formcount.record(
            page,
            pk,
            "site_inspection",
            {
                "at": keep or typed(now - timedelta(hours=1)),
                "f_location": "吉林省通化市东昌区龙泉路66号 当事人经营场所",
                "f_findings": "出示执法证件后检查，货架上有超过保质期的袋装饼干12袋",
                "f_present_persons": "韩立军（经营者）",
                "officer_0": "market.handler",
                "officer_0_shown": "true",
                "officer_1": "market.officer",
                "officer_1_shown": "true",
                "sig_0_role": "party",
                "sig_0_signer": "party:p1",
                **OFFICERS_SIGN,
            },
            signatures=(0,),
            video=video,
        )
    finally:
        context.close()
    return {"inquiry_record": inquiry, "site_inspection_with_video": inspection}


DOC = Path(__file__).resolve().parents[2] / "docs" / "officer-workflow.md"
DOC_ROWS = {"询问笔录": "inquiry_record", "现场检查笔录 with a video": "site_inspection_with_video"}


def documented(side: str) -> dict[str, dict[str, int]]:
    """The fields and clicks docs/officer-workflow.md's table states for one side."""
    out: dict[str, dict[str, int]] = {}
    for line in DOC.read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in DOC_ROWS:
            before_f, before_c, after_f, after_c = (int(c) for c in cells[1:])
            numbers = (after_f, after_c) if side == "after" else (before_f, before_c)
            out[DOC_ROWS[cells[0]]] = {"fields": numbers[0], "clicks": numbers[1]}
    assert set(out) == set(DOC_ROWS.values()), f"{DOC} lacks the counts table"
    return out


def _defaults_time(page: Any, pk: int) -> bool:
    """Whether the form offers the act time already (then the officer keeps it)."""
    probe = page.context.new_page()
    try:
        probe.goto(f"/cases/{pk}/records/new/inquiry_record/")
        return bool(probe.locator("[name=at]").input_value())
    finally:
        probe.close()


def test_an_inquiry_and_a_site_inspection_with_video_take_fewer_fields_and_clicks_than_before(
    server, browser, sample_video: SampleVideo, tmp_path: Path, tmp_path_factory
) -> None:  # type: ignore[no-untyped-def]
    video = sample_video.write(tmp_path / "DSJ_现场检查.mp4", beijing_now() - timedelta(hours=1))
    OUT.mkdir(parents=True, exist_ok=True)
    after = measure(server, browser, video)
    (OUT / "after.json").write_text(json.dumps(after, ensure_ascii=False, indent=2), "utf-8")
    # The "after" numbers docs/officer-workflow.md states are the ones measured here, on every
    # run: a change to the forms that adds a field or a click changes the page and the doc.
    measured = {name: {"fields": c["fields"], "clicks": c["clicks"]} for name, c in after.items()}
    assert measured == documented("after"), (measured, documented("after"))
    if not BEFORE_SRC:
        return
    old = LocalServer(tmp_path_factory.mktemp("before-server"), workers=1)
    old.env["PYTHONPATH"] = BEFORE_SRC
    old.start()
    try:
        before = measure(old, browser, video)
    finally:
        old.stop()
    (OUT / "before.json").write_text(json.dumps(before, ensure_ascii=False, indent=2), "utf-8")
    for name in after:
        assert after[name]["fields"] < before[name]["fields"], (name, before[name], after[name])
        assert after[name]["clicks"] < before[name]["clicks"], (name, before[name], after[name])
