"""The backup commands of the `lawtrail` CLI (004 art. 14: 定期进行异地备份).

    lawtrail backup --to DEST [--include-signing-keys]
    lawtrail restore --from DEST [--at RUN] [--check] --key AGENCY.vkey|DIR …
                     --witness-key W.vkey|DIR … [--allow-unpinned] [--allow-unwitnessed]

DEST is a directory (a path or file:///abs/dir) or s3://bucket/prefix?endpoint=…&region=…,
with the credentials in LAWTRAIL_S3_ACCESS_KEY and LAWTRAIL_S3_SECRET_KEY.

Exit codes: 0 done (or, for --check, the backup is intact: 完好 — checked under the pinned
agency key, ``--key``, and every entry covered by a checkpoint a pinned witness, ``--witness-key``,
cosigned); 1 a problem was found — the source log is not consistent with the backup (it was
rewritten), a media file is missing or damaged, a backed-up file was changed or re-signed under
another key, a backup file would have to be overwritten; 2 the command could not run
(destination or database unreachable, a restore into a database that already has a ledger, a
restore without a pinned key and without --allow-unpinned, a wrong setting); 3 (restore and
--check) not verified — nothing wrong found, but a key was not pinned or entries are not
covered by a pinned witness's cosignature (named; lawtrail.core.verdict).
"""

from __future__ import annotations

import argparse
import re
from typing import Any, TextIO

from lawtrail import bootstrap, config
from lawtrail.backup.destination import destination_from_url
from lawtrail.backup.errors import BackupError, BackupUnavailable
from lawtrail.backup.restore import RestoreResult, Trust, check_backup, restore
from lawtrail.backup.take import BackupResult, take_backup
from lawtrail.core import verdict
from lawtrail.ledger.db import Database
from lawtrail.ledger.schema import has_schema
from lawtrail.ledger_cli import RUN_ERRORS
from lawtrail.verify import add_trust_arguments, load_log_keys, load_witness_keys

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_CANNOT_RUN = 2
EXIT_NOT_VERIFIED = verdict.EXIT_NOT_VERIFIED

_RUN_ERRORS = (BackupUnavailable, *RUN_ERRORS)

_DEST_HELP = (
    "备份目标：目录（路径或 file:///绝对路径）或 s3://存储桶/前缀?endpoint=…&region=…"
    "（凭据取 LAWTRAIL_S3_ACCESS_KEY、LAWTRAIL_S3_SECRET_KEY）"
)


def add_commands(sub: Any) -> None:
    b = sub.add_parser(
        "backup",
        help="异地备份：把账本和音像资料增量复制到第二个存储，并证明副本与源一致",
        description="把各机关日志中上次备份之后的新记录（连同检查点、见证联署、可信时间戳）、"
        "公钥和账本登记的音像资料与文书复制到备份目标（只增不改，不覆盖不删除），"
        "并用一致性证明和摘要证明副本与源一致；每次运行写一份与上一份链接的运行清单。"
        "源日志与上次备份不一致（被改写）时拒绝备份该机关并报告。"
        "依据：栾川县统计局办法第十四条“定期进行异地备份”。"
        "退出码：0 完成，1 发现问题（源日志被改写、媒体文件缺失或损坏、备份文件会被覆盖），"
        "2 无法执行。",
    )
    b.add_argument("--to", required=True, metavar="DEST", help=_DEST_HELP)
    b.add_argument(
        "--include-signing-keys",
        action="store_true",
        help="同时备份各机关的检查点签名私钥。默认不备份，这是一项安全策略决定："
        "备份中只有公钥时，备份介质即使落入他人之手也不能用来伪造新的检查点；"
        "但恢复后的系统没有私钥就只能核验、不能继续记录，须另行取回私钥。"
        "是否把私钥托管到异地，由机关按其密钥管理制度决定",
    )
    b.add_argument("--database", metavar="URL", help="数据库地址（默认 DATABASE_URL）")

    r = sub.add_parser(
        "restore",
        help="从异地备份恢复一个空系统（账本、音像资料、公钥），可恢复到某次备份时的状态",
        description="从备份恢复到没有任何账本记录的空系统：逐段核对摘要，重算每条记录的叶哈希、"
        "日志树和每个检查点的根与签名，核对每个媒体文件的 SHA-256、SM3 和大小，全部无误后才写入"
        "数据库（每个机关一个事务）、媒体存储和密钥目录（只补缺失的文件）。签名以固定的机关公钥"
        "（--key）核验，见证联署以固定的见证方公钥（--witness-key）核验；备份自带的公钥不算固定，"
        "未固定时恢复拒绝执行（除非加 --allow-unpinned，报告注明）。恢复后请运行 "
        "lawtrail verify --media 核验；Web 部署还须运行 lawtrail manage reindex 重建案件索引。"
        "退出码：0 完成且完好，1 备份有问题（被改动或换签的文件已点名）或缺少媒体文件，2 无法执行"
        "（如数据库中已有账本、未固定公钥），"
        "3 未验证（未发现问题，但公钥未固定或有记录尚无见证联署）。",
    )
    r.add_argument("--from", dest="source", required=True, metavar="DEST", help=_DEST_HELP)
    r.add_argument(
        "--at",
        metavar="RUN",
        help="恢复到第 RUN 次备份运行时的状态（如 3 或 runs/000003.json；默认最近一次）",
    )
    r.add_argument(
        "--check",
        action="store_true",
        help="只核验备份是否完整、可恢复，不写入数据库、媒体存储或密钥目录",
    )
    add_trust_arguments(r)
    r.add_argument("--database", metavar="URL", help="数据库地址（默认 DATABASE_URL）")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.command == "backup":
            return cmd_backup(args, out, err)
        if args.command == "restore":
            return cmd_restore(args, out, err)
    except BackupError as exc:
        err.write(f"lawtrail {args.command}: 发现问题：{exc}\n")
        return EXIT_PROBLEM
    except _RUN_ERRORS as exc:
        err.write(f"lawtrail {args.command}: 错误：{exc}\n")
        return EXIT_CANNOT_RUN
    raise AssertionError(args.command)  # pragma: no cover


def cmd_backup(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    ledger = bootstrap.open_ledger(args.database, install_schema=False)
    try:
        if not has_schema(ledger.db):
            raise BackupUnavailable(f"数据库 {ledger.db.url} 中没有账本，无可备份")
        store = bootstrap.open_media_store()
        dest = destination_from_url(args.to, create=True)
        result = take_backup(ledger, store, dest, include_signing_keys=args.include_signing_keys)
    finally:
        ledger.db.close()
    out.write(backup_text(result))
    for problem in result.problems:
        err.write(f"lawtrail backup: 发现问题：{problem}\n")
    return EXIT_OK if result.ok else EXIT_PROBLEM


def _run_number(text: str | None) -> int | None:
    if text is None:
        return None
    match = re.fullmatch(r"(?:runs/)?0*(\d+)(?:\.json)?", text.strip())
    if match is None or int(match.group(1)) < 1:
        raise BackupUnavailable(
            f"--at 的值 {text!r} 无效：应为备份运行的序号，如 3 或 runs/000003.json"
        )
    return int(match.group(1))


def cmd_restore(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    at = _run_number(args.at)
    trust = Trust(
        keys=load_log_keys(args.key),
        witness_keys=load_witness_keys(args.witness_key),
        allow_unpinned=args.allow_unpinned,
        allow_unwitnessed=args.allow_unwitnessed,
    )
    dest = destination_from_url(args.source)
    keys = bootstrap.key_directory()
    if args.check:
        result = check_backup(dest, keys, at=at, trust=trust)
    else:
        db = Database(args.database or config.database_url())
        try:
            store = bootstrap.open_media_store()
            result = restore(
                db, store, keys, dest, at=at, origin_base=config.log_origin_base(), trust=trust
            )
        finally:
            db.close()
    out.write(restore_text(result))
    for missing in result.missing_media:
        err.write(f"lawtrail restore: 发现问题：备份中缺少账本登记的媒体文件 {missing}\n")
    return verdict.EXIT_CODES[result.status]


# ---------------------------------------------------------------------------- reports


def _short(hex_: str) -> str:
    return hex_[:16] + "…" if hex_ else "（空）"


def backup_text(result: BackupResult) -> str:
    lines = [f"备份第 {result.run} 次运行（{result.manifest}）→ {result.destination}"]
    for log in result.logs:
        if log.status == "refused":
            lines.append(f"  机关 {log.agency}：拒绝备份——{log.problem}")
            continue
        if log.status == "unchanged":
            what = f"无新内容（大小 {log.to_size}）"
        else:
            what = (
                f"复制第 {log.from_size}–{log.to_size - 1} 条记录（{log.entries} 条）"
                if log.entries
                else "无新记录"
            ) + (
                f"、{log.checkpoints} 个检查点、{log.cosignatures} 个见证联署、"
                f"{log.timestamps} 个可信时间戳，树大小 {log.from_size} → {log.to_size}"
            )
        proof = f"，已核验 {log.proof_hashes} 个哈希的一致性证明" if log.proof_hashes else ""
        lines.append(f"  机关 {log.agency}：{what}；根 {_short(log.root)}；一致性：一致{proof}")
    if not result.logs:
        lines.append("  账本中还没有任何日志。")
    lines.append(
        f"媒体文件：复制 {result.media_copied} 个（{result.media_bytes} 字节），"
        f"已在备份中跳过 {result.media_in_backup} 个"
    )
    entries = sum(log.entries for log in result.logs)
    lines.append(
        f"共复制 {entries} 条记录；写入 {result.files_written} 个文件，"
        f"{result.bytes_written} 字节（含运行清单）"
    )
    if result.nothing_new:
        lines.append("本次没有新的记录或媒体文件，未复制任何内容；运行清单已记下这一点。")
    lines.append(
        f"运行清单 SHA-256：{result.manifest_sha256}"
        "（下次运行将链接到它；可记入值班记录，以便日后发现备份被整体回退）"
    )
    if result.ok:
        lines.append("结论：备份完成，副本与源账本一致。")
    else:
        lines.append(f"结论：发现 {len(result.problems)} 个问题，相关内容未备份：")
        lines += [f"  {i}. {p}" for i, p in enumerate(result.problems, 1)]
    return "\n".join(lines) + "\n"


def restore_text(result: RestoreResult) -> str:
    verb = "核验" if result.checked_only else "恢复"
    lines = [
        f"已{verb}第 {result.run} 次备份（{result.manifest}，{result.run_time}），"
        f"来自 {result.destination}",
        f"  运行清单 SHA-256：{result.manifest_sha256}",
    ]
    for log in result.logs:
        lines.append(
            f"  机关 {log.agency}：{log.entries} 条记录、{log.checkpoints} 个检查点、"
            f"{log.cosignatures} 个见证联署、{log.timestamps} 个可信时间戳；根 {log.root}"
            f"（与已签名的检查点一致，签名以{log.key_source}核验）"
            + (
                f"；经见证方联署覆盖前 {log.witnessed} 条"
                if log.witnessed is not None and log.entries
                else ""
            )
        )
    lines.append(f"媒体文件：{verb} {result.media} 个（{result.media_bytes} 字节）")
    if result.keys_written:
        lines.append("密钥目录：写入 " + "、".join(result.keys_written))
    for note in result.notes:
        lines.append(f"注：{note}")
    status = result.status
    if result.missing_media:
        lines.append(f"结论：有问题——备份中缺少 {len(result.missing_media)} 个账本登记的媒体文件：")
        lines += [f"  - {m}" for m in result.missing_media]
    else:
        done = (
            "备份完整，可以恢复"
            if result.checked_only
            else "恢复完成。请运行 lawtrail verify --media 核验；"
            "Web 部署请再运行 lawtrail manage reindex 重建案件索引"
        )
        if status == verdict.INTACT:
            relaxed = "（已按要求放宽，见下）" if result.verdict.relaxed else ""
            lines.append(f"结论：完好{relaxed}——{done}。")
        else:
            lines.append(f"结论：未验证——{done}，但以下各项未能确认：")
    lines += result.verdict.lines(status)
    return "\n".join(lines) + "\n"
