"""The case page's content kept between views (lawtrail.web.pagecache, issue #18): a view that
would render the same content serves the kept one — every view still logs its access — and
anything the content shows makes the next view render afresh: a new record, a deadline
passing, another viewer, an entry edited behind the application's back; the kept content's
forms carry each session's own CSRF token."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

from lawtrail.core import timeutil
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.web import actions, inbox_index, pagecache, wiring
from lawtrail.web.models import CaseIndex, InboxTask, User
from lawtrail.web.views import cases

Login = Callable[[str], Client]
MARKET = "tonghua-market"
EXAMPLE = "通市监罚〔2026〕12号"
EXAMPLE_FILE = Path(__file__).parents[3] / "examples" / MARKET / "compliant-ex-officio-penalty.json"


@pytest.fixture
def renderings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times the case page's content was rendered (not served kept)."""
    done: list[int] = []
    render = cases._case_content

    def counted(*args: Any, **kwargs: Any) -> pagecache.Content:
        done.append(1)
        return render(*args, **kwargs)

    monkeypatch.setattr(cases, "_case_content", counted)
    return done


def append_evidence(index: CaseIndex, record_id: str) -> None:
    """An evidence register recorded by the handler (the example's, a new id, now)."""
    source = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    record = next(r for r in source["records"] if r["kind"] == "evidence_register")
    record = {k: v for k, v in record.items() if k not in ("signatures", "officers")}
    record.update(
        id=record_id,
        at=timeutil.now().isoformat(),
        officers=[{"person": "market.handler"}, {"person": "market.officer"}],
    )
    actions.do_append_record(User.objects.get(username="market.handler"), index, record)


def accesses(index: CaseIndex) -> int:
    found = wiring.ledger().entries(MARKET, case_number=index.case_number, types=("access",))
    return sum(1 for _ in found)


def test_a_view_that_would_render_the_same_serves_the_kept_content_and_logs_its_access(
    demo_cases: None, login: Login, renderings: list[int]
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    client = login("market.handler")
    before = accesses(index)
    pages = [client.get(f"/cases/{index.pk}/") for _ in range(3)]
    assert [p.status_code for p in pages] == [200, 200, 200]
    # Each view signed a new checkpoint here (the tests' ledger integrates on append): the
    # page's verdict does not change with the log's later checkpoints, so it is kept.
    assert len(renderings) == 1
    assert accesses(index) == before + 3
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
    assert strip.sub("", pages[0].content.decode()) == strip.sub("", pages[2].content.decode())


def test_a_new_record_shows_on_the_next_view(
    demo_cases: None, login: Login, renderings: list[int]
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    client = login("market.handler")
    first = client.get(f"/cases/{index.pk}/").content.decode()
    assert 'data-record="r90"' not in first
    append_evidence(index, "r90")
    page = client.get(f"/cases/{index.pk}/").content.decode()
    assert len(renderings) == 2
    assert 'data-record="r90"' in page


def test_content_is_rendered_again_when_a_deadline_shown_passes(
    demo_users: list[tuple[str, str, str]], renderings: list[int]
) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
    with time_machine.travel(start, tick=False):
        header = {
            "case_number": "通市监罚〔2026〕109号",
            "title": "销售侵犯注册商标专用权商品案",
            "acts": ["penalty"],
            "procedure": "general",
            "origin": "emergency",
            "opened_at": timeutil.now().isoformat(),
            "parties": [{"id": "p1", "name": "通化市鑫盛达商贸有限公司"}],
        }
        first_record = {
            "id": "r1",
            "kind": "emergency_start",
            "at": start.isoformat(),
            "fields": {"reason": "现场发现正在销售假冒商品，需立即查处"},
        }
        handler = User.objects.get(username="market.handler")
        index = actions.do_open_case(handler, header, first_record)
    client = Client()
    assert client.login(username="market.handler", password="lawtrail-demo")
    # The 程序启动审批 is due 24 hours after the emergency start (the pack's rule).
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        page = client.get(f"/cases/{index.pk}/").content.decode()
        assert "2026-11-03 09:00" in page and "已逾期" not in page
        client.get(f"/cases/{index.pk}/")
        assert len(renderings) == 1
    with time_machine.travel(start + timedelta(hours=24, seconds=1), tick=False):
        page = client.get(f"/cases/{index.pk}/").content.decode()
    assert len(renderings) == 2  # the deadline passed within the kept content's lifetime
    assert "已逾期" in page


def test_kept_content_expires_after_its_longest_lifetime(
    demo_cases: None, login: Login, renderings: list[int]
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    client = login("market.handler")
    now = timeutil.now()
    with time_machine.travel(now, tick=False):
        client.get(f"/cases/{index.pk}/")
    with time_machine.travel(now + pagecache.MAX_AGE - timedelta(seconds=1), tick=False):
        client.get(f"/cases/{index.pk}/")
        assert len(renderings) == 1
    with time_machine.travel(now + pagecache.MAX_AGE, tick=False):
        client.get(f"/cases/{index.pk}/")
    assert len(renderings) == 2


def test_each_viewer_gets_content_rendered_for_them(
    demo_cases: None, login: Login, renderings: list[int]
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    mine = login("market.handler").get(f"/cases/{index.pk}/").content.decode()
    theirs = login("market.archivist").get(f"/cases/{index.pk}/").content.decode()
    assert len(renderings) == 2
    # The archivist's 组卷归档 box is the archivist's only.
    assert 'class="archive-box"' in theirs and 'class="archive-box"' not in mine


def test_kept_content_carries_each_sessions_own_csrf_token(
    demo_cases: None, renderings: list[int]
) -> None:
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    append_evidence(index, "r90")  # recorded after the 归档: the archivist's form is on the page
    sessions = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        assert client.login(username="market.archivist", password="lawtrail-demo")
        sessions.append(client)
    tokens = []
    for client in sessions:
        page = client.get(f"/cases/{index.pk}/").content.decode()
        assert pagecache.CSRF_PLACEHOLDER not in page
        form = page.split('class="archive-form"', 1)[1].split("</form>", 1)[0]
        [token] = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
        tokens.append(token)
    assert len(renderings) == 1  # the second session was served the first one's rendering
    # … with its own token: the content's form posts in either session (an empty 案卷号: the
    # form's error, 200 — a token of the other session would be refused, 403).
    for client, token in zip(sessions, tokens, strict=True):
        response = client.post(
            f"/cases/{index.pk}/archive/", {"csrfmiddlewaretoken": token, "volume_number": ""}
        )
        assert response.status_code == 200, response.status_code
        assert "案卷号" in response.content.decode()
    stale = Client(enforce_csrf_checks=True)
    assert stale.login(username="market.archivist", password="lawtrail-demo")
    stale.get(f"/cases/{index.pk}/")
    response = stale.post(
        f"/cases/{index.pk}/archive/", {"csrfmiddlewaretoken": "x" * 64, "volume_number": ""}
    )
    assert response.status_code == 403


def test_the_page_around_the_content_is_kept_per_viewer_and_shows_what_changed(
    demo_cases: None, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header and navigation around the content are rendered once per viewer and figures:
    the logout form gets each session's token, the navigation's count changes show on the next
    view, a message or a draft to drop is shown once (that page is rendered whole)."""
    frames: list[int] = []
    render = pagecache.render_to_string

    def counted(template: str, context: dict[str, Any], request: Any = None) -> str:
        frames.append(1)
        return render(template, context, request=request)

    monkeypatch.setattr(pagecache, "render_to_string", counted)
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    handler = login("market.handler")
    url = f"/cases/{index.pk}/"
    first, second = (handler.get(url).content.decode() for _ in range(2))
    assert len(frames) == 1
    tokens = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
    assert tokens.findall(first) and pagecache.CSRF_PLACEHOLDER not in first + second
    assert pagecache.FRAME_SLOT not in first
    assert tokens.sub("", first) == tokens.sub("", second)
    # The logout form's token is the session's: it signs out (a stale token would be refused).
    checked = Client(enforce_csrf_checks=True)
    checked.cookies = handler.cookies
    [token, *_] = tokens.findall(checked.get(url).content.decode())
    assert checked.post("/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    handler = login("market.handler")
    # Another viewer: their own name in the header.
    archivist = User.objects.get(username="market.archivist")
    theirs = login("market.archivist").get(url).content.decode()
    assert len(frames) == 2
    assert f'<span class="user-name">{archivist.display_name}</span>' in theirs
    # A new task for the handler: the navigation's count on the next view.
    me = User.objects.get(username="market.handler")
    tasks = inbox_index.counts(me, timeutil.now())[0]
    InboxTask.objects.create(
        case=index, agency_id=MARKET, position=99, role="handler", kind="k", title="t", handler=me
    )
    count = re.search(r'class="nav-count[^"]*"[^>]*>(\d+)<', handler.get(url).content.decode())
    assert count is not None and int(count[1]) == tasks + 1
    # A draft to drop shows once: that page is rendered whole, the next one framed again.
    session = handler.session
    session["draft_done"] = url
    session.save()
    shown = handler.get(url).content.decode()
    assert f'<meta name="lawtrail-draft-done" content="{url}">' in shown
    framed = handler.get(url).content.decode()
    assert "lawtrail-draft-done" not in framed
    # The page rendered whole is the framed page but for what shows once.
    once = re.compile(
        r'<meta name="lawtrail-draft-done"[^>]*>|<script src="[^"]*drafts\.js"></script>'
    )
    assert tokens.sub("", once.sub("", shown)) == tokens.sub("", framed)


def test_the_case_page_reads_the_navigations_counts_with_the_cases_state(
    demo_cases: None, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The navigation's counts come from the statement that reads the case's state and
    drafts (Ledger.case_state_with), not from a query of their own — and are the same."""
    index = CaseIndex.objects.get(agency_id=MARKET, case_number=EXAMPLE)
    me = User.objects.get(username="market.handler")
    InboxTask.objects.create(
        case=index,
        agency_id=MARKET,
        position=98,
        role="handler",
        kind="k",
        title="t",
        handler=me,
        due=timeutil.now() - timedelta(days=1),
    )
    tasks, overdue = inbox_index.counts(me, timeutil.now())
    assert tasks >= 1 and overdue >= 1
    client = login("market.handler")

    def apart(*args: Any) -> tuple[int, int]:
        raise AssertionError("the counts were read apart")

    monkeypatch.setattr(inbox_index, "counts", apart)
    for _ in range(2):  # rendered, then kept
        page = client.get(f"/cases/{index.pk}/").content.decode()
        shown = re.search(r'title="(\d+) 项待办，(\d+) 项已逾期"', page)
        assert shown is not None and (int(shown[1]), int(shown[2])) == (tasks, overdue)
