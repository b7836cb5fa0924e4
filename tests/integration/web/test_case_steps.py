"""办案进度 on the case page (issue #15): each step done, waiting for someone (with who and
when), current, passed without a record, or ahead — from the case's records and its pending
tasks; a pending act is not a violation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lawtrail.core import timeutil
from lawtrail.web import casepage
from tests.builders import CaseBuilder, t

pytestmark = pytest.mark.django_db


def states(builder: CaseBuilder, tasks: list[dict[str, Any]] | None = None) -> dict[str, str]:
    steps = casepage.steps(builder.build(), tasks or [], t("2026-10-10 12:00"), lambda task: "某人")
    return {s.key: s.state for s in steps}


def test_steps_done_passed_current_and_ahead() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("site_inspection", "2026-09-02 10:00", {"location": "某地", "findings": "某情况"})
    b.add("rights_notice", "2026-09-05 10:00")
    got = states(b)
    assert got["investigation"] == "done" and got["notice"] == "done"
    assert got["start"] == "skipped"  # an imported case without its start record
    assert got["defense"] == "current"  # the step after the last one done
    assert got["decision"] == "ahead" and got["archive"] == "ahead"


def test_a_step_with_something_owed_waits_and_names_who_and_when() -> None:
    b = CaseBuilder("tonghua-market")
    b.add("site_inspection", "2026-09-02 10:00")
    due = timeutil.local(t("2026-10-09 10:00"))
    task = {
        "role": "approver",
        "kind": "head_approval",
        "title": "负责人审批：决定草案",
        "due": due.isoformat(),
        "article": 20,
    }
    steps = casepage.steps(b.build(), [task], t("2026-10-10 12:00"), lambda task: "负责人：赵国栋")
    [approval] = [s for s in steps if s.key == "approval"]
    assert approval.state == "waiting"
    [act] = approval.pending
    assert act.who == "负责人：赵国栋" and act.overdue and act.article == "第二十条"
    assert act.due == due and act.kinds == (("head_approval", "负责人审批"),)
    # nothing is "current" while something is owed
    assert "current" not in {s.state for s in steps}
    assert due < t("2026-10-10 12:00") - timedelta(hours=1)
