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
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from lawtrail import archive, bootstrap, services
from lawtrail.core import timeutil
from lawtrail.ledger.log import Ledger, LedgerIntegrityError, NewEntry, Receipt
from lawtrail.ledger.tsa import tsa_roots_from_env
from lawtrail.ledger_cli import RUN_ERRORS
from lawtrail.services import ServiceError

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_CANNOT_RUN = 2
COMMANDS = ("export", "document", "archive")
# 保管期限 of a 案卷 under the scheme in force since 2006 (documents/form.py RETENTIONS): 永久,
# 定期30年, 定期10年; "长期" belongs to the scheme it replaced.
RETENTIONS = ("永久", "定期30年", "定期10年")


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

    doc = sub.add_parser(
        "document",
        help="生成一份文书（PDF 或 Word），文书及其摘要记入账本",
        description="按案件数据生成执法文书（A4，机关名称、文号、正文、签名和印章区、日期），"
        "文件存入证据库，摘要记入账本；同一记录的同一文书再次生成时不重复登记。",
    )
    doc.add_argument("--agency", required=True, help="机关标识")
    doc.add_argument("--case", dest="case_number", required=True, help="案号")
    doc.add_argument(
        "--template",
        help="文书模板（默认按记录类型选择）：initiation_approval、inquiry_record、decision、"
        "service、urge_notice、case_cover 等",
    )
    doc.add_argument("--record", default="", help="记录编号（记录类文书必填）")
    doc.add_argument("--format", choices=("pdf", "docx"), default="pdf", help="格式（默认 pdf）")
    doc.add_argument("--out", metavar="FILE", help="另存一份到此文件")
    doc.add_argument("--actor", default="", help="生成人（默认：当前系统用户）")

    arc = sub.add_parser(
        "archive",
        help="组卷归档：生成案卷（封面、卷内目录、文书、备考表）并登记案卷归档记录",
        description="执法行为终结后组卷归档（30日内，见各机关办法的归档条款）：生成整卷 PDF，"
        "卷内目录含页号，登记“案卷归档”记录。",
    )
    arc.add_argument("--agency", required=True, help="机关标识")
    arc.add_argument("--case", dest="case_number", required=True, help="案号")
    arc.add_argument("--archivist", required=True, help="档案管理员（案件人员编号）")
    arc.add_argument("--volume-number", required=True, help="案卷号")
    arc.add_argument("--retention", choices=RETENTIONS, default="永久", help="保管期限")
    arc.add_argument("--out", metavar="FILE", help="另存一份整卷 PDF 到此文件")
    arc.add_argument("--actor", default="", help="操作人（默认：当前系统用户）")


# Called with the access entries an export appends, inside their transaction: the wiring
# (``cli.py``) hands in the web application's index of the access log
# (``lawtrail.web.access_index.index_appended``), which this layer may not import.
AccessIndexer = Callable[[Ledger, str, Sequence[Receipt]], None]


def run(
    args: argparse.Namespace, out: TextIO, err: TextIO, *, index_access: AccessIndexer | None = None
) -> int:
    try:
        if args.command == "export":
            return cmd_export(args, out, err, index_access)
        if args.command == "document":
            return cmd_document(args, out)
        if args.command == "archive":
            return cmd_archive(args, out)
    except (archive.ExportError, ServiceError, LedgerIntegrityError) as exc:
        # LedgerIntegrityError: the stored log no longer matches its signed checkpoints (an
        # edit behind the application's back) — tampering found, as `lawtrail verify` says.
        err.write(f"lawtrail {args.command}: 拒绝：{exc}\n")
        return EXIT_REFUSED
    except RUN_ERRORS as exc:
        err.write(f"lawtrail {args.command}: 错误：{exc}\n")
        return EXIT_CANNOT_RUN
    raise AssertionError(args.command)  # pragma: no cover


def cmd_export(
    args: argparse.Namespace, out: TextIO, err: TextIO, index_access: AccessIndexer | None = None
) -> int:
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
        try:
            entry = NewEntry(args.case_number, "access", args.case_number, body)
            ledger.ensure_log(args.agency)
            with ledger.db.write():
                receipts = ledger.append_in_transaction(args.agency, [entry])
                if index_access is not None:
                    index_access(ledger, args.agency, receipts)
        except BaseException:
            # No package leaves the system without its entry in the access log.
            shutil.rmtree(result.path, ignore_errors=True)
            raise
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

        # A self-check of what was just written, with the system's own keys (the reader pins
        # them with lawtrail-verify --key … --witness-key …): refused only on a problem.
        checked = verify.verify_package(result.path, allow_unpinned=True)
        out.write("bagit 校验：通过\n" + verify.report_text(checked))
        if checked.problems:
            return EXIT_REFUSED
    return EXIT_OK


def cmd_document(args: argparse.Namespace, out: TextIO) -> int:
    from lawtrail.documents import template_for

    ledger = bootstrap.open_ledger()
    try:
        store = bootstrap.open_media_store()
        template = args.template
        if not template:
            if not args.record:
                raise ServiceError("请用 --record 指定记录，或用 --template 指定案件级文书")
            record = services.load_case(ledger, args.agency, args.case_number).record(args.record)
            if record is None:
                raise ServiceError(f"案件 {args.case_number} 中没有记录 {args.record}")
            template = template_for(record.kind).id
        recorded = services.do_generate_document(
            ledger,
            store,
            bootstrap.document_renderer(store),
            args.agency,
            args.case_number,
            template,
            record_id=args.record,
            format=args.format,
            actor=args.actor or getpass.getuser(),
        )
    finally:
        ledger.db.close()
    _save(args.out, recorded.data)
    body = recorded.body
    state = "已登记" if recorded.created else "与已登记的文书相同，未重复登记"
    out.write(
        f"{body['filename']}：{body['size']} 字节"
        + (f"，{body['pages']} 页" if body.get("pages") else "")
        + f"；SHA-256 {body['sha256']}；账本第 {recorded.seq} 条（{state}）\n"
    )
    return EXIT_OK


def cmd_archive(args: argparse.Namespace, out: TextIO) -> int:
    ledger = bootstrap.open_ledger()
    try:
        store = bootstrap.open_media_store()
        volume, receipt = services.do_archive_case(
            ledger,
            store,
            bootstrap.document_renderer(store),
            args.agency,
            args.case_number,
            archivist=args.archivist,
            volume_number=args.volume_number,
            retention=args.retention,
            actor=args.actor or getpass.getuser(),
        )
    finally:
        ledger.db.close()
    _save(args.out, volume.data)
    body = volume.body
    out.write(
        f"已组卷归档：案卷号 {body['volume_number']}，共 {body['pages']} 页，"
        f"SHA-256 {body['sha256']}；案卷归档记录 {receipt.seq} 号条目\n卷内目录：\n"
    )
    for item in body["catalog"]:
        pages = f"{item['first_page']}" + (
            f"-{item['last_page']}" if item["last_page"] != item["first_page"] else ""
        )
        out.write(
            f"  {item['number']:>3}  {item['title']}  {item['document_number']}  第{pages}页\n"
        )
    return EXIT_OK


def _save(path: str | None, data: bytes) -> None:
    if path:
        Path(path).write_bytes(data)
