"""The witness's configuration file (TOML)::

    key = "witness.key"                   # the witness's signer key (PRIVATE+KEY+…), 0600
    state_dir = "state"                   # its own state: checkpoints cosigned, alerts
    bind = "127.0.0.1:8100"               # where /add-checkpoint, /alerts, /status answer
    poll_interval = 1.0                   # seconds between two polls of a log
    stall_after = 60                      # alert when entries stay uncovered this long (s)
    unreachable_after = 60                # alert when a log cannot be reached this long (s)
    http_timeout = 5                      # seconds per request to a log

    [[log]]
    origin = "lawtrail.local/tonghua-market"
    key = "lawtrail.local/tonghua-market+1a2b3c4d+AQ…"   # the log's verifier key, pinned
    url = "http://127.0.0.1:8000/ledger/tonghua-market"  # the log's HTTP endpoint (optional:
                                                         # without it the log can only push)

Relative paths are relative to the file. The log key is written into the file when the
witness is set up (copied from the agency's published ``.vkey``); the witness never takes it
from the log itself.
"""

from __future__ import annotations

import tomllib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lawtrail.core import notes


class WitnessConfigError(Exception):
    """The configuration file is missing or wrong; the message (Chinese) names file and key."""


@dataclass(frozen=True)
class LogConfig:
    origin: str
    key: str
    url: str | None

    def endpoint(self, name: str) -> str:
        assert self.url is not None
        return f"{self.url.rstrip('/')}/{name}"


@dataclass(frozen=True)
class WitnessConfig:
    path: Path
    key_file: Path
    state_dir: Path
    host: str
    port: int
    poll_interval: float
    stall_after: float
    unreachable_after: float
    http_timeout: float
    logs: tuple[LogConfig, ...]

    def log(self, origin: str) -> LogConfig | None:
        return next((log for log in self.logs if log.origin == origin), None)

    def signer(self) -> notes.CosignatureSigner:
        try:
            text = self.key_file.read_text("utf-8").strip()
        except OSError as exc:
            raise WitnessConfigError(f"无法读取见证方私钥 {self.key_file}：{exc}") from exc
        try:
            return notes.CosignatureSigner.from_private_key_string(text)
        except notes.NoteError as exc:
            raise WitnessConfigError(f"见证方私钥 {self.key_file} 无效：{exc}") from exc

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _number(data: dict[str, Any], name: str, default: float, where: str) -> float:
    value = data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise WitnessConfigError(f"{where}：{name} 应为正数，而不是 {value!r}")
    return float(value)


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise WitnessConfigError(f"{where}：url 应为字符串")
    parsed = urllib.parse.urlsplit(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise WitnessConfigError(f"{where}：url 应为 http:// 或 https:// 地址，而不是 {value!r}")
    return value.rstrip("/")


def parse_bind(value: str, where: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise WitnessConfigError(
            f"{where}：bind 应为 主机:端口，如 127.0.0.1:8100，而不是 {value!r}"
        )
    return host.strip("[]"), int(port)


def load(path: Path) -> WitnessConfig:
    where = f"见证方配置文件 {path}"
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise WitnessConfigError(f"无法读取{where}：{exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise WitnessConfigError(f"{where} 不是有效的 TOML：{exc}") from exc
    known = {
        "key",
        "state_dir",
        "bind",
        "poll_interval",
        "stall_after",
        "unreachable_after",
        "http_timeout",
        "log",
    }
    unknown = sorted(set(data) - known)
    if unknown:
        raise WitnessConfigError(f"{where}：未知的设置 {', '.join(unknown)}")
    base = path.parent.absolute()
    for name in ("key", "state_dir"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise WitnessConfigError(f"{where}：缺少 {name}（字符串）")
    host, port = parse_bind(str(data.get("bind", "127.0.0.1:8100")), where)
    logs: list[LogConfig] = []
    raw_logs = data.get("log", [])
    if not isinstance(raw_logs, list):
        raise WitnessConfigError(f"{where}：log 应为 [[log]] 表的数组")
    for number, item in enumerate(raw_logs, start=1):
        here = f"{where} 第 {number} 个 [[log]]"
        if not isinstance(item, dict):
            raise WitnessConfigError(f"{here}：应为表")
        extra = sorted(set(item) - {"origin", "key", "url"})
        if extra:
            raise WitnessConfigError(f"{here}：未知的设置 {', '.join(extra)}")
        origin, key = item.get("origin"), item.get("key")
        if not isinstance(origin, str) or not origin:
            raise WitnessConfigError(f"{here}：缺少 origin（日志来源）")
        if not isinstance(key, str) or not key:
            raise WitnessConfigError(f"{here}：缺少 key（日志的验证公钥，不从日志自身获取）")
        try:
            verifier = notes.Ed25519Verifier.from_verifier_key_string(key.strip())
        except notes.NoteError as exc:
            raise WitnessConfigError(f"{here}：key 不是有效的验证公钥：{exc}") from exc
        if verifier.name != origin:
            raise WitnessConfigError(f"{here}：key 属于 {verifier.name}，不是日志 {origin}")
        if any(log.origin == origin for log in logs):
            raise WitnessConfigError(f"{here}：日志 {origin} 重复配置")
        url = _url(item["url"], here) if "url" in item else None
        logs.append(LogConfig(origin=origin, key=key.strip(), url=url))
    return WitnessConfig(
        path=path,
        key_file=base / data["key"],
        state_dir=base / data["state_dir"],
        host=host,
        port=port,
        poll_interval=_number(data, "poll_interval", 1.0, where),
        stall_after=_number(data, "stall_after", 60.0, where),
        unreachable_after=_number(data, "unreachable_after", 60.0, where),
        http_timeout=_number(data, "http_timeout", 5.0, where),
        logs=tuple(logs),
    )
