"""Case numbers (案号) allocated by an agency's pattern, e.g. ``通市监罚〔{year}〕{n}号``: the
agency's 机关代字, the year in 〔〕 (GB/T 9704 — 发文字号 uses the hexagonal brackets) and a
sequence number restarting each year. The next number is one more than the largest of the
year already taken; the ledger refuses a taken number at the append, so two officers opening
cases at once get a clear refusal, not a duplicate.

A pattern holds ``{year}`` and ``{n}`` once each, in that order, and nothing else in braces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_FIELD = re.compile(r"\{([^{}]*)\}")


class PatternError(ValueError):
    """A pattern that cannot number cases (the message is Chinese, for the admin form)."""


@dataclass(frozen=True)
class CaseNumberPattern:
    text: str

    def __post_init__(self) -> None:
        names = _FIELD.findall(self.text)
        if names != ["year", "n"]:
            raise PatternError(
                f"案号格式「{self.text}」应依次包含且只包含一个 {{year}}（年度）和一个 {{n}}"
                "（序号），例如 通市监罚〔{year}〕{n}号"
            )
        if len(self.text) > 80:
            raise PatternError("案号格式过长（不超过 80 个字符）")

    def _regex(self, year: int) -> re.Pattern[str]:
        before, rest = self.text.split("{year}", 1)
        middle, after = rest.split("{n}", 1)
        return re.compile(
            f"^{re.escape(before)}{year}{re.escape(middle)}([1-9][0-9]{{0,8}}){re.escape(after)}$"
        )

    def format(self, year: int, n: int) -> str:
        return self.text.replace("{year}", str(year)).replace("{n}", str(n))

    def prefix(self, year: int) -> str:
        """What every number of the year starts with (for an indexed prefix search)."""
        return self.text.split("{n}", 1)[0].replace("{year}", str(year))

    def number_of(self, case_number: str, year: int) -> int | None:
        """The sequence number of a case number of this pattern and year, else None."""
        found = self._regex(year).match(case_number)
        return int(found[1]) if found else None

    def next(self, taken: Iterable[str], year: int) -> str:
        """The next case number of the year after those ``taken``."""
        numbers = [n for n in (self.number_of(c, year) for c in taken) if n is not None]
        return self.format(year, max(numbers, default=0) + 1)
