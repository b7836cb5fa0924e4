"""The backup's format (``lawtrail-backup/1``): file names, segment lines and run manifests.

A segment is JSON lines. Its first line describes it; then, in log order, every entry of the
range with every column of its row (``body`` the exact canonical bytes, base64) and, right
after the entry that completes it, each new checkpoint; then the cosignatures and RFC 3161
tokens new in that run (they may cover a checkpoint of an earlier segment)::

    {"kind": "segment", "format": …, "agency": …, "origin": …, "from": M, "to": N, "run": …}
    {"kind": "entry", "seq": …, "recorded_at": …, "case_number": …, "type": …, "ref": …,
     "body": "<base64>", "leaf_hash": "<hex>"}
    {"kind": "checkpoint", "size": …, "root": "<hex>", "note": …, "signed_at": …}
    {"kind": "cosignature", "size": …, "witness": …, "cosigned_at": …, "line": …}
    {"kind": "timestamp", "size": …, "token": "<base64>", "gen_time": …, "tsa": …}

A run manifest (``runs/000001.json`` …) names the previous one by number and SHA-256, so the
runs form a chain: a manifest cannot be removed, replaced or reordered without breaking it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from lawtrail.backup.destination import Destination
from lawtrail.backup.errors import BackupError

FORMAT = "lawtrail-backup/1"
RUNS = "runs"

_AGENCY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_RUN_NAME = re.compile(r"runs/(\d{6,})\.json")
_WITNESS_FILE = re.compile(r"[^/\\\s.][^/\\\s]{0,200}\.vkey")


def check_agency(agency: str) -> str:
    """An agency id is part of file names: only plain ids are accepted."""
    if not isinstance(agency, str) or not _AGENCY.fullmatch(agency):
        raise BackupError(f"机关标识 {agency!r} 不能用作备份文件名")
    return agency


def check_witness_file(name: str) -> str:
    if not isinstance(name, str) or not _WITNESS_FILE.fullmatch(name):
        raise BackupError(f"见证方公钥文件名 {name!r} 无效")
    return name


def run_name(number: int) -> str:
    return f"{RUNS}/{number:06d}.json"


def log_name(agency: str) -> str:
    return f"ledger/{check_agency(agency)}/log.json"


def segment_name(agency: str, start: int, end: int, run_id: str) -> str:
    return f"ledger/{check_agency(agency)}/{start:012d}-{end:012d}-{run_id}.jsonl"


def vkey_name(agency: str) -> str:
    return f"keys/{check_agency(agency)}.vkey"


def signing_key_name(agency: str) -> str:
    return f"keys/{check_agency(agency)}.key"


def witness_key_name(file_name: str) -> str:
    return f"keys/witnesses/{check_witness_file(file_name)}"


def media_name(sha256: str) -> str:
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise BackupError(f"无效的 SHA-256 摘要：{sha256!r}")
    return f"media/sha256/{sha256[:2]}/{sha256}"


# ---------------------------------------------------------------------------- segment lines


def dump_line(item: dict[str, Any]) -> bytes:
    return (
        json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    ).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: Any, where: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError as exc:
        raise BackupError(f"{where}：base64 内容无效") from exc


def unhex(text: Any, where: str, size: int = 32) -> bytes:
    try:
        value = bytes.fromhex(str(text))
    except ValueError as exc:
        raise BackupError(f"{where}：十六进制内容无效") from exc
    if len(value) != size:
        raise BackupError(f"{where}：应为 {size} 字节的哈希")
    return value


# ---------------------------------------------------------------------------- manifests


@dataclass(frozen=True)
class Manifest:
    number: int
    name: str
    sha256: str  # of the manifest file's bytes: what the next run chains to
    data: dict[str, Any]

    @property
    def logs(self) -> dict[str, dict[str, Any]]:
        logs: dict[str, dict[str, Any]] = self.data.get("logs", {})
        return logs

    def media_added(self) -> list[dict[str, Any]]:
        added: list[dict[str, Any]] = self.data.get("media", {}).get("added", [])
        return added


def manifest_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def read_manifests(dest: Destination) -> list[Manifest]:
    """Every run's manifest, oldest first, after checking that they form one unbroken chain
    (numbered 1, 2, … and each naming the SHA-256 of its predecessor)."""
    manifests: list[Manifest] = []
    for name in dest.names(RUNS):
        match = _RUN_NAME.fullmatch(name)
        if match is None:
            continue
        with dest.open(name) as stream:
            raw = stream.read()
        number = int(match.group(1))
        expected = len(manifests) + 1
        if number != expected:
            raise BackupError(
                f"备份的运行清单不连续：缺少第 {expected} 次运行的清单 {run_name(expected)}"
            )
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BackupError(f"运行清单 {name} 无法解析：{exc}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("run") != number:
            raise BackupError(f"运行清单 {name} 不是 {FORMAT} 格式的第 {number} 次运行清单")
        _check_shape(name, data)
        previous = data.get("previous")
        if manifests:
            before = manifests[-1]
            if not isinstance(previous, dict) or previous.get("sha256") != before.sha256:
                raise BackupError(
                    f"运行清单 {name} 记录的上一清单摘要与 {before.name} 的实际 SHA-256 "
                    f"（{before.sha256}）不符：运行清单被改动或替换"
                )
        elif previous is not None:
            raise BackupError(f"运行清单 {name} 是第 1 次运行，却指向上一清单")
        manifests.append(Manifest(number, name, hashlib.sha256(raw).hexdigest(), data))
    return manifests


_STATE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "origin": str,
    "public_key": str,
    "status": str,
    "from_size": int,
    "to_size": int,
    "root": str,
    "checkpoint": str,
    "consistency_proof": list,
    "segment": (dict, type(None)),
    "cosignatures_added": list,
    "timestamps_added": list,
}
_SEGMENT_FIELDS: dict[str, type] = {"name": str, "sha256": str}
_MEDIA_FIELDS: dict[str, type] = {"name": str, "sha256": str, "sm3": str, "size": int}


def _check_shape(name: str, data: dict[str, Any]) -> None:
    """The fields a restore relies on are there, with their types: a damaged manifest is named,
    not a traceback."""

    def need(value: Any, fields: dict[str, Any], where: str) -> None:
        if not isinstance(value, dict):
            raise BackupError(f"运行清单 {name} 格式错误：{where} 应为对象")
        for key, kind in fields.items():
            if not isinstance(value.get(key), kind) or isinstance(value.get(key), bool):
                raise BackupError(f"运行清单 {name} 格式错误：{where}.{key} 缺失或类型不对")

    logs = data.get("logs")
    if not isinstance(logs, dict):
        raise BackupError(f"运行清单 {name} 格式错误：缺少 logs")
    for agency, state in logs.items():
        check_agency(agency)
        need(state, _STATE_FIELDS, f"logs.{agency}")
        if state["segment"] is not None:
            need(state["segment"], _SEGMENT_FIELDS, f"logs.{agency}.segment")
    media = data.get("media")
    if not isinstance(media, dict) or not isinstance(media.get("added"), list):
        raise BackupError(f"运行清单 {name} 格式错误：缺少 media.added")
    for index, item in enumerate(media["added"]):
        need(item, _MEDIA_FIELDS, f"media.added[{index}]")
