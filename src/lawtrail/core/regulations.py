"""The regulation texts, parsed into their articles (条).

Every rule cites (file, article number, short quote). This module splits each packaged text
(``lawtrail/rulepacks/regulations/*.txt``, kept exactly as received, OCR noise included) into
numbered articles so that tests can prove a quote really is in the cited article and a coverage
report can list every article.

Parsing rules
-------------
* An article starts where a line begins (after optional spaces, full-width spaces U+3000, a
  ``**`` bold marker, a ``- `` list marker or a ``# `` heading marker) with 第<numeral>条, or
  with 第<numeral>卷 (001's OCR writes 卷 for 条 in articles 27-30). The numeral must be
  followed directly by 条/卷; the heading may be followed by a space, by ``**`` or directly by
  text (002: "第八条市场监管部门..."). References to articles inside a line never start one.
* Article numbers must run 1..N without gaps; anything else raises ``ValueError``, so a silent
  mis-parse is impossible.
* An article's text runs from after its heading to the next article heading, with whitespace
  as in the file except that the separator after the heading is dropped (and the closing
  ``**`` when the whole heading line is bold, as in 001 art. 27 and 30). Leading and trailing
  blank lines are removed.
* Chapter headings are not article text: lines starting with 第<numeral>章 are dropped, and so
  is a chapter heading glued to the end of a sentence ("...后果的。  第八章 附则", 000 art. 36).
* Untitled section headings ("送达与执行的记录", "执法记录的管理与使用", "附  则") are dropped
  when they are an article's last line and consist of at most 12 Chinese characters with no
  punctuation; a real article's last line always ends with punctuation in these files.
* A signature block after the last article (an issuer line and a date such as
  "2020年11月21日", 004) is moved to ``Regulation.closing``.
* The title is rebuilt from the last lines before the first article (chapter headings
  skipped): consecutive non-blank lines made only of Chinese characters and brackets are
  joined, blank lines in between ignored. That joins titles split over lines (000, 002, 003)
  and stops before a cover letter's date line (003).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from types import MappingProxyType

RESOURCE_PACKAGE = "lawtrail.rulepacks"
RESOURCE_DIRECTORY = "regulations"

_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NUMERAL_CHARS = "零〇一二两三四五六七八九十百"
_NUMERAL = re.compile(
    r"(?:(?P<hundreds>[一二两三四五六七八九])百)?"
    r"(?P<zero>[零〇])?"
    r"(?:(?P<tens>[一二三四五六七八九])?(?P<ten>十))?"
    r"(?P<units>[一二三四五六七八九])?"
)

_SPACE = r"[ \t\u3000]"
_ARTICLE_LINE = re.compile(
    rf"^(?P<lead>{_SPACE}*(?:\*\*|-{_SPACE}+|#+{_SPACE}+)?{_SPACE}*)"
    rf"(?P<heading>第(?P<numeral>[{_NUMERAL_CHARS}]+)[条卷])"
    r"(?P<rest>.*)$"
)
_CHAPTER_LINE = re.compile(rf"^{_SPACE}*(?:\*\*|#+{_SPACE}+)?{_SPACE}*第[{_NUMERAL_CHARS}]+章")
_GLUED_CHAPTER = re.compile(rf"(?<=[。；]){_SPACE}+第[{_NUMERAL_CHARS}]+章[^，。；：、]{{0,20}}$")
_DATE_LINE = re.compile(rf"^{_SPACE}*\d{{4}}年\d{{1,2}}月\d{{1,2}}日{_SPACE}*$")
_TITLE_FRAGMENT = re.compile(r"[\u4e00-\u9fff（）()]+")
_LINE_MARKER = re.compile(rf"^{_SPACE}*(?:-{_SPACE}+|#+{_SPACE}+)", re.MULTILINE)
_PUNCTUATION = str.maketrans({"（": "(", "）": ")", "，": ",", "：": ":", "；": ";"})

_SECTION_HEADING_MAX = 12
_ISSUER_MAX = 30


@dataclass(frozen=True)
class Article:
    """One article (条) of a regulation."""

    number: int
    """1-based article number."""
    heading: str
    """The heading as written, e.g. "第十二条" or "第二十七卷"."""
    text: str
    """The full text after the heading, up to the next article or chapter heading."""
    line: int = 0
    """1-based line of the heading in the file (0 when unknown)."""


@dataclass(frozen=True)
class Regulation:
    """One agency's regulation text, split into its articles."""

    file: str
    """File name, e.g. "000_3b66c95b76a62577.txt"."""
    title: str
    """The regulation's title, joined when the file splits it over lines."""
    articles: Mapping[int, Article]
    """Articles keyed by number, in order 1..N."""
    preamble: str = ""
    """Everything before the first article except chapter headings (title, cover letter)."""
    closing: str = ""
    """A signature block after the last article (issuer, date), if any."""

    def article(self, number: int) -> Article:
        try:
            return self.articles[number]
        except KeyError:
            raise KeyError(
                f"{self.file} ({self.title}) has no article {number}; "
                f"it has articles 1..{len(self.articles)}"
            ) from None


def parse_chinese_numeral(text: str) -> int:
    """Value of a Chinese numeral between 1 and 999: 一, 十, 十五, 二十, 三十八, 一百零一.

    Raises ValueError for anything else (empty text, other characters, "十十", "一百五").
    """
    match = _NUMERAL.fullmatch(text)
    if not text or match is None:
        raise ValueError(f"not a Chinese numeral: {text!r}")
    hundreds, zero, tens, ten, units = match.group("hundreds", "zero", "tens", "ten", "units")
    if zero is not None and (hundreds is None or ten is not None or units is None):
        raise ValueError(f"misplaced 零 in Chinese numeral: {text!r}")
    if hundreds is not None and zero is None and ten is None and units is not None:
        raise ValueError(f"ambiguous Chinese numeral (write 一百零五 or 一百五十): {text!r}")
    value = 0
    if hundreds is not None:
        value += _DIGITS[hundreds] * 100
    if ten is not None:
        value += (_DIGITS[tens] if tens is not None else 1) * 10
    if units is not None:
        value += _DIGITS[units]
    return value


def chinese_numeral(number: int) -> str:
    """1 → 一, 10 → 十, 14 → 十四, 32 → 三十二, 101 → 一百零一: article numbers as written."""
    if not 0 < number < 1000:
        raise ValueError(f"article number out of range: {number}")
    digits = "零一二三四五六七八九"
    hundreds, rest = divmod(number, 100)
    tens, ones = divmod(rest, 10)
    out = f"{digits[hundreds]}百" if hundreds else ""
    if tens:
        if hundreds or tens > 1:
            out += digits[tens]
        out += "十"
    elif hundreds and ones:
        out += "零"
    if ones:
        out += digits[ones]
    return out


def article_label(number: int) -> str:
    return f"第{chinese_numeral(number)}条"


@dataclass
class _Segment:
    number: int
    heading: str
    line: int
    lines: list[str]


def parse_regulation(file_name: str, text: str) -> Regulation:
    """Split a regulation text into its title and numbered articles (see the module docstring)."""
    preamble: list[str] = []
    segments: list[_Segment] = []
    for index, raw_line in enumerate(text.splitlines(), start=1):
        match = _ARTICLE_LINE.match(raw_line)
        if match is not None:
            segments.append(_start_article(file_name, index, match, expected=len(segments) + 1))
            continue
        if _CHAPTER_LINE.match(raw_line):
            continue
        line = _GLUED_CHAPTER.sub("", raw_line)
        (segments[-1].lines if segments else preamble).append(line)
    if not segments:
        raise ValueError(f"{file_name}: no article headings (第…条) found")

    closing: list[str] = []
    articles: dict[int, Article] = {}
    for segment in segments:
        lines = _strip_blank_edges(segment.lines)
        if segment is segments[-1]:
            lines, closing = _split_closing(lines)
        if len(lines) > 1 and _is_short_chinese_line(lines[-1], _SECTION_HEADING_MAX):
            lines = _strip_blank_edges(lines[:-1])
        articles[segment.number] = Article(
            number=segment.number,
            heading=segment.heading,
            text="\n".join(lines),
            line=segment.line,
        )
    return Regulation(
        file=file_name,
        title=_title(file_name, preamble),
        articles=MappingProxyType(articles),
        preamble="\n".join(_strip_blank_edges(preamble)),
        closing="\n".join(closing),
    )


def _start_article(file_name: str, index: int, match: re.Match[str], expected: int) -> _Segment:
    heading = match["heading"]
    try:
        number = parse_chinese_numeral(match["numeral"])
    except ValueError as error:
        raise ValueError(f"{file_name}:{index}: bad article heading {heading!r}: {error}") from None
    if number != expected:
        raise ValueError(
            f"{file_name}:{index}: expected article {expected}, found {heading!r} ({number}); "
            "article numbers must run 1..N without gaps"
        )
    rest = match["rest"].lstrip(" \t\u3000")
    closed_bold = rest.startswith("**")
    if closed_bold:
        rest = rest[2:].lstrip(" \t\u3000")
    if "**" in match["lead"] and not closed_bold:
        # The whole line is bold ("**第二十七卷 ...。**"): drop the closing marker.
        stripped = rest.rstrip()
        if stripped.endswith("**"):
            rest = stripped[:-2].rstrip(" \t\u3000")
    return _Segment(number=number, heading=heading, line=index, lines=[rest])


def _strip_blank_edges(lines: Sequence[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return list(lines[start:end])


def _is_short_chinese_line(line: str, max_length: int) -> bool:
    compact = "".join(line.split())
    return 0 < len(compact) <= max_length and all("\u4e00" <= char <= "\u9fff" for char in compact)


def _split_closing(lines: list[str]) -> tuple[list[str], list[str]]:
    """Split a trailing signature block (issuer line, date line) off the last article."""
    if len(lines) < 2 or not _DATE_LINE.match(lines[-1]):
        return lines, []
    cut = len(lines) - 1
    previous = next((i for i in range(cut - 1, 0, -1) if lines[i].strip()), None)
    if previous is not None and _is_short_chinese_line(lines[previous], _ISSUER_MAX):
        cut = previous
    return _strip_blank_edges(lines[:cut]), _strip_blank_edges(lines[cut:])


def _title(file_name: str, preamble: Sequence[str]) -> str:
    fragments: list[str] = []
    for line in reversed(preamble):
        cleaned = "".join(line.split()).lstrip("#").strip("*")
        if not cleaned:
            continue
        if not _TITLE_FRAGMENT.fullmatch(cleaned):
            break
        fragments.append(cleaned)
    if not fragments:
        raise ValueError(f"{file_name}: no title before the first article")
    return "".join(reversed(fragments))


def _directory() -> Traversable:
    return files(RESOURCE_PACKAGE) / RESOURCE_DIRECTORY


@cache
def _file_names() -> tuple[str, ...]:
    return tuple(
        sorted(
            entry.name
            for entry in _directory().iterdir()
            if entry.is_file() and entry.name.endswith(".txt")
        )
    )


def regulation_files() -> list[str]:
    """The packaged regulation file names, sorted."""
    return list(_file_names())


@cache
def load_regulation(file_name: str) -> Regulation:
    """Parse a packaged regulation by file name (cached)."""
    if file_name not in _file_names():
        raise FileNotFoundError(
            f"no packaged regulation {file_name!r}; available: {', '.join(_file_names())}"
        )
    text = (_directory() / file_name).read_text(encoding="utf-8")
    return parse_regulation(file_name, text)


def normalize(text: str) -> str:
    """Canonical form for quote matching.

    Removes list markers ("- ") and heading markers ("# ") at line starts, bold markers ("**")
    and ALL whitespace (spaces, tabs, newlines, full-width spaces U+3000), then maps the
    full-width punctuation that the files mix with half-width forms to the half-width form:
    （→(  ）→)  ，→,  ：→:  ；→;  Other characters (including OCR errors and traditional
    characters) are left alone, so a quote must match the cited text's own wording.
    """
    text = _LINE_MARKER.sub("", text)
    text = text.replace("**", "")
    text = "".join(text.split())
    return text.translate(_PUNCTUATION)


def quote_in_article(regulation: Regulation, number: int, quote: str) -> bool:
    """Whether ``quote`` occurs in article ``number``, compared after ``normalize``.

    Raises KeyError if the article does not exist and ValueError if the quote normalizes to
    nothing (an empty quote would prove nothing).
    """
    needle = normalize(quote)
    if not needle:
        raise ValueError(f"empty quote for {regulation.file} article {number}")
    return needle in normalize(regulation.article(number).text)
