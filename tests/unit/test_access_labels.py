"""Every action code the code base logs has a Chinese label on the access-log page."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from lawtrail.core.record_kinds import RECORD_KINDS
from lawtrail.web.access_labels import ACTION_LABELS, action_label, target_label

SRC = Path(__file__).parents[2] / "src" / "lawtrail"

# Sign-in events (lawtrail.web.signin and the account views log them).
SIGN_IN = {
    "login": "登录",
    "logout": "退出登录",
    "login_failed": "登录失败",
    "login_locked": "登录被锁定",
    "password_changed": "修改密码",
    "otp_enrolled": "绑定动态口令",
    "otp_failed": "动态口令错误",
    "token_created": "创建API令牌",
    "token_revoked": "吊销API令牌",
}


def _constants(node: ast.expr) -> Iterator[str]:
    """The string values an expression can have: a constant, or either branch of ``a if c
    else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _constants(node.body)
        yield from _constants(node.orelse)


def _codes_in(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name == "add_argument":  # argparse's action="store_true" …
                continue
            for kw in node.keywords:
                if kw.arg == "action":
                    yield from ((code, node.lineno) for code in _constants(kw.value))
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "action" for t in node.targets):
                yield from ((code, node.lineno) for code in _constants(node.value))
        elif isinstance(node, ast.Dict):  # an access body written by hand: {"action": "export"}
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "action" and value is not None:
                    yield from ((code, node.lineno) for code in _constants(value))


def used_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for code, line in _codes_in(tree):
            if code:  # "" is no code: a row shown blank (the access log's unmatched entry)
                found.setdefault(code, f"{path.relative_to(SRC.parent)}:{line}")
    return found


def test_the_walk_finds_the_codes_it_should() -> None:
    codes = used_codes()
    for code in ("view_case", "record_form", "append_record", "export", "multiple"):
        assert code in codes


def test_every_action_code_used_in_src_has_a_chinese_label() -> None:
    missing = {code: where for code, where in used_codes().items() if code not in ACTION_LABELS}
    assert not missing, f"action codes without a label in access_labels.ACTION_LABELS: {missing}"


def test_the_sign_in_codes_have_their_labels() -> None:
    for code, label in SIGN_IN.items():
        assert ACTION_LABELS[code] == label


def test_labels_are_chinese_and_an_unknown_code_is_shown_as_other() -> None:
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in ACTION_LABELS.values())
    assert action_label("record_form") == "填写记录"
    assert action_label("frobnicate") == "其他操作（frobnicate）"
    assert action_label(None) == "其他操作（）"


def test_targets_name_record_kinds_and_tokens_not_their_codes() -> None:
    """A record form's access names its kind (the log stores the kind's id): never raw ids."""
    assert target_label("closure") == RECORD_KINDS["closure"].label == "执法行为终结"
    assert target_label("site_inspection") == RECORD_KINDS["site_inspection"].label
    assert target_label("idle") == "长时间未操作，自动退出"
    assert target_label("token:lt_abc123") == "令牌 lt_abc123…"
    assert target_label("r01") == "r01"  # a record's own id, as the record page shows it
    assert target_label(None) == ""
