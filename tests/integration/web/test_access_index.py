"""The access log page reads an index, not a scan (issue #18, item 2): every writer of an
``access`` entry writes its row of the index in the entry's transaction; the page's filters pick
the same entries, in the same order, as the walk of the logs it replaced; an index edited by
hand is reported by `lawtrail verify`'s projection check and is not believed by the page (which
shows the ledger's entries, each checked against its row); `lawtrail manage reindex` rebuilds
it. On SQLite and (``LAWTRAIL_TEST_WEB_DB=postgresql``) on PostgreSQL.
"""

from __future__ import annotations

import heapq
import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lawtrail import web_cli
from lawtrail.core import timeutil
from lawtrail.ledger.log import Ledger, StoredEntry
from lawtrail.ledger.verify import Report, verify
from lawtrail.web import access_index, actions, denials, wiring
from lawtrail.web.models import AccessIndex, ApiToken, CaseIndex, User
from lawtrail.web.views import supervision

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"
POSTAL = "tonghua-postal"
NAMES = {MARKET: "通化市市场监督管理局", POSTAL: "通化市邮政管理局"}


def check(**scope: Any) -> Report:
    return verify(wiring.ledger(), wiring.keys(), projections=web_cli.projection_checks(), **scope)


def found(report: Report, code: str) -> list[tuple[str, int | None, str]]:
    return [(p.agency, p.seq, p.column) for p in report.problems if p.code == code]


def access_problems(report: Report) -> list[Any]:
    return [p for p in report.problems if p.code.startswith("access_index")]


def raw_sql(sql: str, params: tuple[Any, ...] = ()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def access_entries(agency: str) -> list[StoredEntry]:
    return list(wiring.ledger().entries(agency, types=("access",)))


# ---------------------------------------------------------------------------- the old walk
# The page as it was before the index (issue #18): the logs' access entries walked newest first,
# merged by time, filtered in Python. The index must pick exactly these.


def walk(agencies: list[str], filters: dict[str, Any]) -> list[tuple[str, int]]:
    ledger = wiring.ledger()
    since, until = filters.get("since"), filters.get("until")
    start = datetime.combine(since, time.min, tzinfo=timeutil.SHANGHAI) if since else None
    end = (
        datetime.combine(until + timedelta(days=1), time.min, tzinfo=timeutil.SHANGHAI)
        if until
        else None
    )
    user, outcome = filters.get("user") or "", filters.get("outcome") or ""

    def at(entry: StoredEntry) -> datetime:
        return timeutil.parse_aware(entry.recorded_at)

    streams = [
        list(
            ledger.entries(
                agency,
                case_number=filters.get("case") or None,
                types=("access",),
                newest_first=True,
            )
        )
        for agency in agencies
        if ledger.log_info(agency) is not None
    ]
    picked = []
    for entry in heapq.merge(*streams, key=at, reverse=True):
        if start is not None and at(entry) < start:
            break
        if end is not None and at(entry) >= end:
            continue
        body = entry.data()["access"]
        if user and user not in (body.get("user"), body.get("name")):
            continue
        if outcome and body.get("outcome") != outcome:
            continue
        picked.append((entry.agency, entry.seq))
    return picked


def paged(agencies: list[str], filters: dict[str, Any]) -> Iterator[supervision.Row]:
    page = 1
    while True:
        rows, more = supervision._page(wiring.ledger(), agencies, filters, page, NAMES)
        yield from rows
        if not more:
            return
        page += 1


# ---------------------------------------------------------------------------- data


@pytest.fixture
def accesses(demo_users: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Access entries in two logs over four days: reads and refusals by several users (one of
    them outside the agency), of several cases and of none (sign-in events), some at the same
    moment in both logs."""
    monkeypatch.setattr(actions, "_denials", denials.DenialLimiter(limit=100_000))
    users = {u: User.objects.get(username=u) for u in ("market.handler", "market.head")}
    users["postal.officer"] = User.objects.get(username="postal.officer")
    start = datetime(2026, 11, 20, 9, 0, tzinfo=timeutil.SHANGHAI)
    cases = ["通市监罚〔2026〕1号", "通市监罚〔2026〕2号", ""]
    n = 0
    with time_machine.travel(start, tick=False) as clock:
        for _day in range(4):
            for hour in range(6):
                for i, (username, user) in enumerate(users.items()):
                    n += 1
                    allowed = not (username == "postal.officer" and hour % 2)
                    case = cases[(n + i) % len(cases)]
                    actions.do_log_access(
                        user,
                        MARKET,
                        case,
                        action="view_case" if case else "login",
                        target=case,
                        allowed=allowed,
                        ip="10.0.0.1",
                        reason="" if allowed else "您无权查看其他机关的案件",
                    )
                    if i == 0:  # the same moment in the other agency's log
                        actions.do_log_access(
                            users["postal.officer"],
                            POSTAL,
                            "通邮管罚〔2026〕8号",
                            action="view_case",
                        )
                clock.shift(timedelta(hours=3))
            clock.shift(timedelta(hours=6))
    return {"users": users, "start": start}


FILTERS: list[dict[str, Any]] = [
    {},
    {"user": "market.head"},
    {"user": "postal.officer"},
    {"outcome": "denied"},
    {"outcome": "allowed", "user": "market.handler"},
    {"case": "通市监罚〔2026〕2号"},
    {"case": "通邮管罚〔2026〕8号", "user": "postal.officer"},
    {"since": date(2026, 11, 21), "until": date(2026, 11, 22)},
    {"since": date(2026, 11, 22), "outcome": "denied", "user": "postal.officer"},
    {"until": date(2026, 11, 20)},
    {"user": "nobody"},
]


# ---------------------------------------------------------------------------- tests


def test_the_index_is_the_models_own_table_and_columns() -> None:
    assert AccessIndex._meta.db_table == access_index.TABLE
    columns = {f.column for f in AccessIndex._meta.concrete_fields}
    assert columns == {"id", "agency_id", "seq", *access_index.COLUMNS}


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: ",".join(f) or "none")
def test_each_filter_picks_the_entries_the_ledger_walk_picked_in_its_order(
    accesses: dict[str, Any], filters: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervision, "PER_PAGE", 7)  # several pages of each filter
    # every filter but the last picks something, and never everything
    everything = walk([MARKET, POSTAL], {})
    picked = walk([MARKET, POSTAL], filters)
    assert (not picked) == (filters.get("user") == "nobody")
    assert filters == {} or len(picked) < len(everything)
    for agencies in ([MARKET, POSTAL], [MARKET], [POSTAL]):
        rows = list(paged(agencies, filters))
        assert [(r.agency, r.seq) for r in rows] == [
            (NAMES[a], s) for a, s in walk(agencies, filters)
        ], (agencies, filters)
        assert not [r for r in rows if r.problem]
    # a display name filters like the username
    if filters.get("user") == "market.head":
        name = accesses["users"]["market.head"].display_name
        by_name = [(r.agency, r.seq) for r in paged([MARKET], {"user": name})]
        assert by_name == [(r.agency, r.seq) for r in paged([MARKET], filters)]


def test_the_page_shows_the_entries_content_with_the_filters(
    accesses: dict[str, Any], login: Login
) -> None:
    supervisor = login("supervisor")
    page = supervisor.get(
        "/supervision/access/", {"user": "postal.officer", "outcome": "denied"}
    ).content.decode()
    assert "拒绝原因：您无权查看其他机关的案件" in page
    assert "允许" not in page.split("<tbody>", 1)[1]
    assert "不符" not in page
    assert access_problems(check()) == []


def test_every_writer_of_an_access_entry_writes_its_row(demo_cases: None, login: Login) -> None:
    index = CaseIndex.objects.filter(agency_id=MARKET).first()
    assert index is not None
    url = f"/cases/{index.pk}/"
    with time_machine.travel(timeutil.now(), tick=False) as clock:
        assert login("market.handler").get(url).status_code == 200  # a read, at once
        outsider = login("postal.officer")
        for _ in range(denials.LIMIT + 3):  # refusals, written when the request ends …
            assert outsider.get(url).status_code == 403
        clock.shift(denials.WINDOW + timedelta(seconds=1))
        # … and the counted ones, as one entry, with the next access
        assert login("market.handler").get(url).status_code == 200
    # a POST refused after its read (deferred to the end of the request)
    assert login("supervisor").post(
        f"/cases/{index.pk}/records/new/emergency_start/", {}
    ).status_code in (
        403,
        405,
    )
    # the API's read, and its refused write with a read-only token
    _, key = ApiToken.issue(User.objects.get(username="market.handler"), "tests", scope="read")
    api = Client(headers={"authorization": f"Bearer {key}"})
    assert api.get(f"/api/cases/{index.pk}").status_code == 200
    assert api.post(f"/api/cases/{index.pk}/records", "{}", "application/json").status_code == 403
    # a sign-in event (no case)
    Client().post("/login/", {"username": "market.handler", "password": "wrong"})

    entries = access_entries(MARKET)
    bodies = [e.data()["access"] for e in entries]
    assert any("suppressed" in b for b in bodies)
    assert {b["channel"] for b in bodies} >= {"web", "api"}
    assert any(b["action"] == "login_failed" for b in bodies)
    assert AccessIndex.objects.filter(agency_id=MARKET).count() == len(entries)
    report = check()
    assert access_problems(report) == []
    assert report.projections[4].name == "查阅记录索引"
    assert report.projections[4].rows == AccessIndex.objects.count()


def test_an_edited_index_is_reported_and_not_believed_by_the_page(
    accesses: dict[str, Any], login: Login
) -> None:
    heads = [e for e in access_entries(MARKET) if e.data()["access"]["user"] == "market.head"]
    framed, deleted = heads[-1], heads[-2]
    case_header = next(wiring.ledger().entries(POSTAL, types=("access",)))
    # An insider makes market.head's latest view look like market.handler's, hides another
    # one, and points a row at an entry of another log.
    raw_sql(
        "UPDATE lawtrail_accessindex SET username = %s WHERE agency_id = %s AND seq = %s",
        ("market.handler", MARKET, framed.seq),
    )
    raw_sql(
        "DELETE FROM lawtrail_accessindex WHERE agency_id = %s AND seq = %s",
        (MARKET, deleted.seq),
    )
    size = wiring.ledger().size(MARKET)
    row = AccessIndex.objects.get(agency_id=POSTAL, seq=case_header.seq)
    AccessIndex.objects.create(
        agency_id=MARKET,
        seq=size + 5,
        recorded_at=timeutil.now(),
        case_number="",
        username="market.handler",
        name="",
        outcome="allowed",
        leaf_hash=row.leaf_hash,
    )

    report = check()
    assert found(report, "access_index_mismatch") == [(MARKET, framed.seq, "username")]
    assert found(report, "access_index_missing") == [(MARKET, deleted.seq, "")]
    assert found(report, "access_index_orphan") == [(MARKET, size + 5, "")]
    assert "market.head" in next(p.message for p in access_problems(report) if p.column)
    # scoped to the agency, or to the framed entry's case: the same findings of that scope
    assert access_problems(check(agency=MARKET)) == access_problems(report)
    assert access_problems(check(agency=POSTAL)) == []
    framed_case = framed.data()["case_number"]
    scoped = access_problems(check(agency=MARKET, case_number=framed_case))
    assert {(p.code, p.seq) for p in scoped} == {("access_index_mismatch", framed.seq)} | (
        {("access_index_missing", deleted.seq)}
        if deleted.data()["case_number"] == framed_case
        else set()
    )

    # The page: the framed entry is not shown as market.handler's; the invented row shows nothing.
    rows = list(paged([MARKET], {"user": "market.handler"}))
    unmatched = {r.seq: r.problem for r in rows if r.problem}
    assert set(unmatched) == {framed.seq, size + 5}
    assert "用户名" in unmatched[framed.seq]
    assert "账本中没有" in unmatched[size + 5]
    assert all(r.user == "market.handler" for r in rows if not r.problem)
    page = login("supervisor").get("/supervision/access/", {"user": "market.handler"})
    text = page.content.decode()
    assert "本页有 2 条查阅记录索引与账本条目不符" in text
    assert f"#{framed.seq}" in text and "lawtrail verify" in text

    out = io.StringIO()
    call_command("reindex", stdout=out)
    assert "条查阅记录的索引" in out.getvalue()
    assert access_problems(check()) == []
    assert [(r.agency, r.seq) for r in paged([MARKET, POSTAL], {})] == [
        (NAMES[a], s) for a, s in walk([MARKET, POSTAL], {})
    ]


def test_an_index_row_of_an_agency_without_a_log_is_reported_and_reindex_drops_it(
    accesses: dict[str, Any],
) -> None:
    row = AccessIndex.objects.filter(agency_id=MARKET).first()
    assert row is not None
    AccessIndex.objects.create(
        agency_id="luanchuan-stats",
        seq=0,
        recorded_at=row.recorded_at,
        username=row.username,
        outcome=row.outcome,
        leaf_hash=row.leaf_hash,
    )
    assert wiring.ledger().log_info("luanchuan-stats") is None
    assert [(p.agency, p.code) for p in access_problems(check())] == [
        ("luanchuan-stats", "access_index_orphan")
    ]
    call_command("reindex", stdout=io.StringIO())
    assert access_problems(check()) == []


def test_reindex_rebuilds_a_lost_index_in_batches_with_every_row(
    accesses: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {(r.agency_id, r.seq, r.leaf_hash) for r in AccessIndex.objects.all()}
    raw_sql("DELETE FROM lawtrail_accessindex")
    report = check()
    # one finding per run of missing entries, not one per entry
    assert found(report, "access_index_missing") == [
        (MARKET, access_entries(MARKET)[0].seq, ""),
        (POSTAL, access_entries(POSTAL)[0].seq, ""),
    ]
    ledger: Ledger = wiring.ledger()
    assert access_index.rebuild(ledger, MARKET, batch=7) == len(access_entries(MARKET))
    assert access_index.rebuild(ledger, POSTAL, batch=1000) == len(access_entries(POSTAL))
    assert {(r.agency_id, r.seq, r.leaf_hash) for r in AccessIndex.objects.all()} == before
    assert access_problems(check()) == []
