"""The signing process's commands of the `lawtrail` CLI (issue #12 item 5).

    lawtrail signer serve --dir SIGNER_DIR --socket PATH [--mode 0660] [--group GROUP]
    lawtrail signer import-key --dir SIGNER_DIR --agency A --key A.key
                               (--trust-checkpoint FILE | --trust-size N --trust-root B64)
    lawtrail signer trust --dir SIGNER_DIR --origin ORIGIN
                               (--trust-checkpoint FILE | --trust-size N --trust-root B64)
    lawtrail signer status --dir SIGNER_DIR [--format json]

Run them as the signer's own OS account (see docs/architecture.md, "Trust model: who holds
which key", and README "签名服务"). Exit codes: 0 done, 1 refused (the key exists already, the
trusted checkpoint is not signed by the key), 2 cannot run.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import logging
from pathlib import Path
from typing import Any, TextIO

from lawtrail.core import notes
from lawtrail.ledger.signer_service import (
    DEFAULT_SOCKET_MODE,
    SignerError,
    SignerStore,
    TreeHead,
    serve,
)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_CANNOT_RUN = 2


def add_commands(sub: Any) -> None:
    s = sub.add_parser(
        "signer",
        help="签名服务：在独立账户下持有各机关的检查点签名私钥，只签与既往一致的检查点",
        description="签名服务持有各机关的检查点签名私钥（Web 应用读不到），经 Unix 套接字提供签名；"
        "它记录每个日志最后签发的检查点，只对以一致性证明延续该检查点的新检查点签名，"
        "被改写或回退的历史得不到新签名。",
    )
    ssub = s.add_subparsers(dest="signer_command", required=True, metavar="子命令")
    sv = ssub.add_parser("serve", help="启动签名服务（前台运行，SIGTERM 退出）")
    sv.add_argument("--dir", required=True, type=Path, help="签名服务目录（私钥和状态，0700）")
    sv.add_argument("--socket", required=True, type=Path, help="Unix 套接字路径")
    sv.add_argument(
        "--mode",
        default=f"{DEFAULT_SOCKET_MODE:o}",
        help="套接字权限（八进制，默认 660：属组内的 Web 应用账户可连接）",
    )
    sv.add_argument("--group", help="把套接字的属组改为该组（Web 应用账户所在的组）")

    imp = ssub.add_parser(
        "import-key",
        help="把已有的机关私钥文件移入签名服务（原文件随后删除），并指定可信的最新检查点",
    )
    imp.add_argument("--dir", required=True, type=Path, help="签名服务目录")
    imp.add_argument("--agency", required=True, help="机关标识，如 tonghua-market")
    imp.add_argument("--key", required=True, type=Path, help="机关私钥文件（<keys>/<agency>.key）")
    imp.add_argument(
        "--keep-original", action="store_true", help="导入后不删除原私钥文件（须另行安全销毁）"
    )
    _trust_arguments(imp)

    tr = ssub.add_parser(
        "trust",
        help="运维决定：把日志的可信最新检查点设为指定值（如账本从备份恢复后），记入日志",
    )
    tr.add_argument("--dir", required=True, type=Path, help="签名服务目录")
    tr.add_argument("--origin", required=True, help="日志名，如 lawtrail.local/tonghua-market")
    _trust_arguments(tr)

    st = ssub.add_parser("status", help="列出签名服务中的日志、公钥和最后签发的检查点")
    st.add_argument("--dir", required=True, type=Path, help="签名服务目录")
    st.add_argument("--format", choices=("text", "json"), default="text")


def _trust_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-checkpoint",
        type=Path,
        metavar="FILE",
        help="可信的最新已签名检查点（lawtrail ledger checkpoint --agency A 的输出，"
        "须先经 lawtrail verify --witness-state 核验）",
    )
    parser.add_argument("--trust-size", type=int, metavar="N", help="可信检查点的树大小")
    parser.add_argument("--trust-root", metavar="B64", help="可信检查点的根哈希（base64）")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    command = args.signer_command
    try:
        if command == "serve":
            return _serve(args, err)
        store = SignerStore(args.dir)
        if command == "import-key":
            return _import_key(store, args, out, err)
        if command == "trust":
            return _trust(store, args, out, err)
        if command == "status":
            return _status(store, args.format, out)
    except SignerError as exc:
        err.write(f"lawtrail signer {command}: 拒绝：{exc}\n")
        return EXIT_REFUSED if exc.code == "refused" else EXIT_CANNOT_RUN
    except (OSError, ValueError) as exc:
        err.write(f"lawtrail signer {command}: 错误：{exc}\n")
        return EXIT_CANNOT_RUN
    raise AssertionError(command)  # pragma: no cover


def _serve(args: argparse.Namespace, err: TextIO) -> int:
    try:
        mode = int(args.mode, 8)
    except ValueError:
        err.write(f"lawtrail signer serve: --mode 应为八进制权限（如 660），而不是 {args.mode!r}\n")
        return EXIT_CANNOT_RUN
    if mode & 0o007:
        err.write("lawtrail signer serve: --mode 不能让其他用户连接套接字（最宽 660）\n")
        return EXIT_CANNOT_RUN
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s lawtrail-signer %(levelname)s %(message)s"
    )
    serve(args.dir, args.socket.absolute(), mode=mode, group=args.group)
    return EXIT_OK


def _trusted_head(args: argparse.Namespace, signer: notes.Ed25519Signer | None) -> TreeHead | None:
    """The operator's trusted checkpoint from the arguments; a checkpoint file must be signed
    by the key (when known) and name its origin."""
    if args.trust_checkpoint is not None:
        if args.trust_size is not None or args.trust_root is not None:
            raise ValueError("--trust-checkpoint 与 --trust-size/--trust-root 只能选一种")
        text = args.trust_checkpoint.read_text("utf-8")
        try:
            note = notes.parse_note(text)
            checkpoint = notes.Checkpoint.from_text(note.text)
        except notes.NoteError as exc:
            raise ValueError(f"{args.trust_checkpoint} 不是已签名的检查点：{exc}") from exc
        if signer is not None:
            if checkpoint.origin != signer.name:
                raise SignerError(
                    "refused", f"检查点属于日志 {checkpoint.origin}，而私钥属于 {signer.name}"
                )
            try:
                ok = notes.verify_note(note, [signer.verifier()])
            except notes.NoteError:
                ok = []
            if not ok:
                raise SignerError("refused", f"{args.trust_checkpoint} 不是由该私钥签名的检查点")
        return TreeHead(checkpoint.size, checkpoint.root)
    if args.trust_size is None and args.trust_root is None:
        return None
    if args.trust_size is None or args.trust_root is None or args.trust_size < 0:
        raise ValueError("--trust-size 与 --trust-root 须同时给出")
    try:
        root = base64.b64decode(args.trust_root, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"--trust-root 不是有效的 base64：{exc}") from exc
    if len(root) != notes.ROOT_HASH_SIZE:
        raise ValueError(f"--trust-root 应为 {notes.ROOT_HASH_SIZE} 字节的根哈希")
    return TreeHead(args.trust_size, root)


def _import_key(store: SignerStore, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        signer = notes.Ed25519Signer.from_private_key_string(args.key.read_text("utf-8").strip())
    except notes.NoteError as exc:
        raise ValueError(f"{args.key} 不是检查点签名私钥：{exc}") from exc
    head = _trusted_head(args, signer)
    if head is None:
        err.write(
            "lawtrail signer import-key: 须用 --trust-checkpoint（或 --trust-size 与 --trust-root）"
            "指定该日志可信的最新检查点：签名服务只对延续它的检查点签名。请先用 lawtrail verify "
            "--witness-state 核验账本，再用 lawtrail ledger checkpoint --agency "
            f"{args.agency} 取出最新检查点\n"
        )
        return EXIT_CANNOT_RUN
    with store.locked():
        store.install_key(args.agency, signer, head, "imported")
    out.write(f"已导入日志 {signer.name} 的签名私钥；可信检查点：{head.describe()}\n")
    out.write(f"公钥：{signer.verifier_key()}\n")
    if args.keep_original:
        err.write(f"注意：原私钥文件 {args.key} 仍在，能读取它的人仍可签名，请安全销毁\n")
    else:
        args.key.unlink()
        out.write(f"已删除原私钥文件 {args.key}（其备份副本须另行销毁）\n")
    return EXIT_OK


def _trust(store: SignerStore, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    with store.locked():
        signer = store.signer(args.origin)
        head = _trusted_head(args, signer)
        if head is None:
            err.write(
                "lawtrail signer trust: 须给出 --trust-checkpoint 或 --trust-size 与 --trust-root\n"
            )
            return EXIT_CANNOT_RUN
        store.set_trusted(args.origin, head, reason="operator")
    out.write(f"日志 {args.origin} 的可信检查点已设为：{head.describe()}（已记入签名服务日志）\n")
    return EXIT_OK


def _status(store: SignerStore, fmt: str, out: TextIO) -> int:
    logs: list[dict[str, Any]] = []
    for origin in store.origins():
        state = store.state(origin)
        logs.append(
            {
                "origin": origin,
                "agency": state.agency,
                "vkey": store.signer(origin).verifier_key(),
                "confirmed": state.confirmed.to_json() if state.confirmed else None,
                "pending": state.pending.to_json() if state.pending else None,
            }
        )
    if fmt == "json":
        json.dump({"logs": logs}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return EXIT_OK
    if not logs:
        out.write("签名服务中还没有任何日志的私钥\n")
    for item in logs:
        out.write(f"{item['origin']}（{item['agency']}）\n  公钥：{item['vkey']}\n")
        for key, label in (("confirmed", "已确认"), ("pending", "最后签发、待确认")):
            head = item[key]
            text = f"大小 {head['size']}，根 {head['root']}" if head else "无"
            out.write(f"  {label}：{text}\n")
    return EXIT_OK
