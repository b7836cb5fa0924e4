"""The five rule packs as data: each loads, cites real articles, accounts for every article."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lawtrail.core.coverage import CoverageError, coverage_markdown, pack_coverage
from lawtrail.core.regulations import load_regulation, quote_in_article
from lawtrail.core.rules import PackError, RulePack, agency_ids, load_pack, parse_pack
from lawtrail.tools import generate

TESTS = Path(__file__).parent
EXPECTED = {
    "tonghua-postal": "000_3b66c95b76a62577.txt",
    "tonghua-gazetteer": "001_626117448e5747a6.txt",
    "tonghua-market": "002_414a546ea0455888.txt",
    "benxi-hrss": "003_89d6afb94859888e.txt",
    "luanchuan-stats": "004_52116c536b576369.txt",
}
PACKS = [load_pack(agency) for agency in agency_ids()]


def test_there_is_one_pack_per_agency_each_citing_its_own_regulation() -> None:
    assert set(agency_ids()) == set(EXPECTED)
    for pack in PACKS:
        assert pack.agency == load_pack(pack.agency).agency
        assert pack.regulation == EXPECTED[pack.agency]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.agency)
def test_every_rule_quotes_the_article_it_cites(pack: RulePack) -> None:
    regulation = load_regulation(pack.regulation)
    wrong = [
        f"{r.id} (第{r.citation.article}条): {r.citation.quote}"
        for r in pack.rules
        if not quote_in_article(regulation, r.citation.article, r.citation.quote)
    ]
    assert wrong == []


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.agency)
def test_every_article_has_rules_or_a_reason(pack: RulePack) -> None:
    lines = pack_coverage(pack)
    assert len([line for line in lines if re.match(r"^\| \d+ \|", line)]) == len(
        load_regulation(pack.regulation).articles
    )


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.agency)
def test_every_rule_is_exercised_by_the_packs_tests(pack: RulePack) -> None:
    # The pack's own tests, or the tests that judge the same act across all five agencies.
    test_files = (
        TESTS / f"test_pack_{pack.agency.replace('-', '_')}.py",
        TESTS / "test_agency_differences.py",
    )
    text = "".join(f.read_text(encoding="utf-8") for f in test_files)
    untested = [rule.id for rule in pack.rules if f'"{rule.id}"' not in text]
    assert untested == []


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: p.agency)
def test_rule_ids_carry_the_packs_prefix(pack: RulePack) -> None:
    prefixes = {rule.id.split(".")[0] for rule in pack.rules}
    assert len(prefixes) == 1


def test_generated_files_are_up_to_date() -> None:
    assert generate.main(["--check"]) == 0, "run: python -m lawtrail.tools.generate"


def test_coverage_document_lists_every_pack() -> None:
    text = coverage_markdown()
    for agency in EXPECTED:
        assert f"`{agency}`" in text


HEADER = """
[agency]
id = "x"
name = "测试"
regulation = "002_414a546ea0455888.txt"
acts_covered = ["penalty"]
"""


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('kinds = ["decision"]\ncheck = { type = "fields", fields = ["nope"] }', "没有字段"),
        ('kinds = ["teleport"]\ncheck = { type = "fields", fields = ["x"] }', "未知的记录类型"),
        ('kinds = ["decision"]\ncheck = { type = "magic" }', "未知的检查类型"),
        (
            'kinds = ["decision"]\n'
            'check = { type = "followed_by", kinds = ["closure"], within = "3x" }',
            "within",
        ),
        ('kinds = ["decision"]\ncolour = "red"\ncheck = { type = "av" }', "未知的键"),
        ('kinds = ["service"]\nwhere = { method = "pigeon" }\ncheck = { type = "av" }', "没有取值"),
        ('kinds = ["decision"]\ncheck = { type = "exists", kinds = ["filing"] }', "案件级检查"),
        ('check = { type = "av" }', "须指定 kinds"),
        ('kinds = ["decision"]\ncase = { origin = "mars" }\ncheck = { type = "av" }', "没有取值"),
        ('kinds = ["decision"]\ncheck = { type = "officers" }', "不记录执法人员"),
    ],
)
def test_a_malformed_rule_fails_loudly_naming_the_rule(rule: str, message: str) -> None:
    text = HEADER + f'\n[[rule]]\nid = "x.bad"\ntitle = "t"\narticle = 1\nquote = "q"\n{rule}\n'
    with pytest.raises(PackError) as info:
        parse_pack(text, source="bad.toml")
    assert message in str(info.value)
    assert "bad.toml" in str(info.value)


def test_duplicate_rule_ids_are_rejected() -> None:
    rule = (
        '\n[[rule]]\nid = "x.a"\ntitle = "t"\narticle = 1\nquote = "q"\n'
        'kinds = ["decision"]\ncheck = { type = "av" }\n'
    )
    with pytest.raises(PackError, match="重复"):
        parse_pack(HEADER + rule + rule)


def test_an_article_without_rule_or_reason_breaks_coverage() -> None:
    pack = parse_pack(HEADER)
    with pytest.raises(CoverageError, match="第1条"):
        pack_coverage(pack)


def test_unknown_agency_is_a_clear_error() -> None:
    with pytest.raises(PackError, match="未知的执法机关"):
        load_pack("atlantis")
