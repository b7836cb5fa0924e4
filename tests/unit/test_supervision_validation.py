"""The validation of 责令限期整改 orders and answers (lawtrail.supervision): what is refused before
the ledger is touched, in Chinese with JSON paths."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from lawtrail import supervision
from lawtrail.core import timeutil
from lawtrail.services import ServiceError

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timeutil.SHANGHAI)


class Untouchable:
    """A ledger that fails the test if validation lets a request reach it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the ledger was used ({name}) by a request that is invalid")


def issue(**changes: Any) -> supervision.Order:
    args: dict[str, Any] = {
        "category": "not_made",
        "text": "限期补正",
        "due": date(2026, 12, 20),
        "issued_by": "supervisor",
        "case_number": "通市监罚〔2026〕12号",
        "now": NOW,
        **changes,
    }
    return supervision.do_issue_order(Untouchable(), "tonghua-market", **args)  # type: ignore[arg-type]


def paths(exc: pytest.ExceptionInfo[ServiceError]) -> dict[str, str]:
    return {i.path: i.message for i in exc.value.issues}


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"category": "whatever"}, "$.category", "不在 000 号第三十六条所列类别中"),
        ({"text": "  "}, "$.text", "请填写整改要求"),
        ({"text": "字" * 2001}, "$.text", "不能超过 2000 个字"),
        ({"text": "a\x00b"}, "$.text", "空字符"),
        ({"due": date(2026, 12, 2)}, "$.due", "整改期限应晚于今天"),
        ({"due": date(2025, 1, 1)}, "$.due", "整改期限应晚于今天"),
        ({"due": datetime(2026, 12, 20, 9, 0, tzinfo=timeutil.SHANGHAI)}, "$.due", "应为日期"),
        ({"issued_by": ""}, "$.issued_by", "缺少责令人"),
        ({"case_number": "", "pattern": ""}, "$.about.pattern", "须描述存在的问题"),
        ({"case_number": "", "pattern": "x", "record": "r1"}, "$.about", "须同时指明案件"),
    ],
)
def test_an_invalid_order_is_refused_with_its_path_before_the_ledger(
    changes: dict[str, Any], path: str, message: str
) -> None:
    with pytest.raises(ServiceError) as exc:
        issue(**changes)
    assert message in paths(exc)[path]
    assert str(exc.value).startswith("责令整改未通过校验")


def test_the_due_date_is_a_plain_date_of_the_shanghai_calendar() -> None:
    # 23:30 UTC on 1 December is already 2 December in Shanghai: "tomorrow" is 3 December.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    with pytest.raises(ServiceError) as exc:
        issue(now=late, due=date(2026, 12, 2))
    assert "$.due" in paths(exc)


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"done": ""}, "$.done"),
        ({"answered_by": ""}, "$.answered_by"),
        ({"evidence": [supervision.Evidence("xyz", "", 1, "a.jpg")]}, "$.evidence[0].sha256"),
        (
            {"evidence": [supervision.Evidence("a" * 64, "", 1, "a\x00.jpg")]},
            "$.evidence[0].filename",
        ),
        ({"evidence": [supervision.Evidence("a" * 64, "", 1, "a.jpg")] * 21}, "$.evidence"),
    ],
)
def test_an_invalid_answer_is_refused_with_its_path_before_the_ledger(
    changes: dict[str, Any], path: str
) -> None:
    args: dict[str, Any] = {"done": "已整改", "answered_by": "market.head", **changes}
    with pytest.raises(ServiceError) as exc:
        supervision.do_answer_order(
            Untouchable(),  # type: ignore[arg-type]
            "tonghua-market",
            "ZG20261202-abcdef",
            **args,
        )
    assert path in paths(exc)


def test_status_and_overdue_follow_the_due_day() -> None:
    order = supervision.Order(
        id="ZG20261202-abcdef",
        agency="tonghua-market",
        case_number="",
        record="",
        finding="",
        pattern="p",
        category="other",
        text="t",
        due=date(2026, 12, 10),
        issued_by="supervisor",
        issued_at=NOW,
        seq=3,
    )
    assert order.status(datetime(2026, 12, 10, 23, 59, tzinfo=timeutil.SHANGHAI)) == "open"
    assert order.status(datetime(2026, 12, 11, 0, 0, tzinfo=timeutil.SHANGHAI)) == "overdue"
    assert supervision.STATUS_LABELS["overdue"] == "已逾期"
    assert set(supervision.CATEGORIES) == {"not_made", "leaked", "tampered", "storage", "other"}
