"""The accountability category (问责情形) of a finding: one of the five situations of
000_3b66c95b76a62577.txt art. 36 / 002_414a546ea0455888.txt art. 37 (不制作或不按要求制作 /
泄露 / 毁损删改 / 储存维护不当 / 其他). The mapping is data — ``data/art36_categories.toml``: a
default per check type and per-rule overrides — and every rule of every pack has a category
(tests/unit/test_art36_categories.py)."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from lawtrail.core.rules import CHECK_TYPES, Rule, RulePack

MAKING, LEAK, TAMPER, STORAGE, OTHER = "making", "leak", "tamper", "storage", "other"


@cache
def _table() -> dict[str, dict[str, str]]:
    path = resources.files("lawtrail.core") / "data" / "art36_categories.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {key: dict(data.get(key, {})) for key in ("categories", "check_types", "rules")}


def category_labels() -> dict[str, str]:
    """Category code → its Chinese name, in the regulations' order."""
    return _table()["categories"]


def check_type(rule: Rule) -> str:
    """The rule's check type as the packs spell it (``FieldsCheck`` → ``fields``)."""
    name = type(rule.check).__name__.removesuffix("Check")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    if snake not in CHECK_TYPES:
        raise KeyError(f"unknown check class {type(rule.check).__name__}")
    return snake


def rule_category(rule: Rule) -> str:
    """The category of the rule's findings: its override, else its check type's default."""
    table = _table()
    category = table["rules"].get(rule.id) or table["check_types"].get(check_type(rule))
    if category not in table["categories"]:
        raise KeyError(f"规则 {rule.id} 没有问责情形分类")
    return category


def pack_categories(pack: RulePack) -> dict[str, str]:
    """Rule id → category, for every rule of the pack."""
    return {rule.id: rule_category(rule) for rule in pack.rules}
