"""How documents print dates, money, numbers and titles: pure helpers, no rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from lawtrail.core.model import Case, Record
from lawtrail.core.timeutil import SHANGHAI
from lawtrail.documents import TEMPLATES, DocumentError, template_for
from lawtrail.documents.context import Fields, document_number
from lawtrail.documents.formatting import (
    amount_in_words,
    chinese_date,
    chinese_datetime,
    chinese_ordinal,
    chinese_period,
    clauses,
    file_size,
    format_amount,
    record_title,
    safe_filename,
    sentence,
    transcript_lines,
)
from lawtrail.documents.registry import get_template


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


CASE = Case(
    agency="tonghua-market",
    case_number="通市监罚〔2026〕12号",
    acts=("penalty",),
    procedure="general",
    origin="ex_officio",
    opened_at=at(2026, 3, 3, 15, 30),
)


def test_chinese_date_has_no_leading_zeros() -> None:
    assert chinese_date(date(2026, 10, 9)) == "2026年10月9日"
    assert chinese_date(date(2026, 3, 4)) == "2026年3月4日"


def test_an_instant_is_dated_on_the_shanghai_calendar() -> None:
    # 16:30 UTC on 8 October is 00:30 on 9 October in Shanghai.
    instant = datetime(2026, 10, 8, 16, 30, tzinfo=UTC)
    assert chinese_date(instant) == "2026年10月9日"
    assert chinese_datetime(instant) == "2026年10月9日0时30分"


def test_minutes_are_two_digits() -> None:
    assert chinese_datetime(at(2026, 3, 5, 9, 5)) == "2026年3月5日9时05分"


def test_period_on_one_day_names_the_date_once() -> None:
    assert (
        chinese_period(at(2026, 3, 5, 9, 0), at(2026, 3, 5, 10, 40))
        == "2026年3月5日9时00分至10时40分"
    )


def test_period_over_midnight_names_both_dates() -> None:
    assert (
        chinese_period(at(2026, 3, 5, 22, 0), at(2026, 3, 6, 0, 40))
        == "2026年3月5日22时00分至2026年3月6日0时40分"
    )


def test_period_without_a_later_end_is_the_start() -> None:
    assert chinese_period(at(2026, 3, 5, 9, 0), None) == "2026年3月5日9时00分"
    assert chinese_period(at(2026, 3, 5, 9, 0), at(2026, 3, 5, 8, 0)) == "2026年3月5日9时00分"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("110000.00", "壹拾壹万元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("186400", "壹拾捌万陆仟肆佰元整"),
        ("1005.50", "壹仟零伍元伍角"),
        ("1.05", "壹元零伍分"),
        ("0.50", "伍角"),
        ("0.05", "伍分"),
        ("100000001", "壹亿零壹元整"),
        ("0", "零元整"),
        ("1234567890.12", "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
    ],
)
def test_amount_in_words_follows_the_rmb_capital_rules(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_a_negative_amount_is_refused() -> None:
    with pytest.raises(ValueError, match="负数"):
        amount_in_words(Decimal("-1"))


def test_amount_figures_have_thousands_separators() -> None:
    assert format_amount(Decimal("110000")) == "110,000.00元"


def test_document_number_is_the_number_the_record_states() -> None:
    decision = Record(
        "r13", "decision", at(2026, 4, 20), fields={"document_number": "通市监罚〔2026〕12号"}
    )
    service = Record(
        "r14", "service", at(2026, 4, 21), fields={"receipt_number": "通市监送〔2026〕12-3号"}
    )
    assert document_number(CASE, decision) == "通市监罚〔2026〕12号"
    assert document_number(CASE, service) == "通市监送〔2026〕12-3号"


def test_an_internal_record_carries_no_document_number_and_never_a_record_id() -> None:
    # Only documents the agency issues carry a 文号 (issue #17); a 笔录 or an 审批表 has none,
    # and nothing derived from the record's id ("…号-r05") is invented for it.
    hearing = Record(
        "h1", "hearing", at(2026, 4, 12), fields={"notice_number": "通市监听〔2026〕3号"}
    )
    approval = Record("r05", "initiation_approval", at(2026, 3, 12))
    assert document_number(CASE, hearing) == ""
    assert document_number(CASE, approval) == ""


def test_generic_sheet_titles_read_as_documents() -> None:
    assert record_title("collective_discussion") == "集体讨论记录"
    assert record_title("evidence_register") == "证据登记保存清单"
    assert record_title("evidence_request") == "调取证据通知书"


def test_filenames_keep_chinese_and_drop_unsafe_characters() -> None:
    assert safe_filename("r5-行政处罚决定书", "pdf") == "r5-行政处罚决定书.pdf"
    assert safe_filename('a/b\\c:d*e?"<>|', "docx") == "a_b_c_d_e_.docx"
    assert safe_filename("..", "pdf") == "文书.pdf"


def test_transcript_puts_each_question_and_answer_on_a_line() -> None:
    text = "问：你是否申请回避？答：不申请。问：从何处购进？答：广州。"
    assert (
        transcript_lines(text) == "问：你是否申请回避？\n答：不申请。\n问：从何处购进？\n答：广州。"
    )
    # 询问：… inside a sentence is not a new question.
    assert transcript_lines("已询问：无") == "已询问：无"


def test_ordinals_for_numbered_paragraphs() -> None:
    assert [chinese_ordinal(n) for n in (1, 10, 12, 20, 35)] == [
        "一",
        "十",
        "十二",
        "二十",
        "三十五",
    ]


def test_sentence_and_clauses() -> None:
    assert sentence("处罚幅度适当") == "处罚幅度适当。"
    assert sentence("处罚幅度适当。") == "处罚幅度适当。"
    assert clauses("一、停止侵权；二、没收；三、罚款") == "一、停止侵权；\n二、没收；\n三、罚款"


def test_file_sizes() -> None:
    assert file_size(512) == "512 B"
    assert file_size(4210688) == "4.02 MB"
    assert file_size(1843200000) == "1.72 GB"


def test_fields_are_reachable_even_when_named_like_dict_methods() -> None:
    fields = Fields({"items": "1. 运动鞋185双"})
    assert fields.items == "1. 运动鞋185双"
    assert "items" in fields
    with pytest.raises(AttributeError):
        _ = fields.missing


def test_each_record_kind_finds_its_template() -> None:
    assert template_for("decision").id == "decision"
    assert template_for("service").label == "送达回证"
    assert template_for("collective_discussion").id == "record"
    # 先行登记保存证据通知书 and the other issued forms without a layout of their own (#17).
    assert template_for("register_preservation").id == "notice"
    assert {t.id for t in TEMPLATES.values() if t.kind is None} == {
        "record",
        "notice",
        "case_cover",
        "case_catalog",
        "case_remarks",
    }


def test_an_unknown_template_is_refused_in_chinese() -> None:
    with pytest.raises(DocumentError, match="未知的文书模板“verdict”"):
        get_template("verdict")
