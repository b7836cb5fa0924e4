"""Case header changes (issue #15) in the web shell: the 变更案件信息 form and the API, who may
change a header and who is refused (nothing stored), the history, the case index and its check,
and the archive package of a changed case verified offline."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from lawtrail import verify as offline
from lawtrail import web_cli
from lawtrail.core import completeness
from lawtrail.ledger.verify import verify
from lawtrail.web import actions, wiring
from lawtrail.web.models import ApiToken, CaseIndex, User
from tests.integration.web.test_documents_web import STATS, build_stats_case, package_name

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
NUMBER = "通市监罚〔2026〕950号"


@pytest.fixture
def case(demo_users: list[Any]) -> CaseIndex:
    """A case opened by market.handler (the handler, 承办人): one party, not 重大."""
    handler = User.objects.get(username="market.handler")
    header = {
        "case_number": NUMBER,
        "title": "某商店销售过期食品案",
        "acts": ["penalty"],
        "procedure": "general",
        "origin": "ex_officio",
        "major": False,
        "opened_at": "2026-11-20T09:00:00+08:00",
        "parties": [{"id": "p1", "name": "通化市某商店", "kind": "organization"}],
    }
    first = {
        "id": "r1",
        "kind": "initiation_approval",
        "at": "2026-11-20T09:00:00+08:00",
        "fields": {"reason": "群众举报"},
    }
    return actions.do_open_case(handler, header, first)


def headers(index: CaseIndex) -> list[dict[str, Any]]:
    entries = wiring.ledger().entries(
        index.agency_id, case_number=index.case_number, types=("case",)
    )
    return [e.data() for e in entries]


def form_data(index: CaseIndex, **changes: Any) -> dict[str, Any]:
    """The change form as shown (pre-filled), with ``changes`` applied."""
    case = actions.case_of(index)
    data: dict[str, Any] = {
        "change-title": case.title,
        "change-acts": list(case.acts),
        "change-reason": "调查中发现另一当事人",
    }
    if case.major:
        data["change-major"] = "on"
    for i, p in enumerate(case.parties):
        for key in ("name", "kind", "id_number", "address", "contact", "misjoined"):
            data[f"change-party_{i}_{key}"] = getattr(p, key)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_handler_changes_the_header_through_the_form_and_the_history_shows_it(
    case: CaseIndex, login: Login
) -> None:
    client = login("market.handler")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/change/"' in page and "变更案件信息" in page

    form = client.get(f"/cases/{case.pk}/change/")
    assert form.status_code == 200
    text = form.content.decode()
    assert 'value="某商店销售过期食品案"' in text  # pre-filled
    assert 'value="通化市某商店"' in text
    assert "行政处罚" in text and "增加当事人" in text and "变更理由" in text

    response = client.post(
        f"/cases/{case.pk}/change/",
        form_data(
            case,
            **{
                "change-title": "某商店、张三销售过期食品案",
                "change-major": "on",
                "change-new_0_name": "张三",
                "change-new_0_kind": "person",
                "change-new_0_id_number": "220502199001011234",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()
    change = headers(case)[-1]
    assert change["actor"] == "market.handler"
    body = change["case"]
    assert body["title"] == "某商店、张三销售过期食品案" and body["major"] is True
    assert [p["name"] for p in body["parties"]] == ["通化市某商店", "张三"]
    assert body["change"]["reason"] == "调查中发现另一当事人"
    assert [c["field"] for c in body["change"]["changes"]] == ["title", "major", "party_added"]

    loaded = actions.case_of(case)
    assert loaded.title == "某商店、张三销售过期食品案" and loaded.major
    assert loaded.party("p2") is not None and loaded.party("p2").kind == "person"  # type: ignore[union-attr]
    index = CaseIndex.objects.get(pk=case.pk)
    assert index.title == "某商店、张三销售过期食品案" and index.major

    shown = client.get(f"/cases/{case.pk}/").content.decode()
    assert "案件信息变更" in shown
    assert "案由「某商店销售过期食品案」→「某商店、张三销售过期食品案」" in shown
    assert "重大行政执法决定：否→是" in shown
    assert "增加当事人 张三（个人）" in shown
    assert "变更理由：调查中发现另一当事人" in shown
    assert "刘建国" in shown  # the author, by name


def test_a_change_that_changes_nothing_or_lacks_a_reason_is_refused_and_stores_nothing(
    case: CaseIndex, login: Login
) -> None:
    client = login("market.handler")
    before = headers(case)
    same = client.post(f"/cases/{case.pk}/change/", form_data(case))
    assert same.status_code == 200
    assert "案件信息没有变化，无需变更" in same.content.decode()
    no_reason = client.post(
        f"/cases/{case.pk}/change/",
        form_data(case, **{"change-reason": "", "change-title": "新案由"}),
    )
    assert no_reason.status_code == 200
    assert "请填写「变更理由」" in no_reason.content.decode()
    too_long = client.post(
        f"/cases/{case.pk}/change/", form_data(case, **{"change-title": "案" * 301})
    )
    assert "300" in too_long.content.decode()
    no_acts = client.post(f"/cases/{case.pk}/change/", form_data(case, **{"change-acts": []}))
    assert "行政执法行为" in no_acts.content.decode() and no_acts.status_code == 200
    assert headers(case) == before


def test_a_party_is_never_removed_only_marked_misjoined(case: CaseIndex, login: Login) -> None:
    client = login("market.handler")
    added = client.post(
        f"/cases/{case.pk}/change/", form_data(case, **{"change-new_0_name": "李四"})
    )
    assert added.status_code == 302
    # Leaving a party's name empty does not remove it: it is refused.
    emptied = client.post(
        f"/cases/{case.pk}/change/", form_data(case, **{"change-party_1_name": ""})
    )
    assert emptied.status_code == 200
    assert "请填写「名称或姓名」" in emptied.content.decode()
    marked = client.post(
        f"/cases/{case.pk}/change/",
        form_data(
            case, **{"change-party_1_misjoined": "系同名误列", "change-reason": "当事人误列"}
        ),
    )
    assert marked.status_code == 302
    loaded = actions.case_of(case)
    assert [p.id for p in loaded.parties] == ["p1", "p2"]
    assert [p.id for p in loaded.listed_parties] == ["p1"]
    shown = client.get(f"/cases/{case.pk}/").content.decode()
    assert "当事人 李四：标为误列（系同名误列）" in shown
    assert "误列</span>" in shown  # the party table marks it, keeps it


@pytest.mark.parametrize("username", ["market.legal", "market.archivist", "market.expired"])
def test_outside_the_case_team_the_change_is_refused_403_and_logged(
    case: CaseIndex, login: Login, username: str
) -> None:
    client = login(username)
    before = headers(case)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'href="/cases/{case.pk}/change/"' not in page
    assert client.get(f"/cases/{case.pk}/change/").status_code == 403
    refused = client.post(
        f"/cases/{case.pk}/change/", form_data(case, **{"change-title": "别的案由"})
    )
    assert refused.status_code == 403
    assert "只有本案承办人" in refused.content.decode()
    assert headers(case) == before
    accesses = [
        e.data()["access"]
        for e in wiring.ledger().entries(MARKET, case_number=NUMBER, types=("access",))
    ]
    assert accesses[-1]["outcome"] == "denied" and accesses[-1]["user"] == username


@pytest.mark.parametrize("username", ["gazetteer.handler", "supervisor", "admin"])
def test_another_agencys_user_a_supervisor_or_an_admin_cannot_change(
    case: CaseIndex, login: Login, username: str
) -> None:
    before = headers(case)
    response = login(username).post(
        f"/cases/{case.pk}/change/", form_data(case, **{"change-title": "别的案由"})
    )
    assert response.status_code == 403
    assert headers(case) == before


def test_the_head_may_change_and_an_officer_becomes_able_once_recorded_present(
    case: CaseIndex, login: Login
) -> None:
    head = login("market.head").post(
        f"/cases/{case.pk}/change/", form_data(case, **{"change-title": "负责人更正的案由"})
    )
    assert head.status_code == 302
    officer = login("market.officer")
    assert officer.get(f"/cases/{case.pk}/change/").status_code == 403
    actions.do_append_record(
        User.objects.get(username="market.handler"),
        case,
        {
            "id": "r2",
            "kind": "site_inspection",
            "at": "2026-11-21T10:00:00+08:00",
            "officers": [
                {"person": "market.handler", "certificate_shown": True},
                {"person": "market.officer", "certificate_shown": True},
            ],
        },
    )
    assert officer.get(f"/cases/{case.pk}/change/").status_code == 200


def _api(user: str) -> Client:
    _, key = ApiToken.issue(User.objects.get(username=user), "test")
    return Client(headers={"Authorization": f"Bearer {key}"})


def test_the_api_changes_the_header_and_lists_the_changes(case: CaseIndex) -> None:
    client = _api("market.handler")
    response = client.post(
        f"/api/cases/{case.pk}/changes",
        json.dumps(
            {
                "reason": "案件性质变化",
                "acts": ["penalty", "compulsory"],
                "parties": [{"id": "p1", "address": "通化市东昌区新华大街1号"}],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content.decode()
    out = response.json()
    assert out["author"] == "market.handler" and out["reason"] == "案件性质变化"
    assert out["summary"] == [
        "行政执法行为「行政处罚」→「行政处罚、行政强制」",
        "当事人 通化市某商店：住所或地址「（无）」→「通化市东昌区新华大街1号」",
    ]
    assert out["case"]["acts"] == ["penalty", "compulsory"]
    assert out["recorded_at"].endswith("+08:00")

    listed = client.get(f"/api/cases/{case.pk}/changes")
    assert listed.status_code == 200
    assert [c["seq"] for c in listed.json()] == [out["seq"]]

    before = headers(case)
    for body, message in [
        ({"reason": "x"}, "案件信息没有变化，无需变更"),
        ({"reason": " ", "major": True}, "请填写变更理由"),
        ({"reason": "x", "acts": ["nonsense"]}, "未知的行政执法行为"),
        ({"reason": "x", "acts": ["confirmation"]}, "本机关制度文件不适用于"),
        ({"reason": "x", "title": "案" * 301}, "案由不能超过 300 个字符"),
        ({"reason": "x", "parties": [{"id": "p9"}]}, "请填写新增当事人的名称或姓名"),
        ({"reason": "x", "delete": ["p1"]}, "未知的键"),
    ]:
        refused = client.post(
            f"/api/cases/{case.pk}/changes", json.dumps(body), content_type="application/json"
        )
        assert refused.status_code == 400, (body, refused.content.decode())
        assert message in refused.content.decode(), (body, refused.json())
    assert headers(case) == before

    foreign = _api("gazetteer.handler").post(
        f"/api/cases/{case.pk}/changes",
        json.dumps({"reason": "x", "major": True}),
        content_type="application/json",
    )
    assert foreign.status_code == 403
    other = _api("market.legal").post(
        f"/api/cases/{case.pk}/changes",
        json.dumps({"reason": "x", "major": True}),
        content_type="application/json",
    )
    assert other.status_code == 403
    assert headers(case) == before


def test_turning_major_makes_the_legal_review_required_and_the_index_follows(
    case: CaseIndex, login: Login
) -> None:
    """Marked 重大, the case's decision recorded afterwards needs the 法制审核 (a warning citing
    国办发〔2018〕118号); the start approval made before is not found lacking the 法制机构合法性
    审查意见 a 重大 case's needs (002 art. 8). The index and its check follow."""
    start_rule = "market.start.major_legality_review"
    review_rule = "market.legal_review.before_major_decision"
    warnings_before = CaseIndex.objects.get(pk=case.pk).warnings
    response = login("market.handler").post(
        f"/cases/{case.pk}/change/",
        form_data(case, **{"change-major": "on", "change-reason": "涉案金额巨大，属重大案件"}),
    )
    assert response.status_code == 302
    assert actions.case_of(case).major_since is not None
    assert start_rule not in {f.rule for f in _findings(case)}
    actions.do_append_record(
        User.objects.get(username="market.handler"),
        case,
        {"id": "r2", "kind": "decision", "at": "2026-11-25T10:00:00+08:00"},
    )
    assert review_rule in {f.rule for f in _findings(case)}
    index = CaseIndex.objects.get(pk=case.pk)
    assert index.major and index.warnings > warnings_before
    report = verify(wiring.ledger(), wiring.keys(), projections=web_cli.projection_checks())
    assert report.problems == [], report.problems


def _findings(index: CaseIndex) -> list[Any]:
    from lawtrail.core.engine import evaluate

    return list(evaluate(actions.case_of(index)).findings)


def test_a_changed_case_archives_exports_and_verifies_offline_and_is_then_final(
    demo_cases: None, login: Login, tmp_path: Path, web_env: Path
) -> None:
    number = "栾统罚〔2026〕19号"
    index = build_stats_case(login, number)
    head = login("stats.head")
    changed = head.post(
        f"/cases/{index.pk}/change/",
        form_data(
            index,
            **{"change-new_0_name": "栾川县某企业", "change-reason": "调查中发现另一统计对象"},
        ),
    )
    assert changed.status_code == 302, changed.content.decode()
    archivist = login("stats.archivist")
    archived = archivist.post(
        f"/cases/{index.pk}/archive/", {"volume_number": "栾统档〔2026〕19号", "retention": "永久"}
    )
    assert archived.status_code == 302
    case = actions.case_of(index)
    [case_file] = [r for r in case.records if r.kind == "case_file"]
    [change_seq] = [h["index"] for h in headers(index) if "change" in h["case"]]
    # the completeness commitment of the archiving covers the change entry
    assert change_seq in completeness.parse_seqs(str(case_file.fields["ledger_entries"]))

    response = archivist.get(f"/cases/{index.pk}/export/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(tmp_path / "out")
    bag = tmp_path / "out" / package_name(number)
    key = (web_env / "keys" / f"{STATS}.vkey").read_text("utf-8")
    checked = offline.verify_package(bag, key=key, allow_unwitnessed=True)
    assert checked.intact, offline.report_text(checked)
    entries = [
        json.loads(p.read_text("utf-8")) for p in (bag / "data" / "ledger" / "entries").iterdir()
    ]
    assert any("change" in e.get("case", {}) for e in entries)
    shown = json.loads((bag / "data" / "case.json").read_text("utf-8"))
    assert [p["name"] for p in shown["parties"]][-1] == "栾川县某企业"

    assert (
        f'href="/cases/{index.pk}/change/"' not in head.get(f"/cases/{index.pk}/").content.decode()
    )
    assert "案件已归档" in head.get(f"/cases/{index.pk}/change/").content.decode()
    before = headers(index)
    refused = head.post(
        f"/cases/{index.pk}/change/", form_data(index, **{"change-title": "归档后的案由"})
    )
    assert refused.status_code == 200
    assert "案件已归档" in refused.content.decode()
    assert headers(index) == before


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def test_documents_after_a_change_show_it_and_those_before_keep_what_they_showed(
    case: CaseIndex, login: Login
) -> None:
    client = login("market.handler")
    before = client.post(f"/cases/{case.pk}/records/r1/document/docx/")
    assert before.status_code == 200, before.content.decode(errors="replace")
    old = b"".join(before.streaming_content) if before.streaming else before.content
    assert "通化市某商店" in _docx_text(old)
    changed = client.post(
        f"/cases/{case.pk}/change/",
        form_data(
            case,
            **{
                "change-party_0_misjoined": "名称登记有误",
                "change-new_0_name": "通化市某食品商店",
                "change-reason": "当事人名称有误：营业执照上的名称为通化市某食品商店",
            },
        ),
    )
    assert changed.status_code == 302, changed.content.decode()
    after = client.post(f"/cases/{case.pk}/records/r1/document/docx/")
    new = b"".join(after.streaming_content) if after.streaming else after.content
    assert "通化市某食品商店" in _docx_text(new)
    assert "通化市某商店" not in _docx_text(new).replace("通化市某食品商店", "")
    documents = [
        e.data()["document"]
        for e in wiring.ledger().entries(MARKET, case_number=NUMBER, types=("document",))
    ]
    assert len(documents) == 2  # the earlier document stays as it was, in the store
    with wiring.media_store().open(documents[0]["sha256"]) as stored:
        assert stored.read() == old


def test_the_legal_representative_is_recorded_by_a_change_and_printed_in_documents(
    case: CaseIndex, login: Login
) -> None:
    """法定代表人 (issue #17): the change form takes it, the history names it, and the party's
    documents print it under the organisation's name."""
    client = login("market.handler")
    form = client.get(f"/cases/{case.pk}/change/").content.decode()
    assert "法定代表人（负责人）" in form
    response = client.post(
        f"/cases/{case.pk}/change/",
        form_data(
            case,
            **{
                "change-party_0_legal_representative": "王某",
                "change-reason": "补充当事人的法定代表人",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()
    body = headers(case)[-1]["case"]
    assert body["parties"][0]["legal_representative"] == "王某"
    loaded = actions.case_of(case)
    assert loaded.parties[0].legal_representative == "王某"
    shown = client.get(f"/cases/{case.pk}/").content.decode()
    assert "法定代表人（负责人）" in shown and "王某" in shown


def test_another_agencys_own_forms_are_not_offered(case: CaseIndex, login: Login) -> None:
    """统计检查查询书 is the statistics bureau's own form (its pack's own_forms): a market case's
    menu of acts does not offer it; the market's own kinds stay."""
    page = login("market.handler").get(f"/cases/{case.pk}/").content.decode()
    assert "统计检查查询书" not in page and "统计执法检查通知书" not in page
    assert "先行登记保存证据通知书" in page and "案件调查终结报告" in page
    form = login("market.handler").get(f"/cases/{case.pk}/records/new/stats_inquiry/")
    assert form.status_code == 404
