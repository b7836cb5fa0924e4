"""The five regulation texts parse into their articles, and quotes can be checked against them."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from lawtrail.core.regulations import (
    Article,
    Regulation,
    load_regulation,
    normalize,
    parse_chinese_numeral,
    parse_regulation,
    quote_in_article,
    regulation_files,
)

F000 = "000_3b66c95b76a62577.txt"
F001 = "001_626117448e5747a6.txt"
F002 = "002_414a546ea0455888.txt"
F003 = "003_89d6afb94859888e.txt"
F004 = "004_52116c536b576369.txt"

SHARED_REGULATIONS = Path(__file__).resolve().parents[2].parent / "shared" / "regulations"

CHAPTER_HEADING = re.compile(r"^[\s*#]*第[一二三四五六七八九十]+章", re.MULTILINE)


# --- the packaged files -------------------------------------------------------------------


def test_regulation_files_lists_the_five_packaged_texts_sorted() -> None:
    assert regulation_files() == [F000, F001, F002, F003, F004]


@pytest.mark.skipif(
    not SHARED_REGULATIONS.is_dir(),
    reason=f"shared regulations directory {SHARED_REGULATIONS} is absent (no ../shared checkout)",
)
@pytest.mark.parametrize("file_name", [F000, F001, F002, F003, F004])
def test_packaged_copy_is_byte_identical_to_the_shared_original(file_name: str) -> None:
    packaged = (files("lawtrail.rulepacks") / "regulations" / file_name).read_bytes()
    assert packaged == (SHARED_REGULATIONS / file_name).read_bytes()


def test_load_regulation_is_cached() -> None:
    assert load_regulation(F000) is load_regulation(F000)


def test_load_regulation_rejects_an_unknown_file_with_the_available_names() -> None:
    with pytest.raises(FileNotFoundError, match=F000):
        load_regulation("../README.md")


# --- article counts and titles ------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "count"),
    [(F000, 38), (F001, 31), (F002, 40), (F003, 29), (F004, 16)],
)
def test_each_file_parses_into_its_expected_consecutive_articles(
    file_name: str, count: int
) -> None:
    regulation = load_regulation(file_name)
    assert list(regulation.articles) == list(range(1, count + 1))
    assert all(number == article.number for number, article in regulation.articles.items())
    assert all(article.text.strip() for article in regulation.articles.values())


@pytest.mark.parametrize(
    ("file_name", "title"),
    [
        (F000, "通化市邮政管理局行政执法全过程记录实施办法"),
        (F001, "通化市地方志编纂委员会办公室行政执法全过程记录办法"),
        (F002, "通化市市场监督管理局行政执法全过程记录实施办法"),
        (F003, "本溪市人社局行政执法全过程记录实施办法"),
        (F004, "栾川县统计局行政执法全过程记录制度"),
    ],
)
def test_title_is_rebuilt_from_the_opening_lines(file_name: str, title: str) -> None:
    assert load_regulation(file_name).title == title


# --- selected articles --------------------------------------------------------------------


def test_000_article_7_allows_reporting_within_24_hours() -> None:
    article = load_regulation(F000).article(7)
    assert article.heading == "第七条"
    assert "24小时内补报" in article.text


def test_000_article_5_does_not_swallow_the_next_chapter_heading() -> None:
    text = load_regulation(F000).article(5).text
    assert "第二章" not in text
    assert "程序启动的记录" not in text


def test_000_chapter_heading_glued_to_a_sentence_end_is_dropped() -> None:
    text = load_regulation(F000).article(36).text
    assert "第八章" not in text
    assert text.endswith("造成严重后果的。")


def test_untitled_section_headings_are_not_article_text() -> None:
    assert "送达与执行的记录" not in load_regulation(F000).article(21).text
    assert "执法记录的管理与使用" not in load_regulation(F000).article(30).text
    assert "送达与执行的记录" not in load_regulation(F002).article(22).text
    assert "附  则" not in load_regulation(F002).article(38).text


@pytest.mark.parametrize("file_name", [F000, F001, F002, F003, F004])
def test_no_article_text_contains_a_chapter_heading_line(file_name: str) -> None:
    for article in load_regulation(file_name).articles.values():
        assert CHAPTER_HEADING.search(article.text) is None, (file_name, article.number)


def test_002_article_8_heading_glued_to_its_text_still_starts_an_article() -> None:
    article = load_regulation(F002).article(8)
    assert article.heading == "第八条"
    assert article.text.startswith("市场监管部门依职权启动一般程序行政执法的")
    assert "依职权启动一般程序" in article.text
    assert "依职权启动一般程序" not in load_regulation(F002).article(7).text


def test_002_indented_heading_starts_an_article() -> None:
    article = load_regulation(F002).article(14)
    assert article.heading == "第十四条"
    assert article.text.startswith("在证据可能灾失")


def test_001_ocr_volume_headings_count_as_articles_27_to_30() -> None:
    regulation = load_regulation(F001)
    article = regulation.article(27)
    assert article.number == 27
    assert article.heading == "第二十七卷"
    assert (
        article.text == "行政執法科室證明專門人員負責對全過程記錄文字和音像資料的归档、保管和使用。"
    )
    assert [regulation.article(n).heading for n in (28, 29, 30)] == [
        "第二十八卷",
        "第二十九卷",
        "第三十卷",
    ]
    assert regulation.article(28).text.startswith("当事人根據需要申請复制")
    assert not regulation.article(30).text.splitlines()[0].endswith("**")


def test_001_article_26_keeps_its_garbled_traditional_continuation() -> None:
    text = load_regulation(F001).article(26).text
    assert text.startswith("行政科室应建立健全行政执法案卷。")
    assert "《中華人民共和國檔案法》的規定歸檔" in text


def test_001_article_31_follows_the_volume_headings() -> None:
    article = load_regulation(F001).article(31)
    assert article.heading == "第三十一条"
    assert article.text.startswith("行政执法科室办理行政执法事项")


def test_003_article_1_is_the_article_not_the_cover_letter() -> None:
    regulation = load_regulation(F003)
    text = regulation.article(1).text
    assert text.startswith("为推进行政执法全过程记录制度建设")
    assert "局属各单位" not in text
    assert "关于印发" in regulation.preamble
    assert "局属各单位" in regulation.preamble


def test_004_article_14_quote_matches_across_its_line_breaks() -> None:
    regulation = load_regulation(F004)
    assert "2个工作日内" in normalize(regulation.article(14).text)
    assert quote_in_article(regulation, 14, "应在2个工作日内将信息储存至行政执法信息系统")


def test_004_article_6_requires_papers_within_2_days() -> None:
    assert "2日内补办相关手续" in normalize(load_regulation(F004).article(6).text)


def test_004_signature_block_is_not_part_of_the_last_article() -> None:
    regulation = load_regulation(F004)
    assert regulation.article(16).text == "本办法自发文之日起试行。"
    assert "2020年11月21日" in regulation.closing
    assert "栾川县统计局" in regulation.closing


def test_article_records_the_line_of_its_heading() -> None:
    assert load_regulation(F000).article(1).line == 7


def test_missing_article_raises_key_error_naming_file_and_number() -> None:
    with pytest.raises(KeyError, match=r"004_52116c536b576369\.txt.*no article 17"):
        load_regulation(F004).article(17)


# --- quotes -------------------------------------------------------------------------------


def test_quote_spanning_a_line_break_is_found_in_004_article_11() -> None:
    regulation = load_regulation(F004)
    quote = "通过传真、电子邮件等方式送达（行政执法决定书除外）的"
    assert quote not in regulation.article(11).text  # broken over two lines in the file
    assert quote_in_article(regulation, 11, quote)


def test_quote_from_another_article_is_not_found() -> None:
    regulation = load_regulation(F004)
    assert not quote_in_article(
        regulation, 12, "通过传真、电子邮件等方式送达（行政执法决定书除外）的"
    )
    assert not quote_in_article(load_regulation(F000), 8, "24小时内补报")


def test_quote_matches_across_full_and_half_width_brackets_and_list_markers() -> None:
    regulation = load_regulation(F001)
    assert quote_in_article(regulation, 11, "（一）询问当事人或证人")  # file: "- (一) 询问…"
    assert quote_in_article(load_regulation(F000), 12, "现场检查（勘验）")  # file: "(勘验)"


def test_quote_in_a_missing_article_raises_key_error() -> None:
    with pytest.raises(KeyError):
        quote_in_article(load_regulation(F003), 30, "本办法")


def test_empty_quote_is_rejected() -> None:
    with pytest.raises(ValueError, match="empty quote"):
        quote_in_article(load_regulation(F003), 1, " \u3000\n**")


def test_normalize_removes_whitespace_markers_and_unifies_punctuation() -> None:
    text = "**第一条** 甲，乙\n- （一）丙：丁；\n\u3000\u3000戊 己"
    assert normalize(text) == "第一条甲,乙(一)丙:丁;戊己"


# --- numerals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numeral", "value"),
    [
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十一", 11),
        ("十五", 15),
        ("二十", 20),
        ("二十九", 29),
        ("三十八", 38),
        ("四十", 40),
        ("一百", 100),
        ("一百零一", 101),
        ("一百一十", 110),
        ("两百二十二", 222),
    ],
)
def test_parse_chinese_numeral(numeral: str, value: int) -> None:
    assert parse_chinese_numeral(numeral) == value


@pytest.mark.parametrize(
    "garbage", ["", "零", "条", "十十", "二二", "一百零", "一百五", "零一", "12", "第一", "百"]
)
def test_parse_chinese_numeral_rejects_garbage(garbage: str) -> None:
    with pytest.raises(ValueError, match="Chinese numeral"):
        parse_chinese_numeral(garbage)


# --- parsing rules on small texts ---------------------------------------------------------


def test_headings_are_recognised_only_at_line_starts_in_all_their_forms() -> None:
    text = "\n".join(
        [
            "示例办法",
            "第一章 总则",
            "第一条 依照本办法第三条的规定执行。",
            "**第二条** 加粗标题。",
            "- 第三条 列表标题。",
            "\u3000\u3000第四条紧接正文，第五条不算。",
            "**第五卷 整行加粗。**",
            "附  则",
            "第六条 本办法自发布之日起施行。",
        ]
    )
    regulation = parse_regulation("sample.txt", text)
    assert regulation.title == "示例办法"
    assert [a.heading for a in regulation.articles.values()] == [
        "第一条",
        "第二条",
        "第三条",
        "第四条",
        "第五卷",
        "第六条",
    ]
    assert regulation.article(1) == Article(1, "第一条", "依照本办法第三条的规定执行。", line=3)
    assert regulation.article(2).text == "加粗标题。"
    assert regulation.article(4).text == "紧接正文，第五条不算。"
    assert regulation.article(5).text == "整行加粗。"


def test_non_consecutive_article_numbers_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"sample\.txt:3: expected article 2, found '第三条'"):
        parse_regulation("sample.txt", "示例办法\n第一条 甲。\n第三条 乙。")


def test_repeated_article_number_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected article 2"):
        parse_regulation("sample.txt", "示例办法\n第一条 甲。\n第一条 乙。")


def test_text_without_articles_is_rejected() -> None:
    with pytest.raises(ValueError, match="no article headings"):
        parse_regulation("sample.txt", "示例办法\n只有正文。")


def test_regulation_articles_cannot_be_modified() -> None:
    regulation: Regulation = load_regulation(F003)
    with pytest.raises(TypeError):
        regulation.articles[99] = regulation.article(1)  # type: ignore[index]


@pytest.mark.parametrize("number", [1, 9, 10, 11, 14, 20, 25, 30, 38, 40, 100, 101, 110, 222])
def test_chinese_numeral_round_trips_through_the_parser(number: int) -> None:
    from lawtrail.core.regulations import chinese_numeral

    assert parse_chinese_numeral(chinese_numeral(number)) == number


def test_article_labels_read_as_in_the_regulations() -> None:
    from lawtrail.core.regulations import article_label

    assert [article_label(n) for n in (8, 10, 13, 32)] == [
        "第八条",
        "第十条",
        "第十三条",
        "第三十二条",
    ]
