"""Drafts (issue #15): a record is composed as a draft — kept on the server, out of the ledger —
with the rules' verdict shown before it becomes permanent; a submit that would add a violation
needs the user's confirmation; no submit, refusal or lost session loses typed input; drafts are
seen by their author and the case team only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client

from lawtrail.core import timeutil
from lawtrail.web.models import CaseIndex, RecordDraft
from tests.integration.web.test_web_cases import AT, example, load, new_record_url, page

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
INSPECTION = {
    "at": AT,
    "f_location": "东昌区新华大街88号",
    "f_findings": "货架上有过期食品12袋",
    "officer_0": "market.handler",
    "officer_0_shown": "true",
    "officer_1": "market.officer",
    "officer_1_shown": "true",
}


def record_count(index: CaseIndex) -> int:
    return len(load(index).records)


def test_a_draft_keeps_the_input_out_of_the_ledger_and_says_what_submitting_would_violate(
    demo_cases: None, login: Login
) -> None:
    index = example()
    before = record_count(index)
    client = login("market.handler")
    response = client.post(
        new_record_url(index, "site_inspection"), {**INSPECTION, "_action": "draft"}
    )
    assert response.status_code == 200
    html = page(response)
    # the signatures are missing: 000 … 002 art. 12 (笔录 signed by officers and the party)
    assert "提交前检查" in html and "提交后将违反第十二条" in html and "签名" in html
    assert record_count(index) == before
    [draft] = RecordDraft.objects.filter(case=index)
    assert draft.open and draft.author.username == "market.handler"
    assert draft.data["f_findings"] == ["货架上有过期食品12袋"]
    case_page = page(client.get(f"/cases/{index.pk}/"))
    assert "草稿（未提交）" in case_page and f"?draft={draft.pk}" in case_page
    assert "现场检查" in page(client.get("/inbox/")).split("我的草稿")[1]


def test_a_submit_that_would_add_a_violation_needs_confirmation_and_keeps_the_draft(
    demo_cases: None, login: Login
) -> None:
    index = example()
    before = record_count(index)
    client = login("market.handler")
    url = new_record_url(index, "site_inspection")
    unconfirmed = client.post(url, INSPECTION)
    assert unconfirmed.status_code == 200
    assert "提交后将产生下列违规" in page(unconfirmed)
    assert 'name="confirm_violations"' in page(unconfirmed)
    assert record_count(index) == before
    [draft] = RecordDraft.objects.filter(case=index)
    assert draft.open
    confirmed = client.post(url, {**INSPECTION, "draft": draft.pk, "confirm_violations": "1"})
    assert confirmed.status_code == 302
    after = load(index)
    assert len(after.records) == before + 1
    draft.refresh_from_db()
    assert draft.submitted_record == after.records[-1].id and not draft.open
    assert f"?draft={draft.pk}" not in page(client.get(f"/cases/{index.pk}/"))


def test_a_refused_submit_keeps_what_was_typed(demo_cases: None, login: Login) -> None:
    index = example()
    client = login("market.handler")
    typed = {**INSPECTION, "officer_1": "market.expired", "f_findings": "一段很长的检查情况"}
    response = client.post(new_record_url(index, "site_inspection"), typed)
    assert response.status_code == 200
    assert "已过期" in page(response)
    [draft] = RecordDraft.objects.filter(case=index)
    assert draft.data["f_findings"] == ["一段很长的检查情况"]


def test_autosave_answers_json_and_a_new_session_reopens_the_draft_checked(
    demo_cases: None, login: Login
) -> None:
    index = example()
    url = new_record_url(index, "site_inspection")
    saved = login("market.handler").post(url, {**INSPECTION, "_action": "autosave"})
    assert saved.status_code == 200 and saved.json()["saved"] is True
    draft_id = saved.json()["draft"]
    again = login("market.handler").post(
        url, {**INSPECTION, "f_findings": "补充", "draft": draft_id, "_action": "autosave"}
    )
    assert again.json()["draft"] == draft_id  # the same draft, updated
    reopened = login("market.handler").get(url, {"draft": draft_id})  # another session
    html = page(reopened)
    assert reopened.status_code == 200 and "补充" in html and "提交前检查" in html
    # signed out, an autosave stores nothing (the page keeps it in the browser instead)
    anonymous = Client().post(url, {**INSPECTION, "_action": "autosave"})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    assert RecordDraft.objects.count() == 1


def test_a_draft_is_seen_by_its_author_and_the_case_team_only(
    demo_cases: None, login: Login
) -> None:
    index = example()
    url = new_record_url(index, "site_inspection")
    draft_id = (
        login("market.handler").post(url, {**INSPECTION, "_action": "autosave"}).json()["draft"]
    )
    # market.officer is named in the case by the draft only, not by the case: not the team
    assert login("market.officer").get(url, {"draft": draft_id}).status_code == 403
    assert login("market.head").get(url, {"draft": draft_id}).status_code == 403
    assert login("postal.handler").get(url, {"draft": draft_id}).status_code == 403
    assert f"?draft={draft_id}" not in page(login("market.officer").get(f"/cases/{index.pk}/"))
    # only the author gives it up
    discard = {"draft": draft_id, "_action": "discard"}
    assert login("market.officer").post(url, discard).status_code == 403
    assert login("market.handler").post(url, discard).status_code == 302
    assert not RecordDraft.objects.get(pk=draft_id).open


@pytest.mark.parametrize(
    ("at", "message"),
    [
        (lambda: timeutil.now() + timedelta(days=1), "晚于当前时间"),
        (lambda: timeutil.now() - timedelta(days=3 * 366), "早于立案时间"),
    ],
    ids=["tomorrow", "three-years-before-the-case"],
)
def test_an_implausible_act_time_is_refused_in_chinese(
    demo_cases: None, login: Login, at: Callable[[], object], message: str
) -> None:
    index = example()
    before = record_count(index)
    moment = at()
    typed = {**INSPECTION, "at": timeutil.local(moment).strftime("%Y-%m-%dT%H:%M")}  # type: ignore[arg-type]
    response = login("market.handler").post(new_record_url(index, "site_inspection"), typed)
    assert response.status_code == 200
    assert message in page(response)
    assert record_count(index) == before
