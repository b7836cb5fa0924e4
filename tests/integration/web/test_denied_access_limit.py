"""A refused attempt is logged, but an account cannot grow an agency's log without limit
(issue #12, item 0): per user and address the first ten refusals a minute are entries of their
own; the rest are counted and logged as one entry saying how many, once the minute has passed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from lawtrail.core import timeutil
from lawtrail.web import denials, wiring
from lawtrail.web.models import CaseIndex

pytestmark = pytest.mark.django_db

Login = Callable[[str], Client]
MARKET = "tonghua-market"


def denied(username: str) -> list[dict[str, object]]:
    entries = wiring.ledger().entries(MARKET, types=("access",))
    bodies = [entry.data()["access"] for entry in entries]
    return [b for b in bodies if b["user"] == username and b["outcome"] == "denied"]


def test_refusals_beyond_the_limit_are_counted_and_logged_as_one_entry(
    demo_cases: None, login: Login
) -> None:
    index = CaseIndex.objects.filter(agency_id=MARKET).first()
    assert index is not None
    url = f"/cases/{index.pk}/"
    start = timeutil.now()
    with time_machine.travel(start, tick=False) as clock:
        outsider = login("postal.officer")
        for _ in range(denials.LIMIT + 25):
            assert outsider.get(url).status_code == 403
        attempts = denied("postal.officer")
        assert len(attempts) == denials.LIMIT  # the rest were counted, not logged one by one
        assert all("suppressed" not in a for a in attempts)

        # A minute later the next access (anyone's) logs the count as one entry.
        clock.shift(denials.WINDOW + timedelta(seconds=1))
        assert login("market.handler").get(url).status_code == 200
        attempts = denied("postal.officer")
        assert len(attempts) == denials.LIMIT + 1
        counted = attempts[-1]["suppressed"]
        assert isinstance(counted, dict)
        assert counted["count"] == 25 and counted["actions"] == ["view_case"]

        # A new window: refusals are logged one by one again.
        assert outsider.get(url).status_code == 403
        assert len(denied("postal.officer")) == denials.LIMIT + 2

    # The supervisor's access log says how many were counted.
    page = login("supervisor").get("/supervision/access/")
    assert "另有 25 次" in page.content.decode()


def test_the_count_is_kept_per_user_and_address() -> None:
    limiter = denials.DenialLimiter(limit=2)
    now = timeutil.now()
    a = denials.Key("a", "10.0.0.1", MARKET)
    b = denials.Key("a", "10.0.0.2", MARKET)
    assert [limiter.admit(a, now, "c", "view_case") for _ in range(3)] == [True, True, False]
    assert limiter.admit(b, now, "c", "view_case")  # another address: its own count
    assert limiter.due(now) == []  # the window is still open
    [due] = limiter.due(now + denials.WINDOW)
    assert (due.key, due.count) == (a, 1)


def test_a_count_reaching_the_flush_size_is_logged_without_waiting() -> None:
    limiter = denials.DenialLimiter(limit=1, flush_every=5)
    now = timeutil.now()
    key = denials.Key("a", "", MARKET)
    for _ in range(6):
        limiter.admit(key, now, "c", "view_case")
    [due] = limiter.due(now)
    assert due.count == 5
