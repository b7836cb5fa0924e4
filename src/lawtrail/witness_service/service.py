"""The witness service: one code path that checks and cosigns a checkpoint (:meth:`submit`),
used by both the follower (which pulls each log's checkpoint and proof over HTTP) and the C2SP
tlog-witness ``add-checkpoint`` endpoint (where a log pushes them), and the alerts.

For each log the check and the state update happen under one lock, so two submissions can
never roll the witness's state back (c2sp.org/tlog-witness: "checking the old size against the
latest checkpoint and persisting the new checkpoint must be performed atomically").
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from lawtrail.core import notes, timeutil
from lawtrail.ledger.witness import (
    BAD_SIGNATURE,
    FORK,
    MALFORMED,
    ROLLBACK,
    STATE_LOST,
    WRONG_KEY,
    WRONG_ORIGIN,
    WitnessedState,
    WitnessError,
    check_consistency,
    check_pinned_key,
    cosignature_line,
    is_own_line,
    own_lines,
    read_state,
    verify_checkpoint,
    write_state,
)
from lawtrail.witness_service import client
from lawtrail.witness_service.alerts import AlertStore
from lawtrail.witness_service.settings import LogConfig, WitnessConfig

MAX_PROOF_LINES = 63


class Refused(Exception):
    """A submission the witness does not cosign: HTTP status, body and content type."""

    def __init__(
        self, status: int, message: str, *, kind: str = "", content_type: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.content_type = content_type or "text/plain; charset=utf-8"


@dataclass
class Following:
    """What the follower knows of one log (in memory; the cosigned state is on disk)."""

    last_poll: str | None = None
    last_ok: str | None = None
    error: str | None = None
    unreachable_since: float | None = None
    size: int | None = None
    checkpoint_size: int | None = None
    behind: tuple[int, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """The tlog-witness request body: ``old N``, proof lines (base64), a blank line, the
    checkpoint note. Refused(400) when malformed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"请求不是 UTF-8：{exc}") from exc
    head, sep, note_text = text.partition("\n\n")
    if not sep:
        raise Refused(400, "请求缺少分隔证明与检查点的空行")
    lines = head.split("\n")
    first = lines[0]
    if not first.startswith("old ") or not first[4:].isdigit():
        raise Refused(400, "请求的第一行应为 “old 大小”")
    size_text = first[4:]
    if size_text != "0" and size_text.startswith("0"):
        raise Refused(400, "old 大小不能有前导零")
    proof_lines = lines[1:]
    if len(proof_lines) > MAX_PROOF_LINES:
        raise Refused(400, f"一致性证明超过 {MAX_PROOF_LINES} 行")
    proof = []
    for number, line in enumerate(proof_lines, start=1):
        try:
            digest = base64.b64decode(line.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error) as exc:
            raise Refused(400, f"一致性证明第 {number} 行不是 base64") from exc
        if len(digest) != 32:
            raise Refused(400, f"一致性证明第 {number} 行不是 32 字节的哈希")
        proof.append(digest)
    return int(size_text), proof, note_text


def _origin_of(note_text: str) -> str:
    return note_text.split("\n", 1)[0]


class WitnessService:
    def __init__(self, config: WitnessConfig) -> None:
        self.config = config
        self.signer = config.signer()
        self.state_dir = config.state_dir
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.alerts = AlertStore(self.state_dir / "alerts.sqlite3")
        self._locks = {log.origin: threading.Lock() for log in config.logs}
        self.following = {log.origin: Following() for log in config.logs}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def name(self) -> str:
        return self.signer.name

    def alert(self, origin: str, kind: str, message: str) -> None:
        self.alerts.raise_alert(origin, kind, message)

    # ------------------------------------------------------------------ the one check

    def submit(
        self, log: LogConfig, old: int, proof: list[bytes], note_text: str, *, pulled: bool
    ) -> tuple[notes.Checkpoint, str]:
        """Check a checkpoint (signature under the configured key, origin, no rollback,
        consistency from ``old``, the witness's latest cosigned size) and cosign it.

        ``pulled``: the checkpoint is what the log serves now (the follower), so a bad
        signature or a smaller size is the log's own doing and raises an alert; a pushed one
        (anyone may POST) raises alerts only once its signature verified."""
        try:
            note, checkpoint = verify_checkpoint(log.origin, log.key, note_text)
        except WitnessError as exc:
            if pulled:
                self.alert(log.origin, exc.kind, str(exc))
            status = 400 if exc.kind == MALFORMED else 403
            raise Refused(status, str(exc), kind=exc.kind) from exc
        if not pulled and old > checkpoint.size:
            raise Refused(400, f"old {old} 大于检查点大小 {checkpoint.size}")
        with self._locks[log.origin]:
            try:
                previous = read_state(self.state_dir, log.origin)
                check_pinned_key(previous, log.origin, log.key)
            except WitnessError as exc:
                self.alert(log.origin, exc.kind if exc.kind == WRONG_KEY else STATE_LOST, str(exc))
                raise Refused(403, str(exc), kind=exc.kind) from exc
            if previous is None and own_lines(self.signer, note):
                message = (
                    f"日志 {log.origin} 的检查点带有本见证方 {self.name} 的联署，但状态目录 "
                    f"{self.state_dir} 中没有该日志的状态（状态丢失或目录指定错误）：没有状态就"
                    "无法发现回退或改写，拒绝联署。请恢复原来的状态目录"
                )
                self.alert(log.origin, STATE_LOST, message)
                raise Refused(403, message, kind=STATE_LOST)
            current = previous.size if previous else 0
            if not pulled and old != current:
                raise Refused(409, f"{current}\n", kind="conflict", content_type="text/x.tlog.size")
            try:
                check_consistency(previous, checkpoint, proof if current else [])
            except WitnessError as exc:
                self.alert(log.origin, exc.kind, str(exc))
                status = 409 if exc.kind == ROLLBACK or checkpoint.size == current else 422
                raise Refused(status, str(exc), kind=exc.kind) from exc
            if (
                previous is not None
                and previous.size == checkpoint.size
                and previous.cosignature
                and is_own_line(self.signer, note, previous.cosignature)
            ):
                return checkpoint, previous.cosignature
            line = cosignature_line(self.signer, note)
            state = WitnessedState(
                origin=log.origin,
                size=checkpoint.size,
                root=checkpoint.root,
                log_key=log.key,
                cosigned_at=timeutil.now().isoformat(timespec="seconds"),
                cosignature=line,
            )
            write_state(self.state_dir, state, note.text)
            return checkpoint, line

    def add_checkpoint(self, body: bytes) -> str:
        """C2SP tlog-witness ``add-checkpoint``: the cosignature line(s), or Refused."""
        old, proof, note_text = parse_add_checkpoint(body)
        if old == 0 and proof:
            raise Refused(400, "old 为 0 时一致性证明必须为空")
        log = self.config.log(_origin_of(note_text))
        if log is None:
            raise Refused(404, f"见证方未配置日志 {_origin_of(note_text)}", kind="unknown_log")
        _, line = self.submit(log, old, proof, note_text, pulled=False)
        return line

    # ------------------------------------------------------------------ following

    def start(self) -> None:
        for log in self.config.logs:
            if log.url is None:
                continue
            thread = threading.Thread(
                target=self._follow, args=(log,), name=f"follow {log.origin}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self.alerts.close()

    def _follow(self, log: LogConfig) -> None:
        while not self._stop.is_set():
            try:
                self.poll(log)
            except Exception as exc:  # a follower thread must survive anything one poll does
                self.following[log.origin].error = f"内部错误：{exc!r}"
            self._stop.wait(self.config.poll_interval)

    def _unreachable(self, log: LogConfig, error: str) -> None:
        state = self.following[log.origin]
        state.error = error
        now = time.monotonic()
        if state.unreachable_since is None:
            state.unreachable_since = now
        elif now - state.unreachable_since >= self.config.unreachable_after:
            seconds = int(now - state.unreachable_since)
            self.alert(
                log.origin,
                "unreachable",
                f"日志 {log.origin}（{log.url}）已 {seconds} 秒无法访问：{error}",
            )

    def poll(self, log: LogConfig) -> None:
        """One round for one log: read its status and checkpoint, cosign what is new, hand
        the cosignature back to the log, and watch that it keeps signing what it sequenced."""
        following = self.following[log.origin]
        following.last_poll = timeutil.now().isoformat(timespec="seconds")
        timeout = self.config.http_timeout
        try:
            status = client.get_json(log.endpoint("status"), timeout=timeout)
            size = int(status["size"])
            checkpoint_size = int(status["checkpoint_size"])
            previous = read_state(self.state_dir, log.origin)
            if self._unchanged(status, previous):
                note_text = ""
            else:
                note_text = client.request(log.endpoint("checkpoint"), timeout=timeout)
        except WitnessError as exc:
            self.alert(log.origin, exc.kind, str(exc))
            return
        except (client.FetchError, KeyError, TypeError, ValueError) as exc:
            self._unreachable(log, str(exc))
            return
        following.unreachable_since = None
        following.error = None
        following.last_ok = following.last_poll
        following.size, following.checkpoint_size = size, checkpoint_size
        self.alerts.resolve_kind(log.origin, "unreachable")
        self._watch_stall(log, size, checkpoint_size)
        if not note_text:
            return  # the checkpoint it cosigned, and the log holds the cosignature

        try:
            _, checkpoint = verify_checkpoint(log.origin, log.key, note_text)
        except WitnessError as exc:
            self.alert(log.origin, exc.kind, str(exc))
            return
        if previous is None:
            cosigned = status.get("cosignatures") or {}
            if isinstance(cosigned, dict) and int(cosigned.get(self.name) or 0) > 0:
                self.alert(
                    log.origin,
                    STATE_LOST,
                    f"日志 {log.origin} 已存有本见证方 {self.name} 对大小 "
                    f"{cosigned[self.name]} 的检查点的联署，但状态目录 {self.state_dir} 中没有"
                    "该日志的状态（状态丢失或目录指定错误），拒绝联署。请恢复原来的状态目录",
                )
                return
        proof: list[bytes] = []
        if previous is not None and 0 < previous.size < checkpoint.size:
            query = urllib.parse.urlencode({"old": previous.size, "new": checkpoint.size})
            try:
                answer = client.get_json(
                    f"{log.endpoint('proof/consistency')}?{query}", timeout=timeout
                )
                proof = [base64.b64decode(item, validate=True) for item in answer["proof"]]
            except client.FetchError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    self.alert(
                        log.origin,
                        FORK,
                        f"日志 {log.origin} 无法给出从见证方已联署的大小 {previous.size} 到 "
                        f"{checkpoint.size} 的一致性证明（{exc}）：日志可能被回退或改写",
                    )
                else:
                    self._unreachable(log, str(exc))
                return
            except (KeyError, TypeError, ValueError, binascii.Error) as exc:
                self.alert(log.origin, FORK, f"日志 {log.origin} 的一致性证明格式无效：{exc}")
                return
        try:
            _, line = self.submit(
                log, previous.size if previous else 0, proof, note_text, pulled=True
            )
        except Refused:
            return  # the alert is raised
        served = note_text.splitlines(keepends=True)
        if line not in served:
            try:
                client.request(log.endpoint("cosignature"), data=(note_text + line).encode())
            except client.FetchError as exc:
                following.error = f"联署未能交回日志：{exc}"

    def _unchanged(self, status: dict[str, Any], previous: WitnessedState | None) -> bool:
        """The log's status says its latest checkpoint is the one this witness cosigned and
        that it holds the cosignature: nothing to fetch (half the requests per poll)."""
        if previous is None:
            return False
        cosigned = status.get("cosignatures")
        return (
            int(status["checkpoint_size"]) == previous.size
            and status.get("checkpoint_root") == base64.b64encode(previous.root).decode()
            and isinstance(cosigned, dict)
            and cosigned.get(self.name) == previous.size
        )

    def _watch_stall(self, log: LogConfig, size: int, checkpoint_size: int) -> None:
        following = self.following[log.origin]
        now = time.monotonic()
        if size <= checkpoint_size:
            following.behind = None
            self.alerts.resolve_kind(log.origin, "stalled")
            return
        if following.behind is None or checkpoint_size >= following.behind[0]:
            following.behind = (size, now)
            return
        waited = now - following.behind[1]
        if waited >= self.config.stall_after:
            self.alert(
                log.origin,
                "stalled",
                f"日志 {log.origin} 已登记 {size} 条记录，但最新的签名检查点只覆盖 "
                f"{checkpoint_size} 条，已有记录超过 {int(waited)} 秒未被签名检查点覆盖"
                "（日志停止推进）",
            )

    # ------------------------------------------------------------------ reading

    def status(self) -> dict[str, Any]:
        logs = []
        open_alerts = self.alerts.alerts(unresolved_only=True)
        for log in self.config.logs:
            try:
                state = read_state(self.state_dir, log.origin)
            except WitnessError:
                state = None
            following = self.following[log.origin]
            logs.append(
                {
                    "origin": log.origin,
                    "url": log.url,
                    "cosigned_size": state.size if state else None,
                    "cosigned_root": base64.b64encode(state.root).decode() if state else None,
                    "cosigned_at": state.cosigned_at if state else None,
                    "log_size": following.size,
                    "checkpoint_size": following.checkpoint_size,
                    "last_poll": following.last_poll,
                    "last_ok": following.last_ok,
                    "reachable": following.error is None and following.last_ok is not None,
                    "error": following.error,
                    "unresolved_alerts": sum(1 for a in open_alerts if a.origin == log.origin),
                }
            )
        return {
            "witness": self.name,
            "witness_key": self.signer.verifier_key(),
            "time": timeutil.now().isoformat(timespec="seconds"),
            "logs": logs,
        }


__all__ = [
    "BAD_SIGNATURE",
    "WRONG_ORIGIN",
    "Refused",
    "WitnessService",
    "parse_add_checkpoint",
]
