"""Case numbers by an agency's pattern (lawtrail.core.case_numbers)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lawtrail.core.case_numbers import CaseNumberPattern, PatternError

MARKET = CaseNumberPattern("通市监罚〔{year}〕{n}号")


def test_the_next_number_follows_the_largest_of_the_year() -> None:
    taken = [
        "通市监罚〔2026〕12号",
        "通市监罚〔2026〕3号",
        "通市监罚〔2025〕99号",
        "通市监简罚〔2026〕40号",
    ]
    assert MARKET.next(taken, 2026) == "通市监罚〔2026〕13号"
    assert MARKET.next(taken, 2027) == "通市监罚〔2027〕1号"
    assert MARKET.next([], 2026) == "通市监罚〔2026〕1号"


def test_numbers_of_other_shapes_are_not_counted() -> None:
    odd = [
        "通市监罚〔2026〕012号",
        "通市监罚〔2026〕12号-补",
        "x通市监罚〔2026〕50号",
        "通市监罚〔2026〕号",
    ]
    assert [MARKET.number_of(c, 2026) for c in odd] == [None, None, None, None]
    assert MARKET.next(odd, 2026) == "通市监罚〔2026〕1号"


def test_the_prefix_is_what_every_number_of_the_year_starts_with() -> None:
    assert MARKET.prefix(2026) == "通市监罚〔2026〕"
    assert MARKET.format(2026, 7).startswith(MARKET.prefix(2026))


@pytest.mark.parametrize(
    "text",
    [
        "通市监罚〔2026〕{n}号",
        "{n}〔{year}〕",
        "罚〔{year}〕{n}{n}号",
        "罚〔{yr}〕{n}号",
        "x" * 90 + "{year}{n}",
    ],
)
def test_a_pattern_without_year_then_number_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(PatternError, match="案号格式"):
        CaseNumberPattern(text)


@given(st.lists(st.integers(min_value=1, max_value=10**6), max_size=30), st.integers(2000, 2099))
def test_the_next_number_is_never_taken(ns: list[int], year: int) -> None:
    taken = [MARKET.format(year, n) for n in ns]
    new = MARKET.next(taken, year)
    assert new not in taken
    assert MARKET.number_of(new, year) == max(ns, default=0) + 1
