"""Secrecy and the party's 查阅/复制 (issue #16) in the web shell, on SQLite and PostgreSQL: a
涉及国家秘密 case refuses uploads and stores nothing; labelled content is masked for an officer
outside the case team, who asks the head for access; a party's copy request from registration
to the one-time download, whose PDF holds none of the redacted values and whose cover lists what
was withheld; the 20-working-day period of benxi-hrss across a holiday; an expired link refused;
the verification page confirms the issued copy and rejects a changed one."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client

from lawtrail import secrecy_service
from lawtrail import verify as offline
from lawtrail.core import secrecy, timeutil
from lawtrail.core.secrecy import Target
from lawtrail.web import actions, wiring
from lawtrail.web.models import CaseIndex, User

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
NUMBER = "本人社监〔2026〕916号"
# A third party's personal data (a witness, a natural person of the case) and a trade secret:
# none of them may be in the party's copy.
WITNESS_ID = "210502198807154321"
WITNESS_PHONE = "13904149876"
WITNESS_ADDRESS = "本溪市平山区胜利路17号3单元"
TRADE_SECRET = "工程款结算单价每平方米388元"
PRIVATE_RECORD_TEXT = "张某某患有慢性疾病的诊断情况"
# 2026-09-25 (Friday) falls before the 国庆 holiday (10-01 … 10-07; 09-27 Sunday and 10-10
# Saturday are working days): 20 working days from it — 09-28, 09-29, 09-30 (3), the rest of
# the holiday off, 10-08, 10-09, 10-10 (6), 10-12 … 10-16 (11), 10-19 … 10-23 (16),
# 10-26 … 10-29 (20) — end on 2026-10-29, not on 10-23 as weekdays alone would give.
RECEIVED = "2026-09-25T10:00"


@pytest.fixture
def case(demo_users: list[Any]) -> CaseIndex:
    """A benxi-hrss case opened by hrss.handler on 2026-09-04: the company (p1) and a witness
    (p2); the ledger's clock then as the tests' (they travel to later days)."""
    with time_machine.travel(datetime(2026, 9, 4, 9, 0, tzinfo=timeutil.SHANGHAI), tick=False):
        return _open_case()


def _open_case() -> CaseIndex:
    handler = User.objects.get(username="hrss.handler")
    header = {
        "case_number": NUMBER,
        "title": "某劳务公司拖欠工资案",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "complaint",
        "major": False,
        "opened_at": "2026-09-01T09:00:00+08:00",
        "parties": [
            {"id": "p1", "name": "本溪市某劳务有限公司", "kind": "organization"},
            {
                "id": "p2",
                "name": "李四",
                "kind": "person",
                "id_number": WITNESS_ID,
                "address": WITNESS_ADDRESS,
                "contact": WITNESS_PHONE,
            },
        ],
    }
    first = {
        "id": "c1",
        "kind": "complaint",
        "at": "2026-09-01T09:00:00+08:00",
        "fields": {
            "complainant": "王某某等12名农民工",
            "content": (
                f"公司拖欠工资；证人李四（身份证号 {WITNESS_ID}，电话 {WITNESS_PHONE}）知情。"
            ),
            "taken_up": True,
        },
    }
    index = actions.do_open_case(handler, header, first)
    actions.do_append_record(
        handler,
        index,
        {
            "id": "c2",
            "kind": "complaint",
            "at": "2026-09-02T09:00:00+08:00",
            "fields": {"complainant": "李四", "content": f"证人补充：{TRADE_SECRET}。"},
        },
    )
    actions.do_append_record(
        handler,
        index,
        {
            "id": "c3",
            "kind": "complaint",
            "at": "2026-09-03T09:00:00+08:00",
            "fields": {"complainant": "张某某", "content": PRIVATE_RECORD_TEXT},
        },
    )
    return CaseIndex.objects.get(pk=index.pk)


def label(index: CaseIndex, kind: str, target: Target, **extra: Any) -> str:
    return secrecy_service.do_label(
        wiring.ledger(),
        index.agency_id,
        index.case_number,
        kind=kind,
        target=target,
        reason="含有不宜公开的内容",
        by="hrss.handler",
        **extra,
    )


def accesses(index: CaseIndex, action: str) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("access",)
    )
    found = [e.data()["access"] for e in entries]
    return [a for a in found if a["action"] == action]


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    result = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    )
    return result.stdout


# ---------------------------------------------------------------------------- 涉及国家秘密


def test_a_state_secret_case_refuses_an_upload_and_stores_nothing(
    case: CaseIndex, login: Login, web_env: Path
) -> None:
    handler = login("hrss.handler")
    response = handler.post(
        f"/cases/{case.pk}/secrecy/",
        {
            "act": "label",
            "kind": "state_secret",
            "target": "case",
            "reason": "案件涉及国家秘密事项",
            "location": "本局机要室 3 号保密柜",
            "level": "confidential",
            "period": "10年",
            "custodian": "机要员 周某",
        },
    )
    assert response.status_code == 302
    media_before = list((web_env / "media").rglob("*")) if (web_env / "media").exists() else []
    query = urlencode(
        {"filename": "IMG_0001.JPG", "captured_at": "2026-09-02T10:00:00+08:00", "device": "phone"}
    )
    response = handler.put(
        f"/cases/{case.pk}/media/upload/?{query}",
        b"\xff\xd8\xff\xe0" + b"\x00" * 2000,
        content_type="application/octet-stream",
    )
    assert response.status_code == 400
    assert "涉及国家秘密的内容不得录入本系统" in response.json()["error"]
    assert "保守国家秘密法" in response.json()["error"]
    files = (
        [p for p in (web_env / "media").rglob("*") if p.is_file()]
        if (web_env / "media").exists()
        else []
    )
    assert [p for p in files if p not in media_before] == []
    assert not list(
        wiring.ledger().entries(case.agency_id, case_number=case.case_number, types=("media",))
    )
    # The page shows the reference to the team, and nothing but the reference is stored.
    page = handler.get(f"/cases/{case.pk}/secrecy/").content.decode()
    assert "本局机要室 3 号保密柜" in page and "机密" in page
    [entry] = [
        e.data()["secrecy"] for e in wiring.ledger().entries(case.agency_id, types=("secrecy",))
    ]
    assert set(entry["reference"]) == {"location", "level", "period", "custodian"}


def test_a_state_secret_label_takes_only_its_reference_never_content(case: CaseIndex) -> None:
    with pytest.raises(secrecy.SecrecyError, match="涉及国家秘密的内容不得录入本系统"):
        label(
            case,
            "state_secret",
            Target("case"),
            reference={
                "location": "机要室",
                "level": "secret",
                "period": "5年",
                "custodian": "周某",
                "content": "某涉密文件的正文……",
            },
        )
    assert not list(wiring.ledger().entries(case.agency_id, types=("secrecy",)))


# ---------------------------------------------------------------------------- need to know


def test_an_officer_outside_the_team_sees_the_record_masked_and_the_head_grants_access(
    case: CaseIndex, login: Login
) -> None:
    label(case, "trade_secret", Target("field", record="c2", field="content"), holder="p1")
    officer = login("hrss.officer")  # of the agency, not of the case team
    page = officer.get(f"/cases/{case.pk}/records/c2/").content.decode()
    assert TRADE_SECRET not in page
    assert "〔内容已隐去：商业秘密〕" in page and "向负责人申请查看" in page
    # The API and the 文书 decide the same way.
    api = officer.get(f"/api/cases/{case.pk}/records/c2").json()
    assert api["record"]["fields"]["content"] == "〔内容已隐去：商业秘密〕"
    assert TRADE_SECRET not in officer.get(f"/api/cases/{case.pk}").content.decode()
    refused = officer.post(f"/cases/{case.pk}/records/c2/document/pdf/")
    assert refused.status_code == 403
    # Nor through the correction form, which is filled with the record's values.
    correcting = officer.get(f"/cases/{case.pk}/records/new/complaint/?corrects=c2")
    assert correcting.status_code == 403
    assert TRADE_SECRET not in correcting.content.decode()
    # Personal data is masked outside the team: the witness's number on the case page.
    case_page = officer.get(f"/cases/{case.pk}/").content.decode()
    assert WITNESS_ID not in case_page and "210502********4321" in case_page
    assert TRADE_SECRET not in case_page
    assert WITNESS_ID not in officer.get(f"/cases/{case.pk}/records/c1/").content.decode()
    assert not accesses(case, "view_labelled")

    response = officer.post(
        f"/cases/{case.pk}/secrecy/", {"act": "request", "reason": "协助核对工程款"}
    )
    assert response.status_code == 302
    head = login("hrss.head")
    inbox = head.get("/inbox/").content.decode()
    assert "申请查看标识内容" in inbox and "hrss.officer" in inbox
    [req] = secrecy_service.state(wiring.ledger(), case.agency_id).access.values()
    # Only the head decides.
    assert (
        officer.post(
            f"/cases/{case.pk}/secrecy/",
            {"act": "decide", "request": req.id, "granted": "1", "reason": "同意"},
        ).status_code
        == 403
    )
    response = head.post(
        f"/cases/{case.pk}/secrecy/",
        {"act": "decide", "request": req.id, "granted": "1", "reason": "工作需要，同意查看"},
    )
    assert response.status_code == 302
    assert "申请查看标识内容" not in head.get("/inbox/").content.decode()
    page = officer.get(f"/cases/{case.pk}/records/c2/").content.decode()
    assert TRADE_SECRET in page
    [logged] = accesses(case, "view_labelled")
    assert logged["user"] == "hrss.officer" and logged["target"] == "c2"
    # The case team sees it from the start, logged too.
    assert (
        TRADE_SECRET in login("hrss.handler").get(f"/cases/{case.pk}/records/c2/").content.decode()
    )
    assert len(accesses(case, "view_labelled")) == 2


def test_lists_and_search_results_mask_personal_data_for_everyone(
    case: CaseIndex, login: Login
) -> None:
    handler = User.objects.get(username="hrss.handler")
    # A case whose 案由 names a person's phone: masked in the list, the search and the API list.
    other = actions.do_open_case(
        handler,
        {
            "case_number": "本人社监〔2026〕917号",
            "title": f"举报人 {WITNESS_PHONE} 反映的欠薪案",
            "acts": ["penalty"],
            "procedure": "general",
            "origin": "complaint",
            "major": False,
            "opened_at": "2026-09-04T09:00:00+08:00",
            "parties": [],
        },
        {"id": "c1", "kind": "complaint", "at": "2026-09-04T09:00:00+08:00", "fields": {}},
    )
    team = login("hrss.handler")
    for url in ("/cases/", "/cases/?q=欠薪案", "/api/cases?q=欠薪案"):
        body = team.get(url).content.decode()
        assert WITNESS_PHONE not in body, url
        assert "139****9876" in body, url
    assert other.pk


# ---------------------------------------------------------------------------- the copy


def register(client: Client, index: CaseIndex, items: list[str]) -> str:
    response = client.post(
        f"/cases/{index.pk}/copies/new/",
        {
            "name": "本溪市某劳务有限公司",
            "party": "p1",
            "contact": "法务 王某",
            "mode": "copy",
            "received_via": "counter",
            "received_at": RECEIVED,
            "items": items,
        },
    )
    assert response.status_code == 302, response.content.decode()
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def approve_in_part(client: Client, index: CaseIndex, request_id: str, approved: list[str]) -> None:
    response = client.post(
        f"/cases/{index.pk}/copies/{request_id}/",
        {
            "act": "decide",
            "outcome": "part",
            "approved": approved,
            "withheld_reason": "涉及他人个人隐私，依法应保密",
            "reason": "申请人为本案当事人，除涉及他人隐私的记录外同意复制",
        },
    )
    assert response.status_code == 302, response.content.decode()


def produce(client: Client, index: CaseIndex, request_id: str) -> str:
    response = client.post(
        f"/cases/{index.pk}/copies/{request_id}/", {"act": "produce", "delivery": "link"}
    )
    assert response.status_code == 302, response.content.decode()
    page = client.get(f"/cases/{index.pk}/copies/{request_id}/").content.decode()
    link = re.search(r'href="(http://testserver/copies/download/[^"]+)"', page)
    assert link, page
    return link.group(1).removeprefix("http://testserver")


@time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=timeutil.SHANGHAI), tick=False)
def test_a_copy_request_from_registration_to_download_redacts_and_lists_what_was_withheld(
    case: CaseIndex, login: Login, tmp_path: Path
) -> None:
    label(case, "trade_secret", Target("field", record="c2", field="content"), holder="某建设集团")
    handler = login("hrss.handler")
    request_id = register(handler, case, ["record:c1", "record:c2", "record:c3"])
    head = login("hrss.head")
    inbox = head.get("/inbox/").content.decode()
    assert request_id in inbox and "2026-10-29" in inbox
    approve_in_part(head, case, request_id, ["record:c1", "record:c2"])
    link = produce(handler, case, request_id)

    party = Client()  # the party has no account
    response = party.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    text = pdftotext(pdf, tmp_path)
    for secret in (WITNESS_ID, WITNESS_PHONE, TRADE_SECRET, PRIVATE_RECORD_TEXT):
        assert secret not in text.replace(" ", ""), secret
    flat = re.sub(r"\s+", "", text)
    assert "〔已删除：他人个人信息〕" in flat and "〔已删除：商业秘密〕" in flat
    # The cover: what was withheld and why, what was redacted, the watermark on every page.
    assert "不予提供的材料及理由（1项）" in flat and "涉及他人个人隐私，依法应保密" in flat
    assert "第3份记录" in flat  # the withheld record (c3), named as users name it
    assert "删除处理的内容（2处）" in flat
    pages = text.split("\f")
    assert all(request_id in p for p in pages if p.strip())
    # The ledger: digests and what was redacted (never the value), then the download.
    state = secrecy_service.state(wiring.ledger(), case.agency_id)
    issued = state.copies[request_id].issued
    assert issued is not None and issued.sha256 == hashlib.sha256(pdf).hexdigest()
    assert {(r["record"], r["why"]) for r in issued.redactions} == {
        ("c1", "他人个人信息"),
        ("c2", "商业秘密"),
    }
    assert issued.downloaded_at is not None
    raw = b"".join(e.body for e in wiring.ledger().entries(case.agency_id, types=("secrecy",)))
    assert TRADE_SECRET.encode() not in raw and WITNESS_ID.encode() not in raw
    # One time only.
    again = party.get(link)
    assert again.status_code == 410 and "只能使用一次" in again.content.decode()


def test_the_answer_is_due_20_working_days_after_receipt_across_the_national_day_holiday(
    case: CaseIndex, login: Login
) -> None:
    handler = login("hrss.handler")
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=timeutil.SHANGHAI), tick=False):
        request_id = register(handler, case, ["record:c1"])
        page = handler.get(f"/cases/{case.pk}/copies/{request_id}/").content.decode()
        assert "2026-10-29 23:59" in page and "政府信息公开条例》第三十三条" in page
    # (each day a new sign-in: a session ends after 30 idle minutes)
    with time_machine.travel(datetime(2026, 10, 29, 23, 0, tzinfo=timeutil.SHANGHAI), tick=False):
        inbox = login("hrss.head").get("/inbox/").content.decode()
        assert request_id in inbox and "已逾期" not in inbox
    with time_machine.travel(datetime(2026, 10, 30, 9, 0, tzinfo=timeutil.SHANGHAI), tick=False):
        head = login("hrss.head")
        inbox = head.get("/inbox/").content.decode()
        assert "已逾期" in inbox
        # Extended once, by 20 more working days (10-30 … 11-26), with the head's approval.
        response = head.post(
            f"/cases/{case.pk}/copies/{request_id}/",
            {"act": "extend", "reason": "申请内容较多，需逐项审查"},
        )
        assert response.status_code == 302
        page = head.get(f"/cases/{case.pk}/copies/{request_id}/").content.decode()
        assert "2026-11-26 23:59" in page
        again = head.post(
            f"/cases/{case.pk}/copies/{request_id}/", {"act": "extend", "reason": "再延长"}
        )
        assert again.status_code == 400 and "只能延长一次" in again.content.decode()


def test_an_expired_download_link_is_refused(case: CaseIndex, login: Login) -> None:
    handler, head = login("hrss.handler"), login("hrss.head")
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=timeutil.SHANGHAI), tick=False):
        request_id = register(handler, case, ["record:c1", "record:c3"])
        approve_in_part(head, case, request_id, ["record:c1"])
        link = produce(handler, case, request_id)
    expired = datetime(2026, 10, 5, 10, 1, tzinfo=timeutil.SHANGHAI)  # 7 days and a minute
    with time_machine.travel(expired, tick=False):  # the party needs no session
        response = Client().get(link)
    assert response.status_code == 410
    assert "下载链接已过期" in response.content.decode()
    issued = secrecy_service.state(wiring.ledger(), case.agency_id).copies[request_id].issued
    assert issued is not None and issued.downloaded_at is None
    # A wrong token is no link at all.
    assert Client().get(link[:-3] + "xyz/").status_code == 410


def test_the_verification_page_confirms_an_issued_copy_and_rejects_a_changed_one(
    case: CaseIndex, login: Login, tmp_path: Path
) -> None:
    handler, head = login("hrss.handler"), login("hrss.head")
    with time_machine.travel(datetime(2026, 9, 28, 10, 0, tzinfo=timeutil.SHANGHAI), tick=False):
        request_id = register(handler, case, ["record:c1", "record:c3"])
        approve_in_part(head, case, request_id, ["record:c1"])
        link = produce(handler, case, request_id)
        response = Client().get(link)
    pdf = b"".join(response.streaming_content) if response.streaming else response.content
    anyone = Client()
    page = anyone.get(f"/copies/verify/?request={request_id}").content.decode()
    assert request_id in page and hashlib.sha256(pdf).hexdigest() in page
    (tmp_path / "copy.pdf").write_bytes(pdf)
    with (tmp_path / "copy.pdf").open("rb") as fh:
        ok = anyone.post(f"/copies/verify/?request={request_id}", {"file": fh})
    assert ok.status_code == 200
    body = ok.content.decode()
    assert "一致" in body and "不一致" not in body and request_id in body
    assert "本溪市某劳务有限公司" not in body  # the recipient masked on a public page
    # An edit saved by a PDF editor is appended as an incremental update.
    changed = pdf + b"\n1 0 obj\n<</Type /Annot /Contents (edited)>>\nendobj\n%%EOF\n"
    (tmp_path / "changed.pdf").write_bytes(changed)
    with (tmp_path / "changed.pdf").open("rb") as fh:
        bad = anyone.post(f"/copies/verify/?request={request_id}", {"file": fh})
    assert "不一致" in bad.content.decode()
    by_digest = anyone.post("/copies/verify/", {"sha256": hashlib.sha256(pdf).hexdigest()})
    assert "一致" in by_digest.content.decode() and "不一致" not in by_digest.content.decode()


# ---------------------------------------------------------------------------- packages


def test_a_court_package_holds_everything_and_the_labels_travel_with_it(
    case: CaseIndex, login: Login, tmp_path: Path, web_env: Path
) -> None:
    label(case, "trade_secret", Target("field", record="c2", field="content"), holder="p1")
    lifted = label(case, "work_secret", Target("record", record="c1"))
    secrecy_service.do_lift(
        wiring.ledger(),
        case.agency_id,
        case.case_number,
        lifted,
        reason="案件已办结，不再作为工作秘密",
        by="hrss.head",
    )
    response = login("hrss.archivist").get(f"/cases/{case.pk}/export/")
    assert response.status_code == 200, response.content[:500]
    data = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path / "out")
    [bag] = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    key = (web_env / "keys" / f"{case.agency_id}.vkey").read_text("utf-8")
    checked = offline.verify_package(bag, key=key, allow_unwitnessed=True)
    assert checked.intact, offline.report_text(checked)
    # everything: the labelled record's content is in the court's package …
    assert TRADE_SECRET in (bag / "data" / "case.json").read_text("utf-8")
    # … and says it is a trade secret; the lifted label stays, marked lifted
    labels = json.loads((bag / "data" / "secrecy" / "labels.json").read_text("utf-8"))
    by_kind = {row["kind"]: row for row in labels["labels"]}
    assert by_kind["trade_secret"]["target"] == {
        "kind": "field",
        "record": "c2",
        "field": "content",
    }
    assert by_kind["trade_secret"]["active"] is True
    assert by_kind["work_secret"]["active"] is False
    assert by_kind["work_secret"]["lifted_by"] == "hrss.head"
