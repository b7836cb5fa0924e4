"""The archive's commands of the `lawtrail` CLI (issue #5).

    lawtrail export --agency A --case N --to DIR [--check] [--allow-missing-media]
    lawtrail document --agency A --case N --template T [--record R] [--format pdf|docx] [--out F]
    lawtrail archive --agency A --case N --archivist P --volume-number V [--retention R]

`export` writes the case's archive package (a BagIt bag, see lawtrail.archive) and appends the
export to the agency's access log; `lawtrail-verify DIR` checks it offline. Exit codes: 0 done,
1 refused (the ledger does not prove the case, a file is missing …), 2 could not run.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any, TextIO

from lawtrail import archive, bootstrap, config
from lawtrail.core import timeutil
from lawtrail.evidence.store import MediaStoreError
from lawtrail.ledger.db import DatabaseError
from lawtrail.ledger.keys import KeyFileError
from lawtrail.ledger.log import LedgerError, NewEntry
from lawtrail.ledger.tsa import tsa_roots_from_env
from lawtrail.services import ServiceError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_CANNOT_RUN = 2
COMMANDS = ("export",)

_RUN_ERRORS = (
    DatabaseError,
    LedgerError,
    KeyFileError,
    MediaStoreError,
    config.ConfigError,
    OSError,
)


def add_commands(sub: Any) -> None:
    exp = sub.add_parser(
        "export",
        help="导出一个案件的电子档案包（BagIt），供法院、监督机关离线核验",
        description="导出案件的电子档案包：记录（JSON）、文书、音像文件、SHA-256/SHA-512 清单、"
        "SM3 标签清单、机关签名的检查点与联署、每个条目的包含证明、公钥和“四性”检测报告。"
        "用 lawtrail-verify 目录 离线核验。",
    )
    exp.add_argument("--agency", required=True, help="机关标识，如 tonghua-market")
    exp.add_argument("--case", dest="case_number", required=True, help="案号")
    exp.add_argument("--to", required=True, metavar="DIR", help="档案包目录（必须尚不存在）")
    exp.add_argument(
        "--check", action="store_true", help="导出后再用 bagit 库和离线核验器各校验一遍"
    )
    exp.add_argument(
        "--allow-missing-media",
        action="store_true",
        help="证据库缺少账本登记的音像文件时仍然导出（包标记为不完整）",
    )
    exp.add_argument("--actor", default="", help="导出人（默认：当前系统用户），记入查阅日志")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.command == "export":
            return cmd_export(args, out, err)
    except archive.ExportError as exc:
        err.write(f"lawtrail {args.command}: 拒绝：{exc}\n")
        return EXIT_REFUSED
    except ServiceError as exc:
        err.write(f"lawtrail {args.command}: 拒绝：{exc}\n")
        return EXIT_REFUSED
    except _RUN_ERRORS as exc:
        err.write(f"lawtrail {args.command}: 错误：{exc}\n")
        return EXIT_CANNOT_RUN
    raise AssertionError(args.command)  # pragma: no cover


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    ledger = bootstrap.open_ledger(install_schema=False)
    try:
        store = bootstrap.open_media_store()
        result = archive.export_case(
            ledger,
            store,
            ledger.keys,
            args.agency,
            args.case_number,
            Path(args.to),
            tsa_roots=tsa_roots_from_env(),
            allow_missing_media=args.allow_missing_media,
        )
        # Who took the case file out of the system is part of its history (access log).
        actor = args.actor or getpass.getuser()
        body = {
            "user": actor,
            "action": "export",
            "target": args.case_number,
            "outcome": "allowed",
            "channel": "cli",
            "destination": str(Path(args.to).resolve()),
            "tree_size": result.tree_size,
        }
        ledger.append(args.agency, [NewEntry(args.case_number, "access", args.case_number, body)])
    finally:
        ledger.db.close()
    report = (result.path / "data" / "report" / "four-properties.txt").read_text("utf-8")
    out.write(
        f"已导出案件 {result.case_number} 的档案包：{result.path}\n"
        f"载荷文件 {result.files} 个，{result.payload_bytes} 字节；账本条目 {result.entries} 个，"
        f"证明基于检查点（大小 {result.tree_size}）；导出时间 "
        f"{timeutil.local(timeutil.now()).isoformat(timespec='seconds')}\n\n{report}"
    )
    if args.check:
        archive.validate_with_bagit(result.path)
        from lawtrail import verify

        checked = verify.verify_package(result.path)
        out.write("bagit 校验：通过\n" + verify.report_text(checked))
        if not checked.intact:
            return EXIT_REFUSED
    return EXIT_OK
