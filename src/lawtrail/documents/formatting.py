"""Pure formatting helpers for documents: Chinese dates, money, document numbers, file names.

Everything here is a function of its arguments (no clock, no files), so the same case data
always prints the same text — a court re-rendering a document must get the same bytes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.core.timeutil import local

# The fields that carry a document's own number (文号), in the order they are preferred.
# ``receipt_number`` is the 送达回证编号 of a service record: the number of the 回证 itself.
NUMBER_FIELDS: tuple[str, ...] = (
    "document_number",
    "decision_number",
    "notice_number",
    "receipt_number",
)

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_GROUP_UNITS = ("", "万", "亿", "万亿")
_CENT = Decimal("0.01")


def chinese_date(day: date | datetime) -> str:
    """2026年10月9日 — a datetime is first placed on the Shanghai wall clock."""
    if isinstance(day, datetime):
        day = local(day).date()
    return f"{day.year}年{day.month}月{day.day}日"


def chinese_time(value: datetime) -> str:
    """9时05分, Shanghai time: the clock part of a 笔录's time line."""
    value = local(value)
    return f"{value.hour}时{value.minute:02d}分"


def chinese_datetime(value: datetime) -> str:
    """2026年10月9日9时05分, Shanghai time."""
    return chinese_date(value) + chinese_time(value)


def chinese_period(start: datetime, end: datetime | None) -> str:
    """时间 line of a 笔录: 2026年3月5日9时00分至10时40分 (the date once when on one day)."""
    if end is None or local(end) <= local(start):
        return chinese_datetime(start)
    if local(end).date() == local(start).date():
        return f"{chinese_datetime(start)}至{chinese_time(end)}"
    return f"{chinese_datetime(start)}至{chinese_datetime(end)}"


def w3c_datetime(value: datetime) -> str:
    """The W3C date-time WeasyPrint writes as the PDF's CreationDate (Shanghai offset)."""
    return local(value).replace(microsecond=0).isoformat()


def format_amount(amount: Decimal) -> str:
    """110,000.00元"""
    return f"{_money(amount):,.2f}元"


def amount_in_words(amount: Decimal) -> str:
    """人民币大写金额: 110000 → 壹拾壹万元整, 1.05 → 壹元零伍分, 0.5 → 伍角."""
    value = _money(amount)
    cents = int(value * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if jiao == 0 and fen == 0:
        return _integer_in_words(yuan) + "元整"
    text = _integer_in_words(yuan) + "元" if yuan else ""
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text


def _money(amount: Decimal) -> Decimal:
    value = Decimal(amount).quantize(_CENT)
    if value < 0:
        raise ValueError(f"金额不能为负数：{amount}")
    return value


def _integer_in_words(number: int) -> str:
    if number == 0:
        return "零"
    groups: list[int] = []
    while number:
        groups.append(number % 10000)
        number //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("金额过大")
    text = ""
    pending_zero = False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        # A zero between groups is read once: 壹拾万零壹拾, 壹亿零壹.
        if text and (pending_zero or group < 1000):
            text += "零"
        text += _group_in_words(group) + _GROUP_UNITS[index]
        pending_zero = False
    return text


def _group_in_words(group: int) -> str:
    text = ""
    zero = False
    for power, unit in ((3, "仟"), (2, "佰"), (1, "拾"), (0, "")):
        digit = group // 10**power % 10
        if digit == 0:
            zero = bool(text)
            continue
        if zero:
            text += "零"
        text += _DIGITS[digit] + unit
        zero = False
    return text


_DOCUMENT_SUFFIXES = ("表", "书", "单", "证", "录", "纪要", "声明")


def record_title(kind: str) -> str:
    """The title of the generic sheet for a record kind: its label, named as a document.

    证据登记保存清单 stays as it is; 集体讨论 becomes 集体讨论记录.
    """
    label = RECORD_KINDS[kind].label
    return label if label.endswith(_DOCUMENT_SUFFIXES) else label + "记录"


# File names travel through e-mail, ZIP archives and Windows shares: keep out the characters
# any of them refuses, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_filename(stem: str, extension: str, *, limit: int = 120) -> str:
    """A file name safe on common file systems, keeping the Chinese text."""
    cleaned = _UNSAFE.sub("_", stem).strip(" .") or "文书"
    return f"{cleaned[:limit]}.{extension}"


# A question or answer of a 笔录 starts after a sentence ends: 。问：… ？答：…
_QA_BREAK = re.compile(r"(?<=[。？！?!；;…”’）)])\s*(?=[问答][：:])")


def transcript_lines(text: str) -> str:
    """Put every 问：/答： of a transcript on its own line, as on a paper 笔录."""
    return _QA_BREAK.sub("\n", text.strip())


_NUMERALS = "零一二三四五六七八九"


def chinese_ordinal(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (numbering of 一、二、… lists)."""
    if not 0 < number < 100:
        raise ValueError(f"序号超出范围：{number}")
    tens, ones = divmod(number, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else _NUMERALS[tens] + "十")
    return text + (_NUMERALS[ones] if ones else "")


def file_size(size: int) -> str:
    """1843200000 → 1.72 GB: how large a media file is, for the 备考表."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} GB"


_SENTENCE_ENDS = ("。", "！", "？", "；", "…", "”", "）", ".", "!", "?", ")")


def sentence(text: str) -> str:
    """End a recorded statement with 。 when it does not end with punctuation already."""
    text = text.rstrip()
    return text if not text or text.endswith(_SENTENCE_ENDS) else text + "。"


_CLAUSE_BREAK = re.compile(r"([；;])\s*(?=[一二三四五六七八九十]+、)")


def clauses(text: str) -> str:
    """一、…；二、…；三、… on separate lines, as the items of a decision are printed."""
    return _CLAUSE_BREAK.sub("\\1\n", text.strip())


def lines(text: str) -> list[str]:
    """The non-blank lines of a text: one paragraph each, each indented like a paragraph."""
    return [line for line in text.splitlines() if line.strip()]


__all__ = [
    "NUMBER_FIELDS",
    "amount_in_words",
    "chinese_date",
    "chinese_datetime",
    "chinese_ordinal",
    "chinese_period",
    "chinese_time",
    "clauses",
    "file_size",
    "format_amount",
    "lines",
    "record_title",
    "safe_filename",
    "sentence",
    "transcript_lines",
    "w3c_datetime",
]
