"""Generic engine behaviour, independent of any one agency: time, corrections, pending acts."""

from __future__ import annotations

import time_machine

from lawtrail.core.engine import evaluate
from lawtrail.core.rules import Severity, parse_pack
from tests.builders import CaseBuilder, fired, required, t

PACK = parse_pack(
    """
[agency]
id = "test-agency"
name = "测试机关"
regulation = "002_414a546ea0455888.txt"
acts_covered = ["penalty"]

[[rule]]
id = "t.emergency"
title = "紧急启动后24小时内补报"
article = 8
quote = "24小时内补报"
kinds = ["emergency_start"]
check = { type = "followed_by", kinds = ["initiation_approval"], within = "24h" }

[[rule]]
id = "t.performance"
title = "决定后记录履行情况"
article = 28
quote = "履行"
kinds = ["decision"]
check = { type = "followed_by", kinds = ["performance"] }

[[rule]]
id = "t.ingest"
title = "两个工作日内入库"
article = 32
quote = "储存"
kinds = ["*"]
check = { type = "media_ingest", within = "2wd" }

[[rule]]
id = "t.fields"
title = "决定载明理由"
article = 21
quote = "理由"
kinds = ["decision"]
check = { type = "fields", fields = ["reasons"] }

[[rule]]
id = "t.first"
title = "先审批"
article = 8
quote = "审批"
kinds = ["site_inspection", "inquiry_record"]
scope = "first"
case = { origin = "ex_officio" }
check = { type = "preceded_by", kinds = ["initiation_approval"] }

[[rule]]
id = "t.filing"
title = "简易程序备案"
article = 22
quote = "备案"
case = { procedure = "simplified" }
check = { type = "exists", kinds = ["filing"] }

[[rule]]
id = "t.scope"
title = "适用范围"
severity = "warning"
article = 2
quote = "行政处罚"
check = { type = "acts_covered" }
"""
)


def run(b: CaseBuilder, at: str):  # type: ignore[no-untyped-def]
    return evaluate(b.build(), at=t(at), pack=PACK)


def test_deadline_not_yet_passed_is_a_required_act_with_its_due_time() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    r = b.add("emergency_start", "2026-09-01 10:00")
    ev = run(b, "2026-09-01 20:00")
    assert not fired(ev, "t.emergency")
    [todo] = required(ev, "t.emergency")
    assert todo.after == r
    assert todo.due == t("2026-09-02 10:00")


def test_deadline_passed_without_the_act_is_a_violation() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00")
    ev = run(b, "2026-09-02 10:01")
    [finding] = fired(ev, "t.emergency")
    assert finding.severity is Severity.VIOLATION
    assert "24小时" in finding.message
    assert not required(ev, "t.emergency")


def test_act_done_late_is_a_violation_even_after_it_was_done() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00")
    b.add("initiation_approval", "2026-09-02 16:00")
    [finding] = fired(run(b, "2026-11-01 00:00"), "t.emergency")
    assert "2026-09-02 16:00" in finding.message


def test_act_done_in_time_satisfies_the_deadline() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00")
    b.add("initiation_approval", "2026-09-02 09:59")
    ev = run(b, "2026-11-01 00:00")
    assert not fired(ev, "t.emergency")
    assert not required(ev, "t.emergency")


def test_default_evaluation_time_is_now() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00")
    with time_machine.travel(t("2026-09-01 12:00"), tick=False):
        assert not fired(evaluate(b.build(), pack=PACK), "t.emergency")
    with time_machine.travel(t("2026-09-03 12:00"), tick=False):
        assert fired(evaluate(b.build(), pack=PACK), "t.emergency")


def test_records_entered_after_the_evaluation_time_are_not_known_yet() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency")
    b.add("emergency_start", "2026-09-01 10:00")
    # Back-dated approval: act time inside 24 h, but entered into the system days later.
    b.add("initiation_approval", "2026-09-01 18:00", recorded_at="2026-09-05 09:00")
    assert fired(run(b, "2026-09-03 00:00"), "t.emergency")
    assert not fired(run(b, "2026-09-06 00:00"), "t.emergency")


def test_without_a_period_the_act_is_pending_until_closure_then_missing() -> None:
    b = CaseBuilder("tonghua-market")
    d = b.add("decision", "2026-09-10 10:00", {"reasons": "理由"})
    ev = run(b, "2026-09-20 10:00")
    assert not fired(ev, "t.performance")
    [todo] = required(ev, "t.performance")
    assert todo.due is None and todo.after == d
    b.add("closure", "2026-09-30 10:00")
    [finding] = fired(run(b, "2026-10-01 10:00"), "t.performance")
    assert finding.record == d


def test_a_correction_replaces_the_record_it_corrects() -> None:
    b = CaseBuilder("tonghua-market")
    d = b.add("decision", "2026-09-10 10:00")
    assert fired(run(b, "2026-09-11 10:00"), "t.fields")
    c = b.add(
        "decision",
        "2026-09-10 10:00",
        {"reasons": "补记理由"},
        corrects=(d, "漏记理由"),
        recorded_at="2026-09-12 09:00",
    )
    ev = run(b, "2026-09-13 10:00")
    assert not fired(ev, "t.fields")
    # The original stays in the history; before the correction was made it was judged as it was.
    assert {r.id for r in b.build().records} == {d, c}
    assert fired(run(b, "2026-09-11 10:00"), "t.fields")


def test_a_voided_record_is_no_longer_judged() -> None:
    b = CaseBuilder("tonghua-market")
    d = b.add("decision", "2026-09-10 10:00")
    b.add("void", "2026-09-11 10:00", {"target": d, "reason": "误录"})
    assert not fired(run(b, "2026-09-12 10:00"), "t.fields")


def test_working_day_ingest_deadline_skips_national_day_2026() -> None:
    b = CaseBuilder("tonghua-market")
    from tests.builders import video

    b.add(
        "site_inspection", "2026-09-30 10:00", media=[video("2026-09-30 10:00", "2026-10-09 20:00")]
    )
    assert not fired(run(b, "2026-11-01 00:00"), "t.ingest")
    b.add(
        "site_inspection", "2026-09-30 11:00", media=[video("2026-09-30 11:00", "2026-10-10 09:00")]
    )
    [finding] = fired(run(b, "2026-11-01 00:00"), "t.ingest")
    assert "2026-10-09 23:59" in finding.message


def test_unknown_calendar_year_is_a_warning_not_a_crash() -> None:
    from tests.builders import video

    b = CaseBuilder("tonghua-market")
    b.add(
        "site_inspection", "2026-12-31 10:00", media=[video("2026-12-31 10:00", "2027-01-05 10:00")]
    )
    [finding] = fired(run(b, "2027-01-10 00:00"), "t.ingest")
    assert finding.severity is Severity.WARNING
    assert "2027" in finding.message


def test_scope_first_judges_only_the_first_matching_record() -> None:
    b = CaseBuilder("tonghua-market")
    first = b.add("site_inspection", "2026-09-02 10:00")
    b.add("inquiry_record", "2026-09-03 10:00")
    [finding] = fired(run(b, "2026-09-05 10:00"), "t.first")
    assert finding.record == first


def test_case_filter_limits_a_rule_to_matching_cases() -> None:
    b = CaseBuilder("tonghua-market", origin="application")
    b.add("site_inspection", "2026-09-02 10:00")
    assert not fired(run(b, "2026-09-05 10:00"), "t.first")


def test_case_level_requirement_is_pending_until_closure() -> None:
    b = CaseBuilder("tonghua-market", procedure="simplified")
    assert required(run(b, "2026-09-05 10:00"), "t.filing")
    b.add("closure", "2026-09-06 10:00")
    [finding] = fired(run(b, "2026-09-07 10:00"), "t.filing")
    assert finding.record is None
    b.add("filing", "2026-09-05 10:00")
    assert not fired(run(b, "2026-09-07 10:00"), "t.filing")


def test_acts_outside_the_regulation_give_a_warning() -> None:
    b = CaseBuilder("tonghua-market", acts=("penalty", "confirmation"))
    [finding] = fired(run(b, "2026-09-05 10:00"), "t.scope")
    assert finding.severity is Severity.WARNING
    assert "行政确认" in finding.message
    assert not fired(run(CaseBuilder("tonghua-market"), "2026-09-05 10:00"), "t.scope")


def test_required_acts_are_sorted_by_deadline() -> None:
    b = CaseBuilder("tonghua-market", origin="emergency", procedure="simplified")
    b.add("decision", "2026-09-01 08:00", {"reasons": "x"})
    b.add("emergency_start", "2026-09-01 10:00")
    ev = run(b, "2026-09-01 11:00")
    dues = [r.due for r in ev.required]
    assert dues[0] == t("2026-09-02 10:00")
    assert all(d is None for d in dues[1:])


def test_ingest_period_runs_from_the_end_of_a_long_recording() -> None:
    from tests.builders import video

    b = CaseBuilder("tonghua-market")
    long_video = video("2026-09-01 08:00", "2026-09-03 09:00", completed_at=t("2026-09-01 18:00"))
    b.add("site_inspection", "2026-09-01 08:00", media=[long_video])
    # 2 working days from the end (Tue 1 Sep 18:00) end on Thu 3 Sep: on time.
    assert not fired(run(b, "2026-09-10 00:00"), "t.ingest")


def test_unknown_year_is_no_concern_when_the_act_came_within_as_many_calendar_days() -> None:
    from tests.builders import video

    b = CaseBuilder("tonghua-market")
    b.add(
        "site_inspection", "2026-12-31 10:00", media=[video("2026-12-31 10:00", "2027-01-02 09:00")]
    )
    ev = run(b, "2027-01-10 00:00")
    assert not fired(ev, "t.ingest")
