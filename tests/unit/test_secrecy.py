"""The pure secrecy core (issue #16): labels as a fold of acts, the 涉及国家秘密 reference that
refuses content, need to know, personal-data masks, the copy's plan (what is given, withheld,
redacted) and the benxi-hrss answer period on the working-day calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from lawtrail.core import party_copy, rules, secrecy
from lawtrail.core.calendar import WorkdayCalendar
from lawtrail.core.caseio import parse_case
from lawtrail.core.regulations import load_regulation, quote_in_article
from lawtrail.core.secrecy import Event, Item, SecrecyError, Target, Viewer
from lawtrail.core.timeutil import SHANGHAI

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI)


def ev(seq: int, body: dict[str, Any], actor: str = "hrss.handler", case: str = "A") -> Event:
    return Event(seq=seq, at=T0.replace(hour=9 + seq), actor=actor, case_number=case, body=body)


def label_ev(seq: int, label_id: str, kind: str, target: Target, **extra: Any) -> Event:
    body = secrecy.label_body(label_id, kind, target, "理由", **extra)
    return ev(seq, body)


def test_a_label_is_active_until_lifted_and_its_history_stays() -> None:
    events = [
        label_ev(1, "BM1", "work_secret", Target("record", record="r1")),
        label_ev(2, "BM2", "privacy", Target("field", record="r2", field="content"), holder="p2"),
        ev(3, {"act": "lift", "label": "BM1", "reason": "已公开"}, actor="hrss.head"),
        ev(4, {"act": "lift", "label": "BM1", "reason": "再次解除"}),  # ignored
    ]
    state = secrecy.fold(events)
    assert [label.id for label in state.active_labels()] == ["BM2"]
    lifted = state.labels["BM1"]
    assert not lifted.active and lifted.lifted_by == "hrss.head"
    assert lifted.lifted_reason == "已公开"
    assert state.labels["BM2"].covers_field("r2", "content")
    assert not state.labels["BM2"].covers_record("r2")


def test_trade_secrets_and_privacy_name_whose_they_are() -> None:
    with pytest.raises(SecrecyError, match="权利人"):
        secrecy.label_body("BM1", "trade_secret", Target("case"), "理由")
    with pytest.raises(SecrecyError, match="标识理由"):
        secrecy.label_body("BM1", "work_secret", Target("case"), "  ")


def test_a_state_secret_label_is_a_reference_and_refuses_any_content() -> None:
    reference = {"location": "机要室", "level": "secret", "period": "10年", "custodian": "周某"}
    body = secrecy.label_body("BM1", "state_secret", Target("case"), "涉密", reference=reference)
    assert body["reference"] == reference
    for extra in ({"content": "正文"}, {"summary": "摘要"}):
        with pytest.raises(SecrecyError, match="保守国家秘密法"):
            secrecy.label_body(
                "BM1", "state_secret", Target("case"), "涉密", reference={**reference, **extra}
            )
    with pytest.raises(SecrecyError, match="保守国家秘密法"):
        secrecy.state_secret_reference({**reference, "location": "机要室" + "很长" * 60})
    with pytest.raises(SecrecyError, match="保管人"):
        secrecy.state_secret_reference({**reference, "custodian": ""})
    with pytest.raises(SecrecyError, match="密级应为"):
        secrecy.state_secret_reference({**reference, "level": "内部"})


def test_uploads_are_refused_for_a_state_secret_case_or_record_only() -> None:
    reference = {"location": "机要室", "level": "secret", "period": "10年", "custodian": "周某"}
    on_record = secrecy.fold(
        [label_ev(1, "BM1", "state_secret", Target("record", record="r3"), reference=reference)]
    ).active_labels()
    assert secrecy.upload_refusal(on_record) is None
    assert "涉及国家秘密" in (secrecy.upload_refusal(on_record, "r3") or "")
    on_case = secrecy.fold(
        [label_ev(1, "BM1", "state_secret", Target("case"), reference=reference)]
    ).active_labels()
    assert "秘密" in (secrecy.upload_refusal(on_case) or "")
    trade = secrecy.fold(
        [label_ev(1, "BM1", "trade_secret", Target("case"), holder="p1")]
    ).active_labels()
    assert secrecy.upload_refusal(trade) is None


@pytest.mark.parametrize(
    ("roles", "in_team", "granted", "sees"),
    [
        (("officer",), False, False, False),
        (("officer",), True, False, True),
        (("officer",), False, True, True),
        (("legal",), False, False, True),
        (("approver",), False, False, True),
        (("supervisor",), False, False, True),
        (("archivist",), False, False, False),
    ],
)
def test_need_to_know_is_the_team_the_legal_reviewer_the_head_the_supervisor_or_a_grant(
    roles: tuple[str, ...], in_team: bool, granted: bool, sees: bool
) -> None:
    viewer = Viewer("u", roles, in_team, granted)
    assert secrecy.may_see_labelled(viewer) is sees
    assert secrecy.may_see_personal(viewer, in_list=False) is sees
    assert secrecy.may_see_personal(viewer, in_list=True) is False


def test_personal_data_is_masked_in_text() -> None:
    text = "证人 210502198807154321，手机 13904149876，座机 0414-2851234，案号 2026 第 12 号"
    masked = secrecy.mask_personal_text(text)
    assert (
        masked
        == "证人 210502********4321，手机 139****9876，座机 0414-********，案号 2026 第 12 号"
    )
    assert secrecy.mask_id_number("21050219880715432X") == "210502********432X"
    assert secrecy.mask_address("本溪市平山区胜利路17号3单元") == "本溪市平山区****"


def test_the_access_requests_and_a_single_decision() -> None:
    state = secrecy.fold(
        [
            ev(1, {"act": "access_request", "request": "FW1", "reason": "协查"}, "hrss.officer"),
            ev(2, {"act": "access_decision", "request": "FW1", "granted": True, "reason": "同意"}),
            ev(3, {"act": "access_decision", "request": "FW1", "granted": False, "reason": "x"}),
        ]
    )
    req = state.access["FW1"]
    assert req.user == "hrss.officer" and req.granted is True and req.status_label == "已同意"


# ---------------------------------------------------------------------------- the copy

CASE: dict[str, Any] = {
    "format": "lawtrail-case/1",
    "agency": "benxi-hrss",
    "case_number": "A",
    "title": "欠薪案",
    "acts": ["penalty"],
    "procedure": "general",
    "origin": "complaint",
    "opened_at": "2026-09-01T09:00:00+08:00",
    "parties": [
        {"id": "p1", "name": "某公司", "kind": "organization", "id_number": "91210500MA0XK3R27B"},
        {
            "id": "p2",
            "name": "李四",
            "kind": "person",
            "id_number": "210502198807154321",
            "contact": "13904149876",
        },
    ],
    "people": [{"id": "o1", "name": "刘建国"}],
    "records": [
        {
            "id": "c1",
            "kind": "complaint",
            "at": "2026-09-01T09:00:00+08:00",
            "fields": {"content": "李四（210502198807154321，13904149876）知情；公司 13800001111"},
        },
        {
            "id": "c2",
            "kind": "complaint",
            "at": "2026-09-02T09:00:00+08:00",
            "fields": {"content": "单价 388 元", "complainant": "李四"},
        },
        {
            "id": "c3",
            "kind": "complaint",
            "at": "2026-09-03T09:00:00+08:00",
            "fields": {"content": "病历"},
        },
    ],
}


def copy_request(approved: list[str], party: str = "p1") -> secrecy.CopyRequest:
    state = secrecy.fold(
        [
            ev(
                1,
                {
                    "act": "copy_request",
                    "request": "CY1",
                    "requester": {"name": "某公司", "party": party},
                    "items": [{"type": "record", "ref": r} for r in ("c1", "c2", "c3")],
                    "mode": "copy",
                    "received_via": "counter",
                    "received_at": "2026-09-25T10:00:00+08:00",
                },
            ),
            ev(
                2,
                {
                    "act": "copy_decision",
                    "request": "CY1",
                    "outcome": "part",
                    "approved": [{"type": "record", "ref": r} for r in approved],
                    "withheld": [],
                    "reason": "部分同意",
                },
                "hrss.head",
            ),
        ]
    )
    return state.copies["CY1"]


def test_the_plan_redacts_third_parties_and_labelled_fields_and_withholds_labelled_records() -> (
    None
):
    case = parse_case(CASE)
    labels = secrecy.fold(
        [
            label_ev(
                1,
                "BM1",
                "trade_secret",
                Target("field", record="c2", field="content"),
                holder="某建设集团",
            ),
            label_ev(2, "BM2", "privacy", Target("record", record="c3"), holder="张某某"),
        ]
    ).active_labels()
    plan = party_copy.plan(
        case, labels, copy_request(["c1", "c2", "c3"]), documents={}, article="第二十六条"
    )
    assert [i.ref for i in plan.given] == ["c1", "c2"]
    [withheld] = plan.withheld
    assert withheld.item == Item("record", "c3") and "个人隐私" in withheld.reason
    assert "第二十六条" in withheld.reason
    texts = {f"{r.id}:{f.label}": f.text for r in plan.records for f in r.fields}
    assert "210502198807154321" not in texts["c1:投诉举报内容"]
    assert "13904149876" not in texts["c1:投诉举报内容"]
    # A phone number in the text that is not the requester's is another's personal data too.
    assert "13800001111" not in texts["c1:投诉举报内容"]
    assert texts["c2:投诉举报内容"] == "〔已删除：商业秘密〕"
    assert texts["c2:投诉人、举报人"] == "李四"
    assert {r["why"] for r in plan.redactions} == {"他人个人信息", "商业秘密"}
    assert "单价 388 元" in plan.redacted_values
    assert all("388" not in str(r) for r in plan.redactions)  # the ledger gets no value


def test_the_requesters_own_secret_is_not_kept_from_it() -> None:
    case = parse_case(CASE)
    labels = secrecy.fold(
        [label_ev(1, "BM1", "trade_secret", Target("record", record="c2"), holder="p1")]
    ).active_labels()
    plan = party_copy.plan(case, labels, copy_request(["c2"]), documents={}, article="第二十六条")
    assert [i.ref for i in plan.given] == ["c2"] and not plan.withheld


# ---------------------------------------------------------------------------- periods


def test_the_benxi_hrss_pack_sets_20_plus_20_working_days_quoting_article_26() -> None:
    pack = rules.load_pack("benxi-hrss")
    terms = pack.copy_terms
    assert terms is not None
    assert (terms.answer_within, terms.extension, terms.article) == ("20wd", "20wd", 26)
    assert quote_in_article(load_regulation(pack.regulation), terms.article, terms.quote)
    assert "第三十三条" in terms.source
    # The other regulations set no period: their packs invent none.
    for agency in ("tonghua-postal", "tonghua-gazetteer", "tonghua-market", "luanchuan-stats"):
        assert rules.load_pack(agency).copy_terms is None


def test_the_answer_period_counts_working_days_across_the_national_day_holiday() -> None:
    terms = rules.load_pack("benxi-hrss").copy_terms
    assert terms is not None
    request = copy_request(["c1"])
    due = secrecy.copy_due(request, terms, WorkdayCalendar.default())
    # received Fri 2026-09-25; 国庆 10-01…10-07 off, Sat 10-10 a working day
    assert due == datetime(2026, 10, 29, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    extended = secrecy.fold(
        [
            ev(
                1,
                {
                    "act": "copy_request",
                    "request": "CY1",
                    "requester": {"name": "某公司"},
                    "items": [{"type": "record", "ref": "c1"}],
                    "mode": "inspect",
                    "received_via": "mail",
                    "received_at": "2026-09-25T10:00:00+08:00",
                },
            ),
            ev(2, {"act": "copy_extension", "request": "CY1", "reason": "内容较多"}),
        ]
    ).copies["CY1"]
    assert secrecy.copy_due(extended, terms, WorkdayCalendar.default()).date().isoformat() == (
        "2026-11-26"
    )


def test_a_pack_with_a_bad_copy_period_fails_loudly() -> None:
    text = rules._packs_dir().joinpath("benxi-hrss.toml").read_text(encoding="utf-8")
    broken = text.replace('answer_within = "20wd"', 'answer_within = "twenty"', 1)
    with pytest.raises(rules.PackError, match="copy_request"):
        rules.parse_pack(broken, "benxi-hrss.toml")
