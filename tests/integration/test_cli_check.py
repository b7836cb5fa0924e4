"""`lawtrail check` as a user runs it: the installed command, real files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*/*.json"))
LAWTRAIL = Path(sys.executable).parent / "lawtrail"
AT = "2026-11-23T12:00:00+08:00"
SCHEMA = json.loads((ROOT / "src/lawtrail/schemas/case.schema.json").read_text(encoding="utf-8"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LAWTRAIL), "check", *args], capture_output=True, text=True, timeout=60, check=False
    )


def write(tmp_path: Path, data: Any, name: str = "case.json") -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False))
    return str(path)


def example(agency: str, prefix: str) -> dict[str, Any]:
    path = next(p for p in EXAMPLES if p.parent.name == agency and p.name.startswith(prefix))
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_agency_has_a_compliant_and_a_violating_example() -> None:
    agencies = {p.parent.name for p in EXAMPLES}
    assert agencies == {
        "tonghua-postal",
        "tonghua-gazetteer",
        "tonghua-market",
        "benxi-hrss",
        "luanchuan-stats",
    }
    for agency in agencies:
        names = [p.name for p in EXAMPLES if p.parent.name == agency]
        assert any(n.startswith("compliant-") for n in names), agency
        assert any(n.startswith("violations-") for n in names), agency


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_example_validates_against_the_published_json_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_check_exits_0_for_compliant_and_1_for_violating_examples(path: Path) -> None:
    result = run(str(path), "--at", AT)
    expected = 0 if path.name.startswith("compliant-") else 1
    assert result.returncode == expected, result.stdout + result.stderr
    assert result.stderr == ""
    assert "结论：" in result.stdout
    if expected == 1:
        assert "【违规】" in result.stdout and "第" in result.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_json_output_has_the_stable_structure(path: Path) -> None:
    result = run(str(path), "--at", AT, "--format", "json")
    report = json.loads(result.stdout)
    assert set(report) == {
        "file",
        "agency",
        "case_number",
        "regulation",
        "as_of",
        "summary",
        "findings",
        "required",
    }
    assert report["as_of"] == AT
    for finding in report["findings"]:
        keys = {"rule", "regulation", "article", "severity", "record", "message"}
        # A duty from another law or policy names it; such a finding is only ever a warning.
        assert set(finding) - {"duty_source"} == keys
        assert "duty_source" not in finding or finding["severity"] == "warning"
        assert finding["regulation"] == report["regulation"]
        assert finding["severity"] in ("violation", "warning")
    violations = [f for f in report["findings"] if f["severity"] == "violation"]
    assert report["summary"]["violations"] == len(violations)
    assert (result.returncode == 1) == bool(violations)


def test_malformed_json_exits_2_naming_file_and_position(tmp_path: Path) -> None:
    path = write(tmp_path, '{"format": "lawtrail-case/1",\n "agency": }')
    result = run(path)
    assert result.returncode == 2
    assert path in result.stderr and "JSON 格式错误：第2行" in result.stderr
    assert result.stdout == ""


def test_unknown_agency_exits_2_naming_the_path(tmp_path: Path) -> None:
    data = example("tonghua-market", "compliant-")
    data["agency"] = "shanghai-police"
    result = run(write(tmp_path, data))
    assert result.returncode == 2
    assert "$.agency" in result.stderr and "未知的执法机关" in result.stderr


def test_unknown_record_kind_exits_2(tmp_path: Path) -> None:
    data = example("tonghua-market", "compliant-")
    data["records"][1]["kind"] = "telepathy"
    result = run(write(tmp_path, data))
    assert result.returncode == 2
    assert "$.records[1].kind" in result.stderr and "未知的记录类型" in result.stderr


def test_naive_timestamp_exits_2(tmp_path: Path) -> None:
    data = example("tonghua-market", "compliant-")
    data["records"][0]["at"] = "2026-09-01T09:00:00"
    result = run(write(tmp_path, data))
    assert result.returncode == 2
    assert "$.records[0].at" in result.stderr and "缺少时区偏移" in result.stderr


def test_missing_required_field_exits_2(tmp_path: Path) -> None:
    data = example("tonghua-market", "compliant-")
    service = next(i for i, r in enumerate(data["records"]) if r["kind"] == "service")
    del data["records"][service]["fields"]["method"]
    result = run(write(tmp_path, data))
    assert result.returncode == 2
    assert f"$.records[{service}].fields.method" in result.stderr
    assert "缺少必填字段" in result.stderr


def test_missing_file_and_naive_at_exit_2(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.json"))
    assert result.returncode == 2 and "文件不存在" in result.stderr
    good = str(next(iter(EXAMPLES)))
    result = run(good, "--at", "2026-11-23T12:00:00")
    assert result.returncode == 2 and "--at" in result.stderr


def test_a_naive_at_is_an_argument_error_said_once_and_not_a_file_error() -> None:
    good = str(next(iter(EXAMPLES)))
    result = run(good, "--at", "2026-11-23T12:00:00")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "lawtrail check: 错误：--at：时间须带时区偏移，如 2026-11-23T12:00:00+08:00"
        "（收到 '2026-11-23T12:00:00'）\n"
    )


def test_argument_errors_are_json_too_naming_the_argument_not_a_file() -> None:
    good = str(next(iter(EXAMPLES)))
    result = run(good, "--at", "2026-11-23T12:00:00", "--format", "json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["file"] is None
    [error] = report["errors"]
    assert error["argument"] == "--at" and error["path"] is None
    assert error["message"].startswith("时间须带时区偏移，如 2026-11-23T12:00:00+08:00")
    assert result.stderr.count("--at") == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("garbage", "无法解析的时间 'garbage'：须为带时区偏移的 ISO 8601 时间"),
        ("2026-13-01T12:00:00+08:00", "无法解析的时间"),
        ("", "未给出时间"),
        # Valid ISO 8601, but before the first instant a Shanghai clock can show.
        ("0001-01-01T00:00:00+08:00", "超出可计算的范围"),
        ("9999-12-31T23:59:59-05:00", "超出可计算的范围"),
    ],
)
def test_every_unusable_at_exits_2_with_a_message_about_the_argument(
    value: str, message: str
) -> None:
    result = run(str(next(iter(EXAMPLES))), "--at", value)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("lawtrail check: 错误：--at：") and message in line
    assert "Traceback" not in result.stderr


def test_an_empty_case_file_argument_is_an_argument_error_reported_with_the_at_error() -> None:
    result = run("", "--at", "2026-11-23T12:00:00", "--format", "json")
    assert result.returncode == 2
    errors = json.loads(result.stdout)["errors"]
    assert [e["argument"] for e in errors] == ["CASE.json", "--at"]
    assert result.stderr.splitlines()[0] == "lawtrail check: 错误：CASE.json：未给出案件文件的路径"


def test_input_errors_are_json_too_when_json_is_asked_for(tmp_path: Path) -> None:
    result = run(write(tmp_path, "[]"), "--format", "json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["errors"][0]["path"] == "$"


def test_python_dash_m_lawtrail_is_the_same_command() -> None:
    path = str(next(p for p in EXAMPLES if p.name.startswith("compliant-")))
    result = subprocess.run(
        [sys.executable, "-m", "lawtrail", "check", path, "--at", AT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
