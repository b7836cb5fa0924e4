"""案卷评查 (issue #14 item 2): a supervisor draws a random sample of an agency's closed cases and
scores each on the agency's sheet — the automatic items from the rule engine's findings, each
deduction citing its finding, the manual items with the reviewer's reasons, vetoes making the
case 不合格 — and the agencies are ranked. Samplings and sheets are signed into the supervisor's
own log (not the agency's), verified by `lawtrail verify` with the index the pages read."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client

from lawtrail import case_review, services
from lawtrail.core import review
from lawtrail.core.caseio import parse_case
from lawtrail.core.engine import evaluate
from lawtrail.core.rules import Severity
from lawtrail.web import actions, demo, reviews, wiring
from lawtrail.web.models import Agency, CaseIndex, CaseReview, ReviewSampling, User
from lawtrail.web.roles import SUPERVISOR
from tests.integration.web.test_web_projections import check, found, open_case

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
STATS = "luanchuan-stats"
LOG = "yfzsb"
EXAMPLES = Path(__file__).parents[3] / "examples"
YEAR = {"period_from": "2026-01-01", "period_to": "2026-12-31"}


def review_entries(log: str) -> list[dict[str, Any]]:
    ledger = wiring.ledger()
    if ledger.log_info(log) is None:
        return []
    return [e.data() for e in ledger.entries(log, types=("review",))]


def denied(agency: str, username: str) -> list[dict[str, Any]]:
    bodies = [e.data()["access"] for e in wiring.ledger().entries(agency, types=("access",))]
    return [b for b in bodies if b["user"] == username and b["outcome"] == "denied"]


def closed(agency: str) -> list[str]:
    return sorted(
        CaseIndex.objects.filter(agency_id=agency, closed=True).values_list(
            "case_number", flat=True
        )
    )


def sample(client: Client, agency: str = MARKET, percent: int = 10, **period: str) -> Any:
    return client.post(
        "/supervision/reviews/sample/", {"agency": agency, "percent": percent, **(period or YEAR)}
    )


def the_sampling() -> case_review.Sampling:
    [sampling] = case_review.read(wiring.ledger(), LOG).samplings.values()
    return sampling


def full_marks(agency: str = MARKET, **changes: tuple[int, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for item in review.load_sheet(agency).manual_items:
        score, comment = changes.get(item.id, (item.points, ""))
        key = item.id.replace(".", "__")
        data[f"score_{key}"] = str(score)
        data[f"comment_{key}"] = comment
    return data


def index_of(agency: str, number: str) -> CaseIndex:
    return CaseIndex.objects.get(agency_id=agency, case_number=number)


def import_variant(example: str, number: str, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads((EXAMPLES / example).read_text("utf-8"))
    data["case_number"] = number
    change(data)
    case = parse_case(data)
    handler = User.objects.get(username=f"{demo.SHORT[case.agency]}.handler")
    with transaction.atomic():
        services.do_import_case(wiring.ledger(), case)
        actions.project(case.agency, number, handler=handler)


def supervisor_of(username: str, *agencies: str) -> User:
    user = User(username=username, name="监督甲", roles=[SUPERVISOR])
    user.set_password("lawtrail-demo")
    user.save()
    user.supervised_agencies.set(Agency.objects.filter(code__in=agencies))
    return user


# ---------------------------------------------------------------------------- sampling


def test_a_sampling_is_random_yet_reproducible_and_signed_into_the_supervisors_own_log(
    demo_cases: None, login: Login
) -> None:
    supervisor = login("supervisor")
    form = supervisor.get("/supervision/reviews/sample/")
    assert form.status_code == 200 and 'value="10"' in form.content.decode()
    response = sample(supervisor)
    assert response.status_code == 302, response.content.decode()
    sampling = the_sampling()
    assert response["Location"] == f"/supervision/reviews/samplings/{sampling.id}/"

    # the population is the agency's closed cases of the period; ceil(10 % × 3) = 1
    assert list(sampling.population) == closed(MARKET) and len(sampling.population) == 3
    assert len(sampling.selected) == 1 and set(sampling.selected) <= set(sampling.population)
    # anyone holding the seed re-draws the same cases
    assert review.draw(sampling.population, 10, sampling.seed) == list(sampling.selected)
    assert sampling.reproduces()
    assert len(sampling.seed) == 32 and int(sampling.seed, 16) >= 0

    [entry] = review_entries(LOG)
    body = entry["review"]
    assert entry["actor"] == "supervisor" and entry["case_number"] == ""
    assert body["act"] == "sampling" and body["agency"] == MARKET and body["percent"] == 10
    assert body["population"]["sha256"] == review.population_digest(closed(MARKET))
    assert body["period"] == {"from": "2026-01-01", "to": "2026-12-31", "label": "2026年"}
    # not in the agency's log
    assert [e for e in wiring.ledger().entries(MARKET) if e.data()["type"] == "review"] == []
    row = ReviewSampling.objects.get(sampling_id=sampling.id)
    assert (row.agency_id, row.population, row.selected) == (MARKET, 3, list(sampling.selected))

    page = supervisor.get(response["Location"]).content.decode()
    assert "抽取结果可由种子和案件总体复现" in page and sampling.seed in page
    listing = supervisor.get("/supervision/reviews/?year=2026").content.decode()
    assert sampling.id in listing and sampling.selected[0] in listing and "评分" in listing

    # the log is a log like the agencies': signed, verified, not an agency
    report = check()
    assert report.problems == []
    assert LOG in [s.agency for s in report.logs]
    assert "案卷评查索引" in [p.name for p in report.projections]
    assert not Agency.objects.filter(code=LOG).exists()
    assert wiring.ledger().latest_checkpoint(LOG) is not None


def test_two_samplings_draw_with_different_seeds(demo_cases: None, login: Login) -> None:
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    assert sample(supervisor, percent=100).status_code == 302
    first, second = case_review.read(wiring.ledger(), LOG).samplings.values()
    assert first.seed != second.seed
    assert first.selected == second.selected == tuple(closed(MARKET))  # 100 %: all of them


@pytest.mark.parametrize(("percent", "expected"), [(1, 1), (33, 1), (34, 2), (67, 3), (100, 3)])
def test_n_percent_of_the_closed_cases_rounded_up(
    demo_cases: None, login: Login, percent: int, expected: int
) -> None:
    assert sample(login("supervisor"), percent=percent).status_code == 302
    sampling = the_sampling()
    assert len(sampling.selected) == expected == math.ceil(3 * percent / 100)


def test_only_cases_closed_in_the_period_are_sampled(demo_cases: None, login: Login) -> None:
    still_open = open_case()  # a market case still open
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    assert list(the_sampling().population) == closed(MARKET)
    assert still_open.case_number not in the_sampling().population
    # the market's closures are in July, August and November 2026
    july = {"period_from": "2026-07-01", "period_to": "2026-07-31"}
    response = sample(supervisor, percent=100, **july)
    assert response.status_code == 302
    latest = max(case_review.read(wiring.ledger(), LOG).samplings.values(), key=lambda s: s.seq)
    assert latest.period_label == "2026年7月"
    assert list(latest.population) == ["通市监罚〔2026〕27号"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period_from": "2025-01-01", "period_to": "2025-12-31"}, "没有已终结的案件"),
        ({"period_from": "2026-12-31", "period_to": "2026-01-01"}, "截止日期早于起始日期"),
        ({"percent": "0"}, "1 至 100 的整数"),
        ({"percent": "101"}, "1 至 100 的整数"),
        ({"percent": "abc"}, "抽取比例应为整数"),
        ({"period_from": "2026-13-01"}, "日期格式应为"),
    ],
)
def test_bad_sampling_input_gets_a_chinese_error_and_stores_nothing(
    demo_cases: None, login: Login, data: dict[str, str], message: str
) -> None:
    form = {"agency": MARKET, "percent": "10", **YEAR, **data}
    response = login("supervisor").post("/supervision/reviews/sample/", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert review_entries(LOG) == [] and not ReviewSampling.objects.exists()


# ---------------------------------------------------------------------------- scoring


def auto_deductions(agency: str, number: str) -> dict[str, int]:
    """The automatic items' deductions computed independently: per item, its per-finding points
    for each violation of its rules, capped at its points."""
    case = services.load_case(wiring.ledger(), agency, number)
    violations = [f.rule for f in evaluate(case).findings if f.severity == Severity.VIOLATION]
    return {
        item.id: min(item.points, item.per_finding * sum(r in item.rules for r in violations))
        for item in review.load_sheet(agency).items
        if not item.manual
    }


def test_a_sampled_case_is_scored_auto_items_citing_findings_and_signed(
    demo_cases: None, login: Login
) -> None:
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    sampling = the_sampling()
    number = "通市监罚〔2026〕27号"  # the market's example with violations
    index = index_of(MARKET, number)
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index.pk}/"
    page = supervisor.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "按规则自动评分" in text and f"/cases/{index.pk}/" in text and "扣分理由" in text
    views = [
        e.data()
        for e in wiring.ledger().entries(MARKET, types=("access",))
        if e.data()["access"]["action"] == "review_form"
    ]
    assert views[-1]["access"]["user"] == "supervisor" and views[-1]["case_number"] == number

    data = full_marks(**{"facts.determined": (8, "违法所得计算依据不清")})
    response = supervisor.post(url, data)
    assert response.status_code == 302, response.content.decode()
    [_, entry] = review_entries(LOG)
    body = entry["review"]
    assert body["act"] == "sheet" and body["case_number"] == number
    assert body["sampling"] == sampling.id and body["reviewed_by"] == "supervisor"
    assert body["judged_at"]["log"] == MARKET and body["judged_at"]["size"] > 0
    assert body["form"] == {"id": MARKET, "version": 1}
    items = {i["id"]: i for i in body["items"]}
    expected = auto_deductions(MARKET, number)
    assert {k: items[k]["deduction"] for k in expected} == expected
    assert sum(expected.values()) > 0
    for item_id, deduction in expected.items():
        cited = items[item_id]["findings"]
        assert sum(c["deduction"] for c in cited) == deduction
        assert all(c["rule"] in review.load_sheet(MARKET).item(item_id).rules for c in cited)  # type: ignore[union-attr]
        assert all(c["article"] > 0 and c["regulation"].startswith("002_") for c in cited)
    assert items["facts.determined"] == {
        "id": "facts.determined",
        "heading": "事实清楚",
        "points": 10,
        "awarded": 8,
        "deduction": 2,
        "mode": "manual",
        "comment": "违法所得计算依据不清",
    }
    total = 100 - sum(expected.values()) - 2
    assert body["total"] == total and body["grade"] == review.load_sheet(MARKET).grade(total, False)
    sheet_id = body["sheet"]
    assert response["Location"] == f"/supervision/reviews/sheets/{sheet_id}/"
    row = CaseReview.objects.get(sheet_id=sheet_id)
    assert (row.total, row.grade, row.vetoes, row.superseded_by) == (total, body["grade"], 0, "")
    detail = supervisor.get(response["Location"]).content.decode()
    assert "违法所得计算依据不清" in detail and f"{total}</strong> 分" in detail
    assert "重新评分" in detail
    assert check().problems == []

    # a sheet is final: scoring again without naming it goes to the sheet, stores nothing
    again = supervisor.post(url, data)
    assert again.status_code == 302 and again["Location"].endswith(f"/sheets/{sheet_id}/")
    assert len(review_entries(LOG)) == 2
    # a re-score is a new entry superseding the old one
    rescore = supervisor.post(url, {**full_marks(), "supersedes": sheet_id})
    assert rescore.status_code == 302
    newest = review_entries(LOG)[-1]["review"]
    assert newest["supersedes"] == sheet_id and newest["total"] == total + 2
    old = CaseReview.objects.get(sheet_id=sheet_id)
    assert old.superseded_by == newest["sheet"]
    assert "已被" in supervisor.get(f"/supervision/reviews/sheets/{sheet_id}/").content.decode()
    period = reviews.period_of(sampling.period_from, sampling.period_to)
    [rank] = reviews.ranking({MARKET: "市场"}, period)
    assert (rank.reviewed, rank.average) == (1, float(total + 2))
    assert check().problems == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"facts.determined": (7, "")}, "扣了分，请说明扣分理由"),
        ({"facts.determined": (11, "")}, "0 至 10 的整数"),
        ({"facts.determined": (-1, "x")}, "0 至 10 的整数"),
        ({"facts.determined": ("九", "x")}, "应为整数"),
    ],
)
def test_manual_scores_are_validated_and_bad_ones_store_nothing(
    demo_cases: None, login: Login, changes: dict[str, tuple[Any, str]], message: str
) -> None:
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    sampling = the_sampling()
    index = index_of(MARKET, sampling.selected[0])
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index.pk}/"
    response = supervisor.post(url, full_marks(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert len(review_entries(LOG)) == 1 and not CaseReview.objects.exists()


def test_a_veto_finding_makes_the_case_fail_whatever_its_score(
    demo_cases: None, login: Login
) -> None:
    def expired(data: dict[str, Any]) -> None:  # an officer's certificate expired before the acts
        data["people"][1]["certificate_valid_until"] = "2025-12-31"

    number = "通市监罚〔2026〕90号"
    import_variant("tonghua-market/compliant-ex-officio-penalty.json", number, expired)
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    sampling = the_sampling()
    assert number in sampling.selected
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index_of(MARKET, number).pk}/"
    page = supervisor.get(url).content.decode()
    assert "一票否决" in page and "执法人员无有效执法证件" in page
    assert supervisor.post(url, full_marks()).status_code == 302
    body = review_entries(LOG)[-1]["review"]
    assert body["grade"] == "不合格" and body["total"] >= 90
    vetoes = body["vetoes"]  # one per finding: each record the officer acted in
    assert vetoes and {v["id"] for v in vetoes} == {"veto.certificate"}
    for veto in vetoes:
        assert veto["finding"]["rule"] == "market.investigation.officers"
        assert "不在有效期内" in veto["finding"]["message"] and veto["finding"]["record"]
    assert CaseReview.objects.get(sheet_id=body["sheet"]).vetoes == len(vetoes)


def test_a_case_that_was_not_sampled_cannot_be_scored(demo_cases: None, login: Login) -> None:
    supervisor = login("supervisor")
    assert sample(supervisor, percent=1).status_code == 302
    sampling = the_sampling()
    [other] = [n for n in closed(MARKET) if n not in sampling.selected][:1]
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index_of(MARKET, other).pk}/"
    assert supervisor.post(url, full_marks()).status_code == 403
    assert "未在抽取记录" in denied(MARKET, "supervisor")[-1]["reason"]
    stats_case = closed(STATS)[0]
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index_of(STATS, stats_case).pk}/"
    assert supervisor.get(url).status_code == 404  # a case of another agency
    with pytest.raises(case_review.ReviewRefused, match="未在抽取记录"):
        case_review.do_review(
            wiring.ledger(),
            LOG,
            sampling_id=sampling.id,
            case_number=other,
            manual={},
            reviewed_by="supervisor",
        )
    assert len(review_entries(LOG)) == 1


# ---------------------------------------------------------------------------- who may


def test_a_supervisor_works_only_on_the_agencies_it_supervises(
    demo_cases: None, login: Login
) -> None:
    supervisor_of("sup.market", MARKET)
    market_only = login("sup.market")
    assert sample(market_only, STATS).status_code == 403
    assert "只有该机关的监督人员" in denied(STATS, "sup.market")[-1]["reason"]
    assert review_entries(LOG) == []
    # the supervisor of all five samples the statistics bureau; the market's supervisor may
    # neither score nor read it
    assert sample(login("supervisor"), STATS, percent=100).status_code == 302
    sampling = the_sampling()
    index = index_of(STATS, sampling.selected[0])
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index.pk}/"
    assert market_only.get(url).status_code == 403
    assert market_only.post(url, full_marks(STATS)).status_code == 403
    assert market_only.get(f"/supervision/reviews/samplings/{sampling.id}/").status_code == 403
    assert len(denied(STATS, "sup.market")) == 4
    listing = market_only.get("/supervision/reviews/?year=2026").content.decode()
    assert sampling.id not in listing and "栾川县统计局" not in listing
    assert len(review_entries(LOG)) == 1


def test_an_agency_head_reads_its_own_reviews_only_and_cannot_score(
    demo_cases: None, login: Login
) -> None:
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    sampling = the_sampling()
    index = index_of(MARKET, sampling.selected[0])
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index.pk}/"
    assert supervisor.post(url, full_marks()).status_code == 302
    sheet_id = review_entries(LOG)[-1]["review"]["sheet"]

    head = login("market.head")
    nav = head.get("/inbox/").content.decode()
    assert 'href="/supervision/reviews/"' in nav
    listing = head.get("/supervision/reviews/?year=2026")
    assert listing.status_code == 200 and sheet_id in listing.content.decode()
    assert "抽取案卷" not in listing.content.decode()
    detail = head.get(f"/supervision/reviews/sheets/{sheet_id}/")
    assert detail.status_code == 200 and "重新评分" not in detail.content.decode()
    assert head.get(f"/supervision/reviews/samplings/{sampling.id}/").status_code == 200
    assert head.get(url).status_code == 403  # read-only
    assert head.get("/supervision/reviews/sample/").status_code == 403
    assert sample(head).status_code == 403
    assert len(review_entries(LOG)) == 2

    other_head = login("stats.head")
    assert other_head.get(f"/supervision/reviews/sheets/{sheet_id}/").status_code == 403
    assert "无权查看该机关的案卷评查" in denied(MARKET, "stats.head")[-1]["reason"]
    assert sheet_id not in other_head.get("/supervision/reviews/").content.decode()
    officer = login("market.officer")
    assert officer.get("/supervision/reviews/").status_code == 403
    assert 'href="/supervision/reviews/"' not in officer.get("/inbox/").content.decode()


# ---------------------------------------------------------------------------- ranking


def test_agencies_are_ranked_by_average_score_then_fewer_failures(
    demo_cases: None, login: Login
) -> None:
    supervisor = login("supervisor")
    scored: dict[str, list[int]] = {}
    for agency, cut in ((MARKET, 0), (STATS, 3), ("benxi-hrss", 0)):
        assert sample(supervisor, agency, percent=100).status_code == 302
        sampling = max(
            case_review.read(wiring.ledger(), LOG).samplings.values(), key=lambda s: s.seq
        )
        for number in sampling.selected:
            url = (
                f"/supervision/reviews/samplings/{sampling.id}/cases/{index_of(agency, number).pk}/"
            )
            marks = full_marks(
                agency, **{"facts.determined": (10 - cut, "事实不清")} if cut else {}
            )
            assert supervisor.post(url, marks).status_code == 302
            scored.setdefault(agency, []).append(review_entries(LOG)[-1]["review"]["total"])
    names = dict(Agency.objects.values_list("code", "name"))
    ranks = reviews.ranking(names, reviews.period_of(*(d for d in _year())))
    averages = {r.agency: r.average for r in ranks}
    for agency, totals in scored.items():
        assert averages[agency] == round(sum(totals) / len(totals), 1)
        [rank] = [r for r in ranks if r.agency == agency]
        assert rank.reviewed == len(totals)
        assert sum(rank.grades.values()) == len(totals)
    reviewed = [r for r in ranks if r.reviewed]
    assert [r.agency for r in reviewed] == sorted(
        scored, key=lambda a: (-(averages[a] or 0), reviewed_failed(ranks, a), a)
    )
    assert [r.agency for r in ranks if not r.reviewed] == ["tonghua-gazetteer", "tonghua-postal"]
    page = supervisor.get("/supervision/reviews/?year=2026").content.decode()
    page = page[page.index("各机关排名") :]
    positions = [page.index(names[r.agency]) for r in reviewed]
    assert positions == sorted(positions)


def reviewed_failed(ranks: list[reviews.Rank], agency: str) -> int:
    return next(r.failed for r in ranks if r.agency == agency)


def _year() -> tuple[Any, Any]:
    from datetime import date

    return date(2026, 1, 1), date(2026, 12, 31)


def test_ties_are_broken_by_fewer_failures() -> None:
    from lawtrail.web.reviews import Rank

    a = Rank("a", "A", 2, 80.0, {"优秀": 0, "合格": 2, "不合格": 0}, 0)
    b = Rank("b", "B", 2, 80.0, {"优秀": 1, "合格": 0, "不合格": 1}, 1)
    ordered = sorted(
        [b, a], key=lambda r: (r.average is None, -(r.average or 0), r.failed, r.agency)
    )
    assert [r.agency for r in ordered] == ["a", "b"]


# ---------------------------------------------------------------------------- verify


def test_verify_reports_a_tampered_review_index_and_reindex_restores_it(
    demo_cases: None, login: Login
) -> None:
    supervisor = login("supervisor")
    assert sample(supervisor, percent=100).status_code == 302
    sampling = the_sampling()
    index = index_of(MARKET, sampling.selected[0])
    url = f"/supervision/reviews/samplings/{sampling.id}/cases/{index.pk}/"
    assert supervisor.post(url, full_marks()).status_code == 302
    sheet_id = review_entries(LOG)[-1]["review"]["sheet"]
    assert check().problems == []

    with connection.cursor() as cursor:  # another grade for the agency, by hand
        cursor.execute(
            "UPDATE lawtrail_casereview SET total = 50, grade = '不合格' WHERE sheet_id = %s",
            [sheet_id],
        )
        cursor.execute(
            "UPDATE lawtrail_reviewsampling SET population = 1 WHERE sampling_id = %s",
            [sampling.id],
        )
    report = check()
    mismatched = {p.column for p in report.problems if p.code == "review_index_mismatch"}
    assert {"total", "grade", "population"} <= mismatched
    assert found(report, "review_index_mismatch")[0][0] == MARKET
    CaseReview.objects.filter(sheet_id=sheet_id).delete()
    assert [p.record for p in check().problems if p.code == "review_index_missing"] == [sheet_id]
    CaseReview.objects.create(
        agency_id=MARKET,
        sheet_id="PF20260101-abcdef",
        sampling_id=sampling.id,
        case_number=index.case_number,
        total=100,
        grade="优秀",
        reviewed_by="supervisor",
        reviewed_at=sampling.sampled_at,
        judged_size=1,
        seq=99,
    )
    assert "review_index_orphan" in {p.code for p in check().problems}
    call_command("reindex", stdout=io.StringIO())
    assert check().problems == []
    row = CaseReview.objects.get(sheet_id=sheet_id)
    assert row.total == review_entries(LOG)[-1]["review"]["total"]
    # scoped to the agency and to a case, the check still runs
    assert check(agency=MARKET).problems == []
    assert check(case_number=index.case_number).problems == []


# ---------------------------------------------------------------------------- API


def test_the_api_samples_scores_and_reads_within_the_callers_scope(
    demo_cases: None, login: Login
) -> None:
    supervisor = login("supervisor")
    created = supervisor.post(
        "/api/reviews/samplings",
        {"agency": MARKET, "period_from": "2026-01-01", "period_to": "2026-12-31", "percent": 100},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content.decode()
    sampling = created.json()
    assert sampling["selected"] == closed(MARKET) and sampling["period_label"] == "2026年"
    assert review.draw(sampling["population"], 100, sampling["seed"]) == sampling["selected"]
    got = supervisor.get(f"/api/reviews/samplings/{sampling['id']}")
    assert got.status_code == 200 and got.json()["seed"] == sampling["seed"]

    manual = {
        i.id: {"score": i.points, "comment": ""} for i in review.load_sheet(MARKET).manual_items
    }
    number = sampling["selected"][0]
    bad = dict(manual, **{"basis.law": {"score": 5, "comment": ""}})
    refused = supervisor.post(
        f"/api/reviews/samplings/{sampling['id']}/sheets",
        {"case_number": number, "manual": bad},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "请说明扣分理由" in refused.content.decode()
    submitted = supervisor.post(
        f"/api/reviews/samplings/{sampling['id']}/sheets",
        {"case_number": number, "manual": manual},
        content_type="application/json",
    )
    assert submitted.status_code == 201, submitted.content.decode()
    sheet = submitted.json()
    assert sheet["case_number"] == number and sheet["reviewed_by"] == "supervisor"
    assert sheet["total"] == 100 - sum(auto_deductions(MARKET, number).values())
    again = supervisor.post(
        f"/api/reviews/samplings/{sampling['id']}/sheets",
        {"case_number": number, "manual": manual},
        content_type="application/json",
    )
    assert again.status_code == 403 and "不能修改" in again.content.decode()
    read = supervisor.get(f"/api/reviews/sheets/{sheet['id']}")
    assert read.status_code == 200 and read.json()["items"] == sheet["items"]
    listed = supervisor.get("/api/reviews").json()
    assert [r["id"] for r in listed] == [sheet["id"]] and listed[0]["current"] is True

    head = login("market.head")
    assert head.get(f"/api/reviews/sheets/{sheet['id']}").status_code == 200
    assert [r["id"] for r in head.get("/api/reviews").json()] == [sheet["id"]]
    assert (
        head.post(
            f"/api/reviews/samplings/{sampling['id']}/sheets",
            {"case_number": number, "manual": manual, "supersedes": sheet["id"]},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert login("stats.head").get(f"/api/reviews/sheets/{sheet['id']}").status_code == 403
    supervisor_of("sup.stats", STATS)
    other = login("sup.stats")
    assert (
        other.post(
            "/api/reviews/samplings",
            {"agency": MARKET, "period_from": "2026-01-01", "period_to": "2026-12-31"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert other.get("/api/reviews").json() == []
    assert len(review_entries(LOG)) == 2
