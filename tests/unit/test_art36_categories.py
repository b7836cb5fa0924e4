"""Every rule of every pack maps to one of the five accountability categories (问责情形) of
000_3b66c95b76a62577.txt art. 36 / 002_414a546ea0455888.txt art. 37."""

from __future__ import annotations

from lawtrail.core import accountability
from lawtrail.core.rules import CHECK_TYPES, all_packs


def test_five_categories_in_the_regulations_order() -> None:
    assert list(accountability.category_labels().values()) == [
        "不制作或不按要求制作",
        "泄露",
        "毁损删改",
        "储存维护不当",
        "其他",
    ]


def test_every_check_type_has_a_default() -> None:
    table = accountability._table()
    assert set(table["check_types"]) == set(CHECK_TYPES)
    assert set(table["check_types"].values()) <= set(accountability.category_labels())


def test_every_rule_of_every_pack_has_a_category() -> None:
    packs = all_packs()
    assert len(packs) >= 5
    for pack in packs:
        categories = accountability.pack_categories(pack)
        assert set(categories) == {rule.id for rule in pack.rules}
        assert set(categories.values()) <= set(accountability.category_labels()), pack.agency


def test_overrides_name_existing_rules() -> None:
    known = {rule.id for pack in all_packs() for rule in pack.rules}
    assert set(accountability._table()["rules"]) <= known


def test_av_storage_late_is_storage() -> None:
    for pack in all_packs():
        for rule in pack.rules:
            if accountability.check_type(rule) == "media_ingest":
                assert accountability.rule_category(rule) == accountability.STORAGE
