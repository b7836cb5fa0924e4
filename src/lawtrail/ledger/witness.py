"""The supervisor's witness (依法治市办): cosigns an agency's checkpoint only when it is
consistent with the last one it cosigned (c2sp.org/tlog-cosignature, c2sp.org/tlog-witness).

The witness keeps its own state — per log origin, the last checkpoint it cosigned — in its own
directory, outside the agency's database. That is what makes a rollback visible: an agency
that restores an old database (or rewrites history and re-signs it with its own key) cannot
also roll back the supervisor's record of what it has already seen. `lawtrail verify
--witness-state DIR` compares the log with that record.

State file ``<dir>/<origin with "/" → "_">.json``::

    {"origin": …, "size": …, "root": base64, "log_key": <the log's verifier key, pinned at the
     first cosignature>, "checkpoint": <note text>, "cosigned_at": ISO time}
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lawtrail.core import merkle, notes, timeutil
from lawtrail.ledger.db import IntegrityViolation
from lawtrail.ledger.log import Ledger, LedgerError


class WitnessError(Exception):
    """The witness refuses to cosign; the message (Chinese) says why."""


@dataclass(frozen=True)
class WitnessedState:
    origin: str
    size: int
    root: bytes
    log_key: str
    cosigned_at: str


def _state_path(state_dir: Path, origin: str) -> Path:
    return state_dir / f"{origin.replace('/', '_')}.json"


def read_state(state_dir: Path, origin: str) -> WitnessedState | None:
    path = _state_path(state_dir, origin)
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WitnessError(f"见证方状态文件 {path} 无法读取：{exc}") from exc
    return WitnessedState(
        origin=data["origin"],
        size=int(data["size"]),
        root=base64.b64decode(data["root"]),
        log_key=data["log_key"],
        cosigned_at=data["cosigned_at"],
    )


def _write_state(state_dir: Path, state: WitnessedState, checkpoint_text: str) -> None:
    """Atomically replace the state file (write, fsync, rename, fsync the directory)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    data = {
        "origin": state.origin,
        "size": state.size,
        "root": base64.b64encode(state.root).decode("ascii"),
        "log_key": state.log_key,
        "checkpoint": checkpoint_text,
        "cosigned_at": state.cosigned_at,
    }
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=".state-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, _state_path(state_dir, state.origin))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(state_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class Witness:
    def __init__(self, signer: notes.CosignatureSigner, state_dir: Path) -> None:
        self.signer = signer
        self.state_dir = state_dir

    @property
    def name(self) -> str:
        return self.signer.name

    def cosign(self, ledger: Ledger, agency: str) -> WitnessedState:
        """Check the agency's latest checkpoint and cosign it; raise WitnessError if it is
        not signed by the log's pinned key, smaller than, or inconsistent with, what this
        witness cosigned before."""
        info = ledger.log_info(agency)
        latest = ledger.latest_checkpoint(agency)
        if info is None or latest is None:
            raise WitnessError(f"机关 {agency} 尚无可见证的检查点")
        previous = read_state(self.state_dir, info.origin)
        mine = {size: line for size, name, line in ledger.cosignatures(agency) if name == self.name}
        if previous is None and mine:
            # Its state is what lets a witness see a rollback or a fork; a witness that lost it
            # must not start again by trusting whatever the agency's database now says.
            raise WitnessError(
                f"见证方 {self.name} 已联署过日志 {info.origin} 大小为 {max(mine)} 的检查点，"
                f"但状态目录 {self.state_dir} 中没有该日志的状态（状态丢失或目录指定错误）："
                "没有状态就无法发现日志被回退或改写，拒绝联署。请指定原来的状态目录或从备份恢复；"
                "确属新设的见证方，请使用新的名称和密钥"
            )
        log_key = previous.log_key if previous else info.public_key
        if previous and previous.log_key != info.public_key:
            raise WitnessError(
                f"日志 {info.origin} 的签名公钥与见证方首次见证时记录的不同，拒绝联署"
            )
        try:
            note, checkpoint = latest.parsed()
            verifier = notes.Ed25519Verifier.from_verifier_key_string(log_key)
            if not notes.verify_note(note, [verifier]):
                raise WitnessError(f"日志 {info.origin} 的最新检查点没有该日志的有效签名")
        except notes.NoteError as exc:
            raise WitnessError(f"日志 {info.origin} 的最新检查点签名无效：{exc}") from exc
        if checkpoint.origin != info.origin:
            raise WitnessError(f"检查点的来源 {checkpoint.origin} 不是日志 {info.origin}")
        if previous is not None:
            self._check_consistent(ledger, agency, previous, checkpoint)
        if checkpoint.size in mine:
            # Cosigned already (the state was not written after the cosignature was stored, or
            # it was restored from an older copy): keep the stored one, store nothing twice.
            self._check_own(note, checkpoint.size, mine[checkpoint.size])
        elif previous is None or previous.size != checkpoint.size:
            try:
                ledger.add_cosignature(
                    agency, checkpoint.size, self.name, self._cosignature_line(note)
                )
            except IntegrityViolation as exc:
                raise WitnessError(
                    f"见证方 {self.name} 对日志 {info.origin} 大小为 {checkpoint.size} 的检查点"
                    f"的联署已由另一进程写入，本次未联署：{exc}"
                ) from exc
        state = WitnessedState(
            origin=info.origin,
            size=checkpoint.size,
            root=checkpoint.root,
            log_key=log_key,
            cosigned_at=timeutil.now().isoformat(),
        )
        _write_state(self.state_dir, state, note.text)
        return state

    def _check_consistent(
        self,
        ledger: Ledger,
        agency: str,
        previous: WitnessedState,
        checkpoint: notes.Checkpoint,
    ) -> None:
        if checkpoint.size < previous.size:
            raise WitnessError(
                f"日志 {previous.origin} 回退：见证方已联署大小 {previous.size} 的检查点，"
                f"现在最新检查点只有 {checkpoint.size}，拒绝联署"
            )
        if previous.size == 0:
            return
        try:
            proof = ledger.consistency_proof(agency, previous.size, checkpoint.size)
            merkle.verify_consistency(
                previous.size, checkpoint.size, previous.root, checkpoint.root, proof
            )
        except (merkle.ProofError, LedgerError, ValueError) as exc:
            raise WitnessError(
                f"日志 {previous.origin} 的检查点（大小 {checkpoint.size}）与见证方已联署的"
                f"检查点（大小 {previous.size}）不一致，拒绝联署：{exc}"
            ) from exc

    def _check_own(self, note: notes.Note, size: int, line: str) -> None:
        try:
            cosigned = notes.parse_note(note.text + "\n" + line)
            ok = bool(notes.verify_note(cosigned, [self.signer.verifier()]))
        except notes.NoteError:
            ok = False
        if not ok:
            raise WitnessError(
                f"数据库中已有以见证方 {self.name} 名义对大小为 {size} 的检查点的联署，"
                "但它不是本见证方的密钥所签（联署被改动，或有人冒用见证方名称），拒绝联署"
            )

    def _cosignature_line(self, note: notes.Note) -> str:
        payload = self.signer.sign(note.text_bytes)
        return notes.Signature(self.signer.name, self.signer.key_id, payload).to_line()
