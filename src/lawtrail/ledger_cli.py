"""The ledger's commands of the `lawtrail` CLI.

    lawtrail verify --key AGENCY.vkey|DIR … --witness-key W.vkey|DIR … [--agency A] [--case N]
                    [--media] [--witness-state DIR] [--allow-unpinned] [--allow-unwitnessed]
                    [--format text|json]
    lawtrail ledger import CASE.json …        take over case files (migration, demo data)
    lawtrail ledger checkpoint --agency A     print the latest signed checkpoint
    lawtrail ledger timestamp --agency A      RFC 3161 token on the latest checkpoint
    lawtrail media ingest FILE --agency A --case N --type video --captured-at T --uploader U
    lawtrail media import-folder DIR --agency A --case N --uploader U [--device body_camera]
    lawtrail media cleanup [--older-than 24h] [--dry-run] [--format text|json]
    lawtrail witness keygen --name NAME --out FILE
    lawtrail witness cosign --agency A --key FILE --state DIR (--log-key A.vkey | --config W.toml)
    lawtrail witness serve --config witness.toml     the witness service (lawtrail.witness_service)
    lawtrail witness alerts (--config witness.toml | --url URL) [--all] [--json] [--resolve ID]
    lawtrail receipt check RECEIPT.json [--key AGENCY.vkey] [--witness-key W.vkey]
                           [--against-ledger] [--json]

`verify` exit codes: 0 intact (完好: nothing found, the keys pinned with --key/--witness-key —
never the data directory's own — and every entry covered by a checkpoint a pinned witness
cosigned), 1 tampering found, 2 verification could not run (no database, unknown agency,
unreadable key …), 3 not verified (未验证: nothing found, but a key was not pinned, or entries
are not yet cosigned by a pinned witness or not yet signed into a checkpoint — the report names
the range). --allow-unpinned / --allow-unwitnessed accept those, and the report says so
(lawtrail.core.verdict). `media import-folder`: 0 every file imported
(or already there), 1 some files refused, 2 the import could not run. `media cleanup`: 0 every
orphan found was removed (or listed, with --dry-run), 1 some could not be removed, 2 it could
not run. `receipt check`: 0 the
receipt is intact (and the log still holds it), 1 a problem (a bad signature or proof, a log
rolled back or rewritten), 2 the check could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from lawtrail import bootstrap, config
from lawtrail.core import notes, timeutil, verdict
from lawtrail.core.caseio import MEDIA_SOURCES, CaseFormatError, parse_case
from lawtrail.core.model import Case
from lawtrail.evidence import filetypes
from lawtrail.evidence.store import MediaStoreError, Orphan
from lawtrail.ledger.db import DatabaseError
from lawtrail.ledger.keys import KeyFileError
from lawtrail.ledger.log import LedgerError
from lawtrail.ledger.receipts import check_against_ledger
from lawtrail.ledger.tsa import (
    TimestampError,
    request_timestamp,
    tsa_from_env,
    tsa_roots_from_env,
)
from lawtrail.ledger.verify import ProjectionCheck, Report, verify
from lawtrail.ledger.witness import Witness, WitnessError
from lawtrail.receipt_check import ReceiptError, check_receipt, load_receipt
from lawtrail.receipt_check import Result as ReceiptResult
from lawtrail.receipt_check import report_text as receipt_report_text
from lawtrail.services import ServiceError, do_import_case, do_ingest_media, load_case
from lawtrail.verify import KeyInputError, add_trust_arguments, load_log_keys, load_witness_keys
from lawtrail.witness_service import cli as witness_service_cli
from lawtrail.witness_service.settings import WitnessConfigError

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_REFUSED = 1
EXIT_CANNOT_RUN = 2
EXIT_NOT_VERIFIED = verdict.EXIT_NOT_VERIFIED

# Errors that mean "could not run", reported in Chinese with exit code 2 (the archive and
# backup commands share them).
RUN_ERRORS = (
    DatabaseError,
    LedgerError,
    KeyFileError,
    MediaStoreError,
    config.ConfigError,
    OSError,
    KeyInputError,
)
_RUN_ERRORS = (*RUN_ERRORS, WitnessError, TimestampError, ServiceError, WitnessConfigError)


def add_commands(sub: Any) -> None:
    v = sub.add_parser(
        "verify",
        help="核验账本：记录、日志树、检查点、见证联署和媒体文件是否完整未被篡改",
        description="重算每条记录的叶哈希和日志树，以固定的机关公钥（--key）核对已签名的检查点，"
        "以固定的见证方公钥（--witness-key）核对见证联署，并（--media）核对每个媒体文件的摘要，"
        "逐项列出被改动、删除、调换、倒签插入或回退之处。结论为完好、未验证或有问题："
        "完好须未发现问题、公钥均已固定且每条记录都被固定见证方联署的检查点覆盖；"
        "数据目录中的公钥由本系统管理，不算固定。" + verdict.EXIT_HELP + "。",
    )
    add_trust_arguments(v)
    v.add_argument("--agency", help="只核验该机关的日志（默认全部）")
    v.add_argument("--case", dest="case_number", metavar="案号", help="只核验该案件的记录")
    v.add_argument("--media", action="store_true", help="同时核验所涉媒体文件的摘要")
    v.add_argument(
        "--witness-state",
        metavar="DIR",
        help="监督机关见证方的状态目录，用于发现整库回退（默认 LAWTRAIL_WITNESS_STATE）",
    )
    v.add_argument("--database", metavar="URL", help="数据库地址（默认 DATABASE_URL）")
    v.add_argument("--format", choices=("text", "json"), default="text", help="输出格式")

    ledger = sub.add_parser("ledger", help="账本管理：导入案件、查看检查点、可信时间戳")
    lsub = ledger.add_subparsers(dest="ledger_command", required=True, metavar="子命令")
    imp = lsub.add_parser("import", help="把案件文件（lawtrail-case/1）导入账本")
    imp.add_argument("files", nargs="+", metavar="CASE.json")
    imp.add_argument("--database", metavar="URL")
    cp = lsub.add_parser("checkpoint", help="打印机关日志最新的已签名检查点")
    cp.add_argument("--agency", required=True)
    cp.add_argument("--database", metavar="URL")
    ig = lsub.add_parser(
        "integrate",
        help="为已入账但尚未签入检查点的记录签发检查点（服务运行时由其整合线程每秒完成）",
    )
    ig.add_argument("--agency", help="只整合该机关的日志（默认全部）")
    ig.add_argument("--database", metavar="URL")
    ts = lsub.add_parser("timestamp", help="为最新检查点申请 RFC 3161 可信时间戳")
    ts.add_argument("--agency", required=True)
    ts.add_argument("--database", metavar="URL")

    media = sub.add_parser("media", help="音像资料入库")
    msub = media.add_subparsers(dest="media_command", required=True, metavar="子命令")
    ing = msub.add_parser("ingest", help="把一个音像文件存入证据库并登记到账本")
    ing.add_argument("file", metavar="FILE")
    ing.add_argument("--agency", required=True)
    ing.add_argument("--case", dest="case_number", required=True, metavar="案号")
    ing.add_argument("--type", required=True, choices=("photo", "audio", "video"))
    ing.add_argument("--captured-at", required=True, metavar="ISO-TIME", help="设备时钟的拍摄时间")
    ing.add_argument("--completed-at", metavar="ISO-TIME", help="录制结束时间")
    ing.add_argument("--uploader", required=True, help="上传人")
    ing.add_argument("--device", default="", help="来源设备：body_camera、cctv、phone …")
    ing.add_argument(
        "--label", action="append", default=[], metavar="KEY=VALUE", help="标注（可重复）"
    )
    ing.add_argument("--database", metavar="URL")
    fold = msub.add_parser(
        "import-folder",
        help="把一个文件夹（如执法记录仪导出的目录）中的音像文件逐个入库",
        description="按文件路径顺序递归导入文件夹中的照片、录音和录像（只接受 "
        f"{filetypes.allowed_list()}，且文件内容须与扩展名相符），标注案号、当事人和承办人。"
        "拍摄时间取文件名中的时间（如 20260304_093012，按北京时间），没有则取文件修改时间。"
        "本案已登记的相同文件跳过。退出码：0 全部导入，1 有文件被拒绝，2 无法执行。",
    )
    fold.add_argument("folder", metavar="DIR")
    fold.add_argument("--agency", required=True)
    fold.add_argument("--case", dest="case_number", required=True, metavar="案号")
    fold.add_argument("--uploader", required=True, help="上传人（用户名）")
    fold.add_argument(
        "--device", default="body_camera", choices=MEDIA_SOURCES, help="来源设备（默认执法记录仪）"
    )
    fold.add_argument(
        "--type",
        default="auto",
        choices=("auto", "photo", "audio", "video"),
        help="音像类型（默认按扩展名判断）",
    )
    fold.add_argument("--handler", help="标注的承办人姓名（默认：上传人在案件人员中的姓名）")
    fold.add_argument("--database", metavar="URL")
    clean = msub.add_parser(
        "cleanup",
        help="清理中断的上传留下的临时文件和未完成的分段上传（不触及已入库的证据）",
        description="删除证据库 incoming/ 下超过宽限期未再写入的临时文件、临时对象，"
        "并中止未完成的 S3 分段上传。已入库的媒体文件（sha256/）从不触及；"
        "宽限期内的文件视为仍在上传，保留。退出码：0 已全部清理（或 --dry-run 已列出），"
        "1 有无法删除的，2 无法执行。",
    )
    clean.add_argument(
        "--older-than",
        metavar="时长",
        help="宽限期：只清理超过此时长未写入的（如 90s、30m、2h、1d；默认 LAWTRAIL_ORPHAN_GRACE，"
        "即 24h）",
    )
    clean.add_argument("--dry-run", action="store_true", help="只列出，不删除")
    clean.add_argument("--format", choices=("text", "json"), default="text")

    w = sub.add_parser("witness", help="监督机关见证方：生成密钥、核验一致性并联署检查点")
    wsub = w.add_subparsers(dest="witness_command", required=True, metavar="子命令")
    kg = wsub.add_parser("keygen", help="生成见证方密钥，打印其公钥")
    kg.add_argument("--name", required=True, help="见证方名称，如 yifazhishi.tonghua.gov.cn")
    kg.add_argument("--out", required=True, metavar="FILE", help="私钥文件（0600）")
    cs = wsub.add_parser("cosign", help="核验与上次联署的一致性后联署最新检查点")
    cs.add_argument("--agency", required=True)
    cs.add_argument("--key", required=True, metavar="FILE", help="见证方私钥文件")
    cs.add_argument("--state", required=True, metavar="DIR", help="见证方状态目录")
    cs.add_argument("--database", metavar="URL")
    pinned = cs.add_mutually_exclusive_group(required=True)
    pinned.add_argument(
        "--log-key", metavar="FILE.vkey", help="日志的验证公钥文件（不从机关数据库获取）"
    )
    pinned.add_argument("--config", metavar="witness.toml", help="见证服务配置文件（含日志公钥）")
    witness_service_cli.add_commands(wsub)

    r = sub.add_parser("receipt", help="存证回执：核验回执，或以账本核对是否被回退或改写")
    rsub = r.add_subparsers(dest="receipt_command", required=True, metavar="子命令")
    rc = rsub.add_parser(
        "check",
        help="核验存证回执",
        description="离线核验存证回执：检查点的机关签名（--key）、记录叶哈希的包含证明、见证方联署"
        "（--witness-key）；加 --against-ledger 时再以数据库中的账本核对：最新检查点须与回执的"
        "检查点一致（RFC 9162 一致性证明）且仍含同一条记录。退出码：0 完好，1 发现问题，"
        "2 无法核验。",
    )
    rc.add_argument("receipt", metavar="RECEIPT.json", help="存证回执文件")
    rc.add_argument("--key", metavar="AGENCY.vkey", help="机关检查点公钥文件（建议指定）")
    rc.add_argument(
        "--witness-key", metavar="FILE.vkey", action="append", default=[], help="见证方公钥文件"
    )
    rc.add_argument(
        "--against-ledger", action="store_true", help="以数据库中的账本核对是否被回退或改写"
    )
    rc.add_argument("--database", metavar="URL", help="数据库地址（默认 DATABASE_URL）")
    rc.add_argument("--json", action="store_true", help="输出 JSON（机器可读）")


def run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    *,
    projections: Sequence[ProjectionCheck] = (),
) -> int:
    """``projections``: the tables kept beside the ledger for the pages, which `verify` rebuilds
    and compares when the database holds them (handed in by the wiring, :mod:`lawtrail.cli`)."""
    try:
        if args.command == "verify":
            return cmd_verify(args, out, projections)
        if args.command == "ledger":
            return cmd_ledger(args, out)
        if args.command == "media":
            return cmd_media(args, out)
        if args.command == "witness":
            if args.witness_command in ("serve", "alerts", "init"):
                return witness_service_cli.run(args, out, err)
            return cmd_witness(args, out)
        if args.command == "receipt":
            return cmd_receipt(args, out, err)
    except _RUN_ERRORS as exc:
        err.write(f"lawtrail {args.command}: 错误：{exc}\n")
        return EXIT_CANNOT_RUN
    raise AssertionError(args.command)  # pragma: no cover


def cmd_receipt(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """`lawtrail receipt check`: the receipt by itself, and with --against-ledger the log."""
    file = args.receipt
    result = ReceiptResult(file)
    try:
        receipt = load_receipt(Path(file).read_text("utf-8"))
        key = Path(args.key).read_text("utf-8") if args.key else None
        source = f"{args.key}（指定）" if args.key else ""
        witnesses = [Path(p).read_text("utf-8") for p in args.witness_key]
        if not args.against_ledger:
            if key is None:
                raise ReceiptError(
                    "请用 --key 指定机关公钥文件（或用 --against-ledger 以账本核对）"
                )
            check_receipt(receipt, result, key=key, witness_keys=witnesses, key_source=source)
        else:
            ledger = bootstrap.open_ledger(args.database, install_schema=False)
            try:
                if key is None:
                    key = ledger.keys.verifier(receipt.agency).verifier_key()
                    source = "数据目录中的机关公钥（未用 --key 另行指定）"
                check_receipt(receipt, result, key=key, witness_keys=witnesses, key_source=source)
                verifier = notes.Ed25519Verifier.from_verifier_key_string(key.strip())
                check_against_ledger(ledger, receipt, result, verifier)
            finally:
                ledger.db.close()
    except (ReceiptError, UnicodeDecodeError, notes.NoteError, *_RUN_ERRORS) as exc:
        message = f"{file}：{exc}"
        if args.json:
            json.dump({"file": file, "intact": False, "error": message}, out, ensure_ascii=False)
            out.write("\n")
        err.write(f"lawtrail receipt check: 无法核验：{message}\n")
        return EXIT_CANNOT_RUN
    if args.json:
        json.dump(result.to_json(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(receipt_report_text(result))
    return EXIT_OK if result.intact else EXIT_TAMPERED


def cmd_verify(
    args: argparse.Namespace, out: TextIO, projections: Sequence[ProjectionCheck] = ()
) -> int:
    pinned = load_log_keys(args.key)
    witnesses = load_witness_keys(args.witness_key)
    ledger = bootstrap.open_ledger(args.database, install_schema=False)
    store = bootstrap.open_media_store() if args.media else None
    state = Path(args.witness_state) if args.witness_state else config.witness_state_dir()
    tsa_roots = _tsa_roots()
    try:
        report = verify(
            ledger,
            ledger.keys,
            agency=args.agency,
            case_number=args.case_number,
            media_store=store,
            witness_state=state,
            tsa_roots=tsa_roots,
            projections=projections,
            pinned_keys=pinned,
            witness_keys=witnesses,
            allow_unpinned=args.allow_unpinned,
            allow_unwitnessed=args.allow_unwitnessed,
        )
    finally:
        ledger.db.close()
    if args.format == "json":
        json.dump(report.to_json(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report_text(report))
    return verdict.EXIT_CODES[report.status]


def _tsa_roots() -> list[bytes] | None:
    # Verifying needs only the trusted roots, not a TSA to ask: read LAWTRAIL_TSA_ROOTS alone.
    return tsa_roots_from_env()


def report_text(report: Report) -> str:
    lines = []
    for s in report.logs:
        scope = "（仅一个案件）" if s.scope == "case" else ""
        lines.append(
            f"日志 {s.origin}{scope}：{s.entries} 条记录，{s.checkpoints} 个检查点"
            f"（最新大小 {s.latest_checkpoint}），{s.cosignatures} 个见证联署，"
            f"{s.timestamps} 个可信时间戳"
            + (f"，核验媒体 {s.media_checked} 个" if s.media_checked else "")
            + (f"；签名以{s.key}核验" if s.key else "")
            + (
                f"；经见证方联署覆盖前 {s.witnessed} 条"
                if s.witnessed is not None and s.entries
                else ""
            )
        )
    if not report.logs:
        lines.append("账本中还没有任何日志。")
    for projection in report.projections:
        lines.append(
            f"{projection.name}（{projection.table}）：{projection.rows} 行，逐行由账本重建核对"
        )
    lines.append("")
    status = report.status
    if status == verdict.INTACT:
        lines.append(
            "结论：完好——未发现篡改，签名以固定的公钥核验，每条记录都被固定见证方联署的检查点覆盖。"
            if not report.verdict.relaxed
            else "结论：完好（已按要求放宽，见下）——未发现篡改。"
        )
    elif status == verdict.NOT_VERIFIED:
        lines.append("结论：未验证——未发现篡改，但以下各项未能确认：")
    else:
        lines.append(f"结论：有问题——发现 {len(report.problems)} 处篡改或损坏：")
        for i, p in enumerate(report.problems, 1):
            lines.append(f"{i:>3}. [{p.code}] {p.agency}：{p.message}")
    lines += report.verdict.lines(status)
    for note in report.notes:
        lines.append(f"注：{note}")
    return "\n".join(lines) + "\n"


def cmd_ledger(args: argparse.Namespace, out: TextIO) -> int:
    ledger = bootstrap.open_ledger(args.database)
    try:
        if args.ledger_command == "import":
            for file in args.files:
                try:
                    case = parse_case(json.loads(Path(file).read_text("utf-8")))
                except (CaseFormatError, ValueError) as exc:
                    raise ServiceError(f"{file} 不是有效的案件文件：{exc}") from exc
                receipts = do_import_case(ledger, case)
                out.write(
                    f"已导入 {case.case_number}（{case.agency}）：第 {receipts[0].seq}–"
                    f"{receipts[-1].seq} 条，检查点大小 {receipts[-1].checkpoint_size}\n"
                )
        elif args.ledger_command == "checkpoint":
            latest = ledger.latest_checkpoint(args.agency)
            if latest is None:
                raise LedgerError(f"机关 {args.agency} 尚无检查点")
            out.write(latest.note)
        elif args.ledger_command == "integrate":
            agencies = [args.agency] if args.agency else [i.agency for i in ledger.logs()]
            for agency in agencies:
                waiting = ledger.pending(agency)
                signed = ledger.integrate(agency)
                size = signed.size if signed is not None else 0
                out.write(f"{agency}：签入 {waiting} 条，最新检查点大小 {size}\n")
        elif args.ledger_command == "timestamp":
            tsa = tsa_from_env()
            if tsa is None:
                raise LedgerError("未配置可信时间戳服务（LAWTRAIL_TSA_URL）")
            latest = ledger.latest_checkpoint(args.agency)
            if latest is None:
                raise LedgerError(f"机关 {args.agency} 尚无检查点")
            token = request_timestamp(latest.note.encode("utf-8"), tsa[0])
            ledger.add_timestamp(
                args.agency, latest.size, token.token, token.gen_time.isoformat(), token.tsa
            )
            out.write(f"检查点（大小 {latest.size}）已加盖时间戳：{token.gen_time.isoformat()}\n")
    finally:
        ledger.db.close()
    return EXIT_OK


def cmd_media(args: argparse.Namespace, out: TextIO) -> int:
    if args.media_command == "import-folder":
        return cmd_media_folder(args, out)
    if args.media_command == "cleanup":
        return cmd_media_cleanup(args, out)
    ledger = bootstrap.open_ledger(args.database)
    store = bootstrap.open_media_store()
    labels = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep:
            raise ServiceError(f"标注 {item!r} 应写成 KEY=VALUE")
        labels[key] = value
    try:
        with open(args.file, "rb") as fh:
            result = do_ingest_media(
                ledger,
                store,
                args.agency,
                args.case_number,
                fh,
                type=args.type,
                captured_at=_time(args.captured_at, "--captured-at"),
                completed_at=_time(args.completed_at, "--completed-at")
                if args.completed_at
                else None,
                uploader=args.uploader,
                filename=Path(args.file).name,
                device=args.device,
                labels=labels,
            )
    finally:
        ledger.db.close()
    m = result.media
    out.write(
        f"已入库：{m.filename} sha256 {m.sha256} SM3 {m.sm3} {m.size} 字节，"
        f"入库时间 {timeutil.format_local(m.ingested_at)}，账本第 {result.receipt.seq} 条\n"
    )
    return EXIT_OK


def cmd_media_cleanup(args: argparse.Namespace, out: TextIO) -> int:
    """Remove (or list) what interrupted uploads left in the evidence store's `incoming/`."""
    grace = (
        parse_duration(args.older_than, "--older-than")
        if args.older_than is not None
        else float(config.orphan_grace_seconds())
    )
    store = bootstrap.open_media_store()
    orphans = store.remove_orphans(grace, dry_run=args.dry_run)
    failed = [o for o in orphans if o.error]
    if args.format == "json":
        out.write(
            json.dumps(
                {
                    "store": store.url,
                    "older_than_seconds": grace,
                    "dry_run": args.dry_run,
                    "orphans": [dataclasses.asdict(o) for o in orphans],
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    else:
        out.write(cleanup_text(store.url, grace, orphans, dry_run=args.dry_run))
    return EXIT_REFUSED if failed else EXIT_OK


def cleanup_text(url: str, grace: float, orphans: Sequence[Orphan], *, dry_run: bool) -> str:
    verb = "将清理" if dry_run else "已清理"
    lines = [
        f"{'【试运行，未删除】' if dry_run else ''}{verb} {url} 中超过 {_duration_text(grace)}"
        f"未写入的中断上传：{len(orphans)} 项，共 {sum(o.size for o in orphans)} 字节"
    ]
    for o in orphans:
        failure = f"删除失败：{o.error}"
        state = "未删除（试运行）" if dry_run else "已删除" if o.removed else failure
        age = _duration_text(o.age_seconds)
        lines.append(f"  {o.label} {o.location}（{o.size} 字节，{age}前写入）{state}")
    return "\n".join(lines) + "\n"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, option: str) -> float:
    """`90`, `90s`, `30m`, `2h`, `1d` → seconds; anything else is refused naming the option."""
    match = _DURATION.match(text.lower())
    if not match:
        raise ServiceError(f"{option} 的值 {text!r} 无效，应如 90s、30m、2h、1d")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def _duration_text(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)} 天"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} 小时"
    if seconds >= 60:
        return f"{seconds / 60:.1f} 分钟"
    return f"{seconds:.0f} 秒"


@dataclass(frozen=True)
class _Outcome:
    status: str  # "imported" | "skipped" | "refused"
    line: str


_STATUS_WORDS = {"imported": "已导入", "skipped": "已跳过", "refused": "已拒绝"}


def cmd_media_folder(args: argparse.Namespace, out: TextIO) -> int:
    """Import every media file of a folder into one case, one line per file and a summary."""
    folder = Path(args.folder)
    if not folder.is_dir():
        raise ServiceError(f"文件夹 {folder} 不存在或不是文件夹")
    files = _folder_files(folder)
    ledger = bootstrap.open_ledger(args.database)
    try:
        store = bootstrap.open_media_store()
        case = load_case(ledger, args.agency, args.case_number)
        labels = _labels(case, args.uploader, args.handler)
        counts = dict.fromkeys(_STATUS_WORDS, 0)
        for path in files:
            shown = path.relative_to(folder).as_posix()
            outcome = _import_file(ledger, store, args, path, labels)
            counts[outcome.status] += 1
            out.write(f"{_STATUS_WORDS[outcome.status]} {shown}：{outcome.line}\n")
            out.flush()
    finally:
        ledger.db.close()
    if not files:
        out.write(f"文件夹 {folder} 中没有文件。\n")
    out.write(
        f"共 {len(files)} 个文件：导入 {counts['imported']} 个，"
        f"跳过 {counts['skipped']} 个（本案已登记），拒绝 {counts['refused']} 个。\n"
    )
    return EXIT_REFUSED if counts["refused"] else EXIT_OK


def _folder_files(folder: Path) -> list[Path]:
    """Regular files below `folder`, by relative path; hidden files and folders (.DS_Store,
    .Trash …) are left out, symbolic links to folders are not followed."""
    found = []
    for directory, subdirs, names in os.walk(folder):
        subdirs[:] = [d for d in subdirs if not d.startswith(".")]
        for name in names:
            path = Path(directory, name)
            if not name.startswith(".") and path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def _labels(case: Case, uploader: str, handler: str | None) -> dict[str, str]:
    """The labels the web upload gives (004 art. 14: 案号、当事人、承办人)."""
    labels = {"case_number": case.case_number}
    if case.parties:
        labels["party"] = "、".join(p.name for p in case.parties)
    person = case.person(uploader)
    labels["handler"] = handler or (person.name if person is not None else uploader)
    return labels


def _registered_seq(ledger: Any, agency: str, case_number: str, sha256: str) -> int | None:
    entries = list(ledger.entries(agency, case_number=case_number, types=("media",), ref=sha256))
    return entries[0].seq if entries else None


def _import_file(
    ledger: Any, store: Any, args: argparse.Namespace, path: Path, labels: dict[str, str]
) -> _Outcome:
    try:
        name = filetypes.check_filename(path.name)
        kind = filetypes.kind_of(name)
        media_type = filetypes.media_type(kind, args.type)
        with open(path, "rb") as fh:
            filetypes.check_content(kind, fh.read(filetypes.HEAD_SIZE))
            fh.seek(0)
            sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
            seq = _registered_seq(ledger, args.agency, args.case_number, sha256)
            if seq is not None:
                return _Outcome(
                    "skipped", f"本案已登记相同内容的文件（sha256 {sha256[:16]}…，账本第 {seq} 条）"
                )
            captured_at, whence = _captured_at(path)
            now = timeutil.now()
            if captured_at > now:
                return _Outcome(
                    "refused",
                    f"拍摄时间 {_clock(captured_at)}（{whence}）晚于当前时间 {_clock(now)}，"
                    "请核对设备时钟",
                )
            fh.seek(0)
            result = do_ingest_media(
                ledger,
                store,
                args.agency,
                args.case_number,
                fh,
                type=media_type,
                captured_at=captured_at,
                uploader=args.uploader,
                filename=name,
                device=args.device,
                labels=labels,
            )
    except filetypes.FileTypeError as exc:
        return _Outcome("refused", exc.message)
    except ServiceError as exc:
        return _Outcome("refused", str(exc))
    except OSError as exc:
        return _Outcome("refused", f"无法读取文件：{exc.strerror or exc}")
    m = result.media
    return _Outcome(
        "imported",
        f"{filetypes.MEDIA_TYPE_LABELS[m.type]}，sha256 {m.sha256}，{m.size} 字节，"
        f"拍摄时间 {_clock(m.captured_at)}（{whence}），账本第 {result.receipt.seq} 条"
        + ("" if result.created else "（证据库中已有相同内容）"),
    )


def _captured_at(path: Path) -> tuple[datetime, str]:
    """When the recording was made: the time in the file name (Beijing time) if the camera
    wrote one, else the file's modification time."""
    named = filetypes.timestamp_in_name(path.name)
    if named is not None:
        return named, "取自文件名"
    modified = datetime.fromtimestamp(path.stat().st_mtime, tz=timeutil.SHANGHAI)
    return modified.replace(microsecond=0), "取自文件修改时间"


def _clock(value: datetime) -> str:
    return timeutil.local(value).strftime("%Y-%m-%d %H:%M:%S")


def _time(text: str, option: str) -> Any:
    try:
        return timeutil.parse_aware(text)
    except ValueError:
        raise ServiceError(
            f"{option} 的时间 {text!r} 无效：应带时区偏移，如 2026-11-23T09:30:00+08:00"
        ) from None


def cmd_witness(args: argparse.Namespace, out: TextIO) -> int:
    if args.witness_command == "keygen":
        signer = notes.CosignatureSigner.generate(args.name)
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(signer.private_key_string() + "\n")
        out.write(signer.verifier_key() + "\n")
        return EXIT_OK
    key = Path(args.key).read_text("utf-8").strip()
    try:
        signer = notes.CosignatureSigner.from_private_key_string(key)
    except notes.NoteError as exc:
        raise WitnessError(f"见证方私钥 {args.key} 无效：{exc}") from exc
    ledger = bootstrap.open_ledger(args.database)
    try:
        info = ledger.log_info(args.agency)
        if info is None:
            raise WitnessError(f"机关 {args.agency} 尚无可见证的检查点")
        log_keys = _configured_log_keys(args, info.origin)
        state = Witness(signer, Path(args.state), log_keys).cosign(ledger, args.agency)
    finally:
        ledger.db.close()
    out.write(f"已联署 {state.origin} 大小 {state.size} 的检查点\n")
    return EXIT_OK


def _configured_log_keys(args: argparse.Namespace, origin: str) -> dict[str, str]:
    """The log key the witness trusts: from --log-key or the witness's configuration file,
    never from the agency's database (no trust on first use)."""
    if args.log_key:
        try:
            text = Path(args.log_key).read_text("utf-8").strip()
        except OSError as exc:
            raise WitnessError(f"无法读取日志公钥文件 {args.log_key}：{exc}") from exc
        return {origin: text}
    from lawtrail.witness_service.settings import load

    log = load(Path(args.config)).log(origin)
    if log is None:
        raise WitnessError(f"见证服务配置文件 {args.config} 中没有日志 {origin}，拒绝联署")
    return {origin: log.key}
