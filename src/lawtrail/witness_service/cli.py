"""`lawtrail witness serve | alerts` (the supervisor's witness service).

    lawtrail witness serve --config witness.toml
    lawtrail witness alerts (--config witness.toml | --url http://witness:8100) [--all]
                            [--json] [--resolve ID|all]

`alerts` exit status (for monitoring): 0 no unresolved alert, 1 unresolved alerts, 2 the
alerts could not be read.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any, TextIO

from lawtrail.witness_service import client
from lawtrail.witness_service.alerts import KIND_LABELS, AlertStore
from lawtrail.witness_service.settings import WitnessConfigError, load, parse_bind

EXIT_OK = 0
EXIT_ALERTS = 1
EXIT_CANNOT_RUN = 2


def add_commands(wsub: Any) -> None:
    """serve, alerts and init under `lawtrail witness`."""
    sv = wsub.add_parser(
        "serve",
        help="作为独立服务运行见证方：跟随各机关日志、联署、告警",
        description="见证服务：按配置文件（TOML）跟随各机关日志的 HTTP 接口，核验签名与一致性后"
        "联署并交回日志；提供 C2SP tlog-witness 的 POST /add-checkpoint、GET /alerts、"
        "GET /status。",
    )
    sv.add_argument("--config", required=True, metavar="witness.toml", help="见证服务配置文件")
    al = wsub.add_parser(
        "alerts",
        help="列出见证服务的告警；有未处理告警时退出码为 1",
        description="列出见证服务的告警（默认只列未处理的）。退出码：0 无未处理告警，"
        "1 有未处理告警，2 无法读取。",
    )
    where = al.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", metavar="witness.toml", help="见证服务配置文件（直接读其存储）")
    where.add_argument("--url", help="见证服务地址，如 http://127.0.0.1:8100")
    al.add_argument("--all", action="store_true", help="也列出已处理的告警")
    al.add_argument("--json", action="store_true", help="输出 JSON")
    al.add_argument(
        "--resolve", metavar="ID|all", help="把告警标为已处理（须用 --config，核实之后再做）"
    )

    ini = wsub.add_parser(
        "init",
        help="（演示、测试）建立见证服务目录：密钥、配置文件（各机关日志的公钥在此时固定）",
        description="在 --dir 中生成见证方密钥（已有则沿用）和 witness.toml：从机关密钥目录的 "
        "<机关>.vkey 读取并固定各日志的公钥，日志地址为 --ledger-url/ledger/<机关>；"
        "并把见证方公钥放入机关密钥目录的 witnesses/，使账本接受其联署。",
    )
    ini.add_argument("--dir", required=True, help="见证服务目录（不得在机关数据目录之内）")
    ini.add_argument("--name", required=True, help="见证方名称，如 yifazhishi.demo")
    ini.add_argument("--agency-keys", required=True, metavar="DIR", help="机关密钥目录")
    ini.add_argument("--ledger-url", required=True, help="账本 Web 服务地址")
    ini.add_argument("--bind", default="127.0.0.1:8100", help="见证服务监听地址")
    ini.add_argument("--poll-interval", type=float, default=1.0, help="轮询间隔（秒）")
    ini.add_argument("--stall-after", type=float, default=60.0, help="停止推进告警阈值（秒）")
    ini.add_argument("--unreachable-after", type=float, default=60.0, help="不可达告警阈值（秒）")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        if args.witness_command == "serve":
            return serve(Path(args.config), err)
        if args.witness_command == "init":
            return init(args, out)
        return alerts(args, out, err)
    except (WitnessConfigError, client.FetchError, OSError, ValueError) as exc:
        err.write(f"lawtrail witness: 错误：{exc}\n")
        return EXIT_CANNOT_RUN


def serve(config_path: Path, err: TextIO) -> int:
    from lawtrail.witness_service.http import WitnessHTTPServer
    from lawtrail.witness_service.service import WitnessService

    config = load(config_path)
    service = WitnessService(config)
    try:
        server = WitnessHTTPServer((config.host, config.port), service)
    except OSError as exc:
        service.stop()
        raise WitnessConfigError(f"无法在 {config.host}:{config.port} 上监听：{exc}") from exc
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.start()
    err.write(
        f"见证服务已启动：{config.url}（见证方 {service.name}，跟随 {len(config.logs)} 个日志，"
        f"状态目录 {config.state_dir}）\n"
    )
    err.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        service.stop()
        err.write("见证服务已停止\n")
    return EXIT_OK


def alerts(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.resolve is not None and not args.config:
        raise WitnessConfigError("--resolve 须与 --config 一起使用（告警存于见证服务自己的存储）")
    if args.config:
        config = load(Path(args.config))
        store = AlertStore(config.state_dir / "alerts.sqlite3")
        try:
            if args.resolve is not None:
                target = None if args.resolve == "all" else _alert_id(args.resolve)
                count = store.resolve(target)
                out.write(f"已将 {count} 条告警标为已处理\n")
            items = [a.as_json() for a in store.alerts(unresolved_only=not args.all)]
        finally:
            store.close()
    else:
        suffix = "" if args.all else "?unresolved=1"
        answer = client.get_json(f"{args.url.rstrip('/')}/alerts{suffix}", timeout=5)
        items = list(answer.get("alerts", [])) if isinstance(answer, dict) else []
    unresolved = [a for a in items if not a.get("resolved_at")]
    if args.json:
        out.write(json.dumps({"unresolved": len(unresolved), "alerts": items}, ensure_ascii=False))
        out.write("\n")
    else:
        for a in items:
            done = f"（已于 {a['resolved_at']} 处理）" if a.get("resolved_at") else ""
            label = KIND_LABELS.get(a["kind"], a["kind"])
            times = ""
            if a.get("count", 1) > 1:
                times = f"，共 {a['count']} 次，最近 {a['last_seen_at']}"
            out.write(f"[{a['id']}] {a['raised_at']} {a['origin']} {label}{done}{times}\n")
            out.write(f"    {a['message']}\n")
        out.write(f"未处理告警 {len(unresolved)} 条\n" if unresolved else "没有未处理的告警\n")
    return EXIT_ALERTS if unresolved else EXIT_OK


def _alert_id(text: str) -> int:
    if not text.isdigit():
        raise WitnessConfigError(f"--resolve 应为告警编号或 all，而不是 {text!r}")
    return int(text)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def init(args: argparse.Namespace, out: TextIO) -> int:
    """Set up a witness directory for the agencies whose keys are in --agency-keys."""
    from lawtrail.core import notes
    from lawtrail.ledger.keys import KeyDirectory

    folder = Path(args.dir).absolute()
    keys = Path(args.agency_keys).absolute()
    if folder == keys or keys in folder.parents:
        raise WitnessConfigError(f"见证服务目录 {folder} 不能在机关密钥目录 {keys} 之内")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_file = folder / "witness.key"
    if key_file.exists():
        signer = notes.CosignatureSigner.from_private_key_string(
            key_file.read_text("utf-8").strip()
        )
    else:
        signer = notes.CosignatureSigner.generate(args.name)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(signer.private_key_string() + "\n")
    (folder / "witness.vkey").write_text(signer.verifier().verifier_key() + "\n", "utf-8")
    parse_bind(args.bind, "--bind")
    lines = [
        "# 见证服务配置（lawtrail witness init 生成）：各日志的公钥在此固定，不从日志获取",
        'key = "witness.key"',
        'state_dir = "state"',
        f"bind = {_toml_string(args.bind)}",
        f"poll_interval = {float(args.poll_interval)}",
        f"stall_after = {float(args.stall_after)}",
        f"unreachable_after = {float(args.unreachable_after)}",
    ]
    count = 0
    for vkey in sorted(keys.glob("*.vkey")):
        verifier = notes.Ed25519Verifier.from_verifier_key_string(vkey.read_text("utf-8").strip())
        url = f"{args.ledger_url.rstrip('/')}/ledger/{vkey.stem}"
        lines += [
            "",
            "[[log]]",
            f"origin = {_toml_string(verifier.name)}",
            f"key = {_toml_string(verifier.verifier_key())}",
            f"url = {_toml_string(url)}",
        ]
        count += 1
    config = folder / "witness.toml"
    config.write_text("\n".join(lines) + "\n", "utf-8")
    load(config)  # what was written must load
    KeyDirectory(keys).add_witness(signer.verifier().verifier_key())
    out.write(f"{config}\n")
    out.write(
        f"已配置见证方 {signer.name}，跟随 {count} 个日志；其公钥已放入 {keys / 'witnesses'}\n"
    )
    return EXIT_OK
