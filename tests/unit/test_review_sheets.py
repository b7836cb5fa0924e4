"""案卷评查 scoring sheets (lawtrail.core.review): the data of every agency's sheet against its rule
pack, the score of a case from the rule engine's findings and the reviewer's manual scores, the
grades and vetoes, and the reproducible random sampling."""

from __future__ import annotations

import secrets

import pytest

from lawtrail.core import review
from lawtrail.core.engine import Finding
from lawtrail.core.review import ManualScore, ScoreError, SheetError
from lawtrail.core.rules import Severity, agency_ids, load_pack

MARKET = "tonghua-market"


def finding(
    rule: str,
    *,
    severity: Severity = Severity.VIOLATION,
    record: str | None = "r1",
    message: str = "缺少记录",
) -> Finding:
    return Finding(
        rule=rule,
        regulation="002_414a546ea0455888.txt",
        article=10,
        severity=severity,
        record=record,
        message=message,
        title="标题",
        quote="原文",
    )


def full_marks(sheet: review.Sheet) -> dict[str, ManualScore]:
    return {i.id: ManualScore(i.points) for i in sheet.manual_items}


# ---------------------------------------------------------------------------- the data


@pytest.mark.parametrize("agency", agency_ids())
def test_every_agency_has_a_sheet_worth_100_points_under_the_seven_headings(agency: str) -> None:
    sheet = review.load_sheet(agency)
    assert sheet.agency == agency
    assert sum(i.points for i in sheet.items) == 100
    assert [h for h, _ in sheet.headings()] == list(review.HEADINGS)
    assert all(points > 0 for _, points in sheet.headings())
    assert [g.label for g in sheet.grades] == ["优秀", "合格", "不合格"]
    assert [g.min for g in sheet.grades] == [90, 70, 0]
    assert sheet.source.startswith("本机关案卷评查实践")


@pytest.mark.parametrize("agency", agency_ids())
def test_every_rule_a_sheet_names_is_in_the_agencys_pack(agency: str) -> None:
    pack_rules = {r.id for r in load_pack(agency).rules}
    assert review.load_sheet(agency).rule_ids() <= pack_rules


@pytest.mark.parametrize("agency", agency_ids())
def test_every_violation_rule_of_the_pack_is_scored_by_an_item_or_a_veto(agency: str) -> None:
    sheet = review.load_sheet(agency)
    violations = {r.id for r in load_pack(agency).rules if r.severity == Severity.VIOLATION}
    assert violations <= sheet.rule_ids()


@pytest.mark.parametrize("agency", agency_ids())
def test_veto_and_item_citations_are_articles_of_the_agencys_regulation(agency: str) -> None:
    sheet = review.load_sheet(agency)
    regulation = load_pack(agency).regulation
    for basis in [b for v in sheet.vetoes for b in v.basis] + [
        b for i in sheet.items for b in i.basis
    ]:
        assert basis.regulation == regulation and basis.article >= 1 and basis.quote


def test_the_vetoes_follow_what_each_regulation_requires() -> None:
    # 004 (stats) says nothing of the officers' certificates: no certificate veto there.
    assert {v.id for v in review.load_sheet("luanchuan-stats").vetoes} == {
        "veto.rights",
        "veto.approval",
    }
    market = {v.id: v for v in review.load_sheet(MARKET).vetoes}
    assert set(market) == {"veto.certificate", "veto.rights", "veto.approval"}
    assert market["veto.rights"].basis[0].article == 11  # 002 art. 11: 告知权利


def test_an_unknown_agency_has_no_sheet() -> None:
    with pytest.raises(SheetError, match="没有案卷评查评分表"):
        review.load_sheet("nowhere")


SMALL = """
[sheet]
id = "t"
version = 1
agency = "t"
title = "T"
source = "S"
[[grade]]
label = "优秀"
min = 90
[[grade]]
label = "不合格"
min = 0
"""


def small_items(points: tuple[int, ...] = (30, 10, 10, 10, 10, 10, 20)) -> str:
    out = []
    for heading, p in zip(review.HEADINGS, points, strict=True):
        out.append(f'[[item]]\nid = "i{p}{heading}"\nheading = "{heading}"\ntext = "x"\n')
        out[-1] = out[-1].replace(f'"i{p}{heading}"', f'"i{len(out)}"')
        out[-1] += f"points = {p}\nmanual = true\n"
    return "\n".join(out)


def test_a_valid_small_sheet_parses() -> None:
    sheet = review.parse_sheet(SMALL + small_items())
    assert sheet.grade(95, False) == "优秀" and sheet.grade(89, False) == "不合格"
    assert sheet.grade(100, True) == "不合格"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (SMALL + small_items((30, 10, 10, 10, 10, 10, 19)), "sum to 99"),
        (SMALL.replace("min = 0", "min = 5") + small_items(), "the last grade"),
        (
            SMALL
            + small_items()
            + '[[item]]\nid = "x"\nheading = "其他"\ntext = "t"\npoints = 1\n',
            "heading",
        ),
        (
            SMALL + small_items().replace("manual = true", 'rules = ["a"]', 1),
            "per_finding",
        ),
        (
            SMALL + small_items().replace("manual = true", 'manual = true\nrules = ["a"]', 1),
            "manual item",
        ),
        (SMALL + small_items().replace('id = "i1"', 'id = "i2"'), "twice"),
        (SMALL + small_items() + '[[veto]]\nid = "v"\ntext = "t"\nrules = []\n', "names its"),
        (SMALL + small_items() + '[[veto]]\nid = "v"\ntext = "t"\nbogus = 1\n', "unknown"),
        ("[sheet", "<sheet>"),
        ("x = 1", "no \\[sheet\\]"),
    ],
)
def test_invalid_sheets_are_refused_on_load(text: str, error: str) -> None:
    with pytest.raises(SheetError, match=error):
        review.parse_sheet(text)


def test_a_rule_in_two_items_would_deduct_twice_and_is_refused() -> None:
    items = small_items().replace("manual = true", 'rules = ["a"]\nper_finding = 1', 2)
    with pytest.raises(SheetError, match="rule a is in items"):
        review.parse_sheet(SMALL + items)


# ---------------------------------------------------------------------------- scoring


def test_a_case_without_findings_and_full_manual_marks_scores_100_excellent() -> None:
    sheet = review.load_sheet(MARKET)
    result = review.score(sheet, [], full_marks(sheet))
    assert (result.total, result.grade, result.vetoes, result.unscored) == (100, "优秀", (), ())
    assert all(s.deduction == 0 for s in result.items)


def test_each_violation_deducts_per_finding_citing_it_up_to_the_items_points() -> None:
    sheet = review.load_sheet(MARKET)
    item = sheet.item("procedure.steps")
    assert item is not None and (item.points, item.per_finding) == (15, 3)
    rule = item.rules[0]
    findings = [finding(rule, record=f"r{n}") for n in range(6)]  # 6 × 3 > 15
    result = review.score(sheet, findings, full_marks(sheet))
    scored = result.item("procedure.steps")
    assert scored is not None
    assert (scored.awarded, scored.deduction) == (0, 15)
    assert [c.deduction for c in scored.cited] == [3, 3, 3, 3, 3, 0]
    assert [c.record for c in scored.cited] == [f"r{n}" for n in range(6)]
    assert all(c.rule == rule and c.article == 10 for c in scored.cited)
    assert result.total == 85 and result.grade == "合格"
    assert scored.to_json()["findings"][0] == {
        "rule": rule,
        "regulation": "002_414a546ea0455888.txt",
        "article": 10,
        "record": "r0",
        "message": "缺少记录",
        "severity": "violation",
        "deduction": 3,
    }


def test_warnings_deduct_nothing_and_are_listed_for_the_reviewer() -> None:
    sheet = review.load_sheet(MARKET)
    rule = "market.legal_review.before_major_decision"  # a warning rule
    warned = finding(rule, severity=Severity.WARNING)
    also = finding(sheet.items[1].rules[0], severity=Severity.WARNING)
    result = review.score(sheet, [warned, also], full_marks(sheet))
    assert result.total == 100
    assert [c.rule for c in result.unscored] == [rule, also.rule]


def test_a_violation_of_a_rule_the_sheet_does_not_name_is_unscored_not_lost() -> None:
    sheet = review.load_sheet(MARKET)
    result = review.score(sheet, [finding("market.future.rule")], full_marks(sheet))
    assert result.total == 100 and [c.rule for c in result.unscored] == ["market.future.rule"]


def test_a_veto_makes_the_case_fail_whatever_its_score() -> None:
    sheet = review.load_sheet(MARKET)
    rights = finding("market.rights.notified_before_decision", message="决定前没有告知权利")
    result = review.score(sheet, [rights], full_marks(sheet))
    assert result.total == 100 and result.grade == "不合格"
    [hit] = result.vetoes
    assert hit.veto.id == "veto.rights" and hit.finding.rule == rights.rule
    assert hit.to_json()["finding"]["record"] == "r1"
    assert result.unscored == ()


def test_the_certificate_veto_is_only_for_a_missing_or_invalid_certificate() -> None:
    sheet = review.load_sheet(MARKET)
    rule = "market.investigation.officers"
    not_shown = finding(rule, message="询问笔录：未记录执法人员张三是否出示执法证件")
    result = review.score(sheet, [not_shown], full_marks(sheet))
    assert result.vetoes == () and result.grade == "优秀" and result.total == 98
    expired = finding(rule, message="询问笔录：执法人员李四的执法证件在行为当日不在有效期内")
    result = review.score(sheet, [expired], full_marks(sheet))
    assert [h.veto.id for h in result.vetoes] == ["veto.certificate"]
    assert result.grade == "不合格" and result.total == 98  # deducted too, under 主体合法
    missing = finding(rule, message="询问笔录：执法人员王五未记载执法证件编号")
    assert review.score(sheet, [missing], full_marks(sheet)).grade == "不合格"
    warned = finding(rule, severity=Severity.WARNING, message="执法证件在行为当日不在有效期内")
    assert review.score(sheet, [warned], full_marks(sheet)).vetoes == ()


def test_manual_scores_set_the_manual_items_and_grades_follow_the_thresholds() -> None:
    sheet = review.load_sheet(MARKET)
    marks = full_marks(sheet)
    marks["facts.determined"] = ManualScore(2, "  违法事实认定不清  ")
    result = review.score(sheet, [], marks)
    scored = result.item("facts.determined")
    assert scored is not None and (scored.awarded, scored.comment) == (2, "违法事实认定不清")
    assert result.total == 92 and result.grade == "优秀"
    marks["basis.law"] = ManualScore(7, "依据条款引用不准确")
    assert review.score(sheet, [], marks).total == 89
    assert review.score(sheet, [], marks).grade == "合格"
    marks["evidence.sufficient"] = ManualScore(0, "证据不足")
    marks["subject.authority"] = ManualScore(0, "超越职权")
    assert review.score(sheet, [], marks).total == 74
    marks["documents.format"] = ManualScore(0, "文书格式不规范")
    assert review.score(sheet, [], marks).total == 69
    assert review.score(sheet, [], marks).grade == "不合格"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"facts.determined": None}, "请为“事实清楚"),
        ({"facts.determined": ManualScore(11, "x")}, "0 至 10 的整数"),
        ({"facts.determined": ManualScore(-1, "x")}, "0 至 10 的整数"),
        ({"facts.determined": ManualScore(True, "x")}, "0 至 10 的整数"),  # type: ignore[arg-type]
        ({"facts.determined": ManualScore(9, "  ")}, "请说明扣分理由"),
        ({"facts.determined": ManualScore(9, "x" * 1001)}, "不能超过 1000 个字"),
        ({"facts.determined": ManualScore(9, "a\x00b")}, "空字符"),
        ({"nope": ManualScore(1)}, "没有评分项 nope"),
        ({"procedure.steps": ManualScore(15)}, "按规则自动评分"),
    ],
)
def test_manual_scores_outside_the_sheet_are_refused(
    change: dict[str, ManualScore | None], message: str
) -> None:
    sheet = review.load_sheet(MARKET)
    marks = full_marks(sheet)
    for key, value in change.items():
        if value is None:
            del marks[key]
        else:
            marks[key] = value
    with pytest.raises(ScoreError) as raised:
        review.score(sheet, [], marks)
    assert any(message in issue.message for issue in raised.value.issues)


def test_full_marks_need_no_comment() -> None:
    sheet = review.load_sheet(MARKET)
    assert review.check_manual(sheet, full_marks(sheet)) == []


# ---------------------------------------------------------------------------- sampling


@pytest.mark.parametrize(
    ("population", "percent", "size"),
    [(0, 10, 0), (1, 10, 1), (9, 10, 1), (10, 10, 1), (11, 10, 2), (100, 10, 10), (3, 100, 3)],
)
def test_n_percent_is_rounded_up_and_at_least_one_case(
    population: int, percent: int, size: int
) -> None:
    assert review.sample_size(population, percent) == size


@pytest.mark.parametrize("percent", [0, 101, -5, True, 10.0])
def test_a_percentage_outside_1_to_100_is_refused(percent: object) -> None:
    with pytest.raises(ValueError, match="1 至 100"):
        review.sample_size(10, percent)  # type: ignore[arg-type]


def test_the_draw_is_reproducible_from_the_seed_and_independent_of_listing_order() -> None:
    population = [f"案{n:03d}" for n in range(200)]
    seed = secrets.token_hex(16)
    first = review.draw(population, 10, seed)
    assert len(first) == 20 and first == sorted(first) and set(first) <= set(population)
    assert review.draw(list(reversed(population)), 10, seed) == first
    other = review.draw(population, 10, secrets.token_hex(16))
    assert other != first  # another seed, another sample (2^-100-ish to collide)
    assert review.draw([], 10, seed) == []


def test_the_draw_checks_its_seed_and_population() -> None:
    with pytest.raises(ValueError, match="随机种子"):
        review.draw(["a"], 10, "not-hex")
    with pytest.raises(ValueError, match="重复"):
        review.draw(["a", "a"], 10, "0" * 32)


def test_the_population_digest_is_of_the_sorted_list() -> None:
    import hashlib

    assert review.population_digest(["b", "a"]) == hashlib.sha256(b"a\nb").hexdigest()
