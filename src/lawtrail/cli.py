"""The `lawtrail` command line.

    lawtrail check CASE.json [--at ISO-TIME] [--format text|json]
    lawtrail verify | ledger | media | witness | receipt …   (see lawtrail.ledger_cli)
    lawtrail backup | restore …                    (see lawtrail.backup_cli)
    lawtrail export | document | archive …         (see lawtrail.archive_cli)

Exit codes (stable, scripts rely on them): 0 no violation, 1 violations found, 2 the input
could not be read — with a message naming the file, the JSON path and what is wrong, or the
command-line argument and what is wrong with it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from lawtrail.core import timeutil
from lawtrail.core.caseio import CaseFormatError, FormatIssue, parse_case
from lawtrail.core.engine import Evaluation, evaluate
from lawtrail.core.record_kinds import ACTS, ORIGINS, PROCEDURES, RECORD_KINDS
from lawtrail.core.regulations import article_label, load_regulation
from lawtrail.core.rules import SEVERITY_LABELS, Severity

EXIT_OK = 0
EXIT_VIOLATIONS = 1
EXIT_INPUT = 2
AT_EXAMPLE = "2026-11-23T12:00:00+08:00"


class InputError(Exception):
    """The case file cannot be read: each issue names a JSON path inside `file`."""

    def __init__(self, file: str, issues: Sequence[FormatIssue]):
        self.file = file
        self.issues = list(issues)
        super().__init__(file)


@dataclass(frozen=True)
class ArgumentIssue:
    """A command-line argument that cannot be used (not a problem of any file)."""

    argument: str  # the option or operand as the usage names it: "--at", "CASE.json"
    message: str  # what is wrong, without the argument's name


class ArgumentError(Exception):
    def __init__(self, issues: Sequence[ArgumentIssue]):
        self.issues = list(issues)
        super().__init__("; ".join(f"{i.argument}：{i.message}" for i in self.issues))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lawtrail",
        description="LawTrail 执法留痕：行政执法全过程记录系统的命令行工具",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    check = sub.add_parser(
        "check",
        help="按所属机关的规则包检查一个案件文件",
        description="按所属执法机关的记录制度检查案件文件（lawtrail-case/1 格式），"
        "列出违规、提示和待办事项。退出码：0 无违规，1 有违规，2 输入无法读取。",
    )
    check.add_argument("case_file", metavar="CASE.json", help="案件文件（JSON）")
    check.add_argument(
        "--at",
        metavar="ISO-TIME",
        help="评估时点，须带时区偏移，如 2026-11-23T12:00:00+08:00（默认：当前时间）",
    )
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="输出格式：text（中文报告，默认）或 json（稳定的机器可读结构）",
    )
    from lawtrail import archive_cli, backup_cli, ledger_cli, signer_cli, web_cli

    ledger_cli.add_commands(sub)
    signer_cli.add_commands(sub)
    backup_cli.add_commands(sub)
    archive_cli.add_commands(sub)
    web_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from lawtrail import web_cli

    if argv[:1] == ["manage"]:  # everything after it belongs to Django
        return web_cli.manage(argv[1:])
    args = _parser().parse_args(argv)
    if args.command in ("serve", "demo"):
        return web_cli.run(args)
    if args.command == "check":
        return cmd_check(args.case_file, args.at, args.format, sys.stdout, sys.stderr)
    if args.command == "signer":
        from lawtrail import signer_cli

        return signer_cli.run(args, sys.stdout, sys.stderr)
    if args.command in ("backup", "restore"):
        from lawtrail import backup_cli

        return backup_cli.run(args, sys.stdout, sys.stderr)
    from lawtrail import archive_cli, ledger_cli, web_cli

    if args.command in archive_cli.COMMANDS:
        # An export's access entry gets its row in the web application's access-log index.
        return archive_cli.run(args, sys.stdout, sys.stderr, index_access=web_cli.access_indexer())
    # `lawtrail verify` also checks the web application's projections (the case index) when
    # the database holds them; the ledger itself knows nothing of the web.
    checks = web_cli.projection_checks() if args.command == "verify" else ()
    return ledger_cli.run(args, sys.stdout, sys.stderr, projections=checks)


def cmd_check(file: str, at: str | None, fmt: str, out: TextIO, err: TextIO) -> int:
    try:
        as_of = _check_arguments(file, at)
    except ArgumentError as exc:
        _report_argument_error(exc, fmt, out, err)
        return EXIT_INPUT
    try:
        case_data = _read_json(file)
        try:
            case = parse_case(case_data)
        except CaseFormatError as exc:
            raise InputError(file, exc.issues) from exc
    except InputError as exc:
        _report_input_error(exc, fmt, out, err)
        return EXIT_INPUT
    evaluation = evaluate(case, at=as_of)
    if fmt == "json":
        json.dump(evaluation_json(evaluation, file), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(evaluation_text(evaluation, file))
    return EXIT_VIOLATIONS if evaluation.violations else EXIT_OK


def _check_arguments(file: str, at: str | None) -> datetime | None:
    """The evaluation time; every unusable argument is reported at once, none as a file."""
    issues: list[ArgumentIssue] = []
    if not file.strip():
        issues.append(ArgumentIssue("CASE.json", "未给出案件文件的路径"))
    as_of = None
    if at is not None:
        try:
            as_of = _parse_at(at)
        except ValueError as exc:
            issues.append(ArgumentIssue("--at", str(exc)))
    if issues:
        raise ArgumentError(issues)
    return as_of


def _parse_at(at: str) -> datetime:
    """`--at`: an ISO 8601 time with an offset; a ValueError says what is wrong (Chinese)."""
    expected = f"须为带时区偏移的 ISO 8601 时间，如 {AT_EXAMPLE}"
    if not at.strip():
        raise ValueError(f"未给出时间：{expected}")
    try:
        value = datetime.fromisoformat(at)
    except ValueError:
        raise ValueError(f"无法解析的时间 {at!r}：{expected}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"时间须带时区偏移，如 {AT_EXAMPLE}（收到 {at!r}）")
    try:
        return timeutil.local(value)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+08:00 is before the first UTC instant
        raise ValueError(f"时间 {at!r} 超出可计算的范围") from None


def _read_json(file: str) -> Any:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(file, [FormatIssue("$", "文件不存在")]) from None
    except IsADirectoryError:
        raise InputError(file, [FormatIssue("$", "这是一个目录，不是案件文件")]) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            file, [FormatIssue("$", f"文件不是 UTF-8 编码：{exc.reason}（字节 {exc.start}）")]
        ) from None
    except OSError as exc:
        raise InputError(file, [FormatIssue("$", f"无法读取文件：{exc.strerror}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            file, [FormatIssue("$", f"JSON 格式错误：第{exc.lineno}行第{exc.colno}列：{exc.msg}")]
        ) from None


def _report_input_error(exc: InputError, fmt: str, out: TextIO, err: TextIO) -> None:
    for issue in exc.issues:
        err.write(f"lawtrail check: 错误：{exc.file}：{issue.path}：{issue.message}\n")
    if fmt == "json":
        payload = {
            "file": exc.file,
            "errors": [{"path": i.path, "message": i.message} for i in exc.issues],
        }
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")


def _report_argument_error(exc: ArgumentError, fmt: str, out: TextIO, err: TextIO) -> None:
    """Like a file's errors, but naming the argument instead of a file and a JSON path."""
    for issue in exc.issues:
        err.write(f"lawtrail check: 错误：{issue.argument}：{issue.message}\n")
    if fmt == "json":
        payload = {
            "file": None,
            "errors": [
                {"argument": i.argument, "path": None, "message": i.message} for i in exc.issues
            ],
        }
        json.dump(payload, out, ensure_ascii=False, indent=2)
        out.write("\n")


# ------------------------------------------------------------------ reports


def evaluation_json(evaluation: Evaluation, file: str | None = None) -> dict[str, Any]:
    """The stable machine-readable result (documented in docs/case-format.md)."""
    case = evaluation.case
    return {
        "file": file,
        "agency": case.agency,
        "case_number": case.case_number,
        "regulation": evaluation.pack.regulation,
        "as_of": timeutil.local(evaluation.as_of).isoformat(),
        "summary": {
            "violations": len(evaluation.violations),
            "warnings": len(evaluation.warnings),
            "required": len(evaluation.required),
        },
        "findings": [f.to_json() for f in evaluation.findings],
        "required": [r.to_json() for r in evaluation.required],
    }


def evaluation_text(evaluation: Evaluation, file: str | None = None) -> str:
    case = evaluation.case
    pack = evaluation.pack
    title = load_regulation(pack.regulation).title
    lines = [
        f"案件 {case.case_number}" + (f"：{case.title}" if case.title else ""),
        f"执法机关：{pack.name}",
        f"适用制度：《{title}》（{pack.regulation}）",
        f"案件情况：{'、'.join(ACTS[a] for a in case.acts)}；{PROCEDURES[case.procedure]}；"
        f"{ORIGINS[case.origin]}" + ("；重大行政执法决定" if case.major else ""),
        f"评估时点：{timeutil.format_local(evaluation.as_of)}（北京时间）",
    ]
    if file:
        lines.insert(0, f"文件：{file}")
    n_v, n_w = len(evaluation.violations), len(evaluation.warnings)
    verdict = "未发现违规" if n_v == 0 else f"发现 {n_v} 项违规"
    lines += ["", f"结论：{verdict}，{n_w} 项提示，{len(evaluation.required)} 项待办。"]
    for severity in (Severity.VIOLATION, Severity.WARNING):
        items = [f for f in evaluation.findings if f.severity is severity]
        if not items:
            continue
        lines += ["", f"【{SEVERITY_LABELS[severity]}】"]
        for i, f in enumerate(items, 1):
            where = f"记录 {f.record}" if f.record else "全案"
            lines.append(f"{i:>3}. {article_label(f.article)}｜{where}｜{f.title}")
            lines.append(f"     {f.message}")
            lines.append(f"     依据：“{f.quote}”（规则 {f.rule}）")
    if evaluation.required:
        lines += ["", "【待办】尚需完成的行为"]
        for r in evaluation.required:
            due = f"截止 {timeutil.format_local(r.due)}" if r.due else "无法定期限"
            kinds = "、".join(RECORD_KINDS[k].label for k in r.kinds)
            lines.append(f"  - {due}｜{kinds}｜{article_label(r.article)}｜{r.message}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
