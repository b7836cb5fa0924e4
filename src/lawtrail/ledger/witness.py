"""The supervisor's witness (依法治市办): cosigns an agency's checkpoint only when it is signed
by the log key the witness was *configured* with and consistent with the last checkpoint it
cosigned (c2sp.org/tlog-cosignature, c2sp.org/tlog-witness).

The witness keeps its own state — per log origin, the last checkpoint it cosigned — in its own
directory, outside the agency's database. That is what makes a rollback visible: an agency
that restores an old database (or rewrites history and re-signs it with its own key) cannot
also roll back the supervisor's record of what it has already seen. `lawtrail verify
--witness-state DIR` compares the log with that record.

The checks live here once (:func:`verify_checkpoint`, :func:`check_consistency`) and serve both
witnesses: :class:`Witness` (the `lawtrail witness cosign` command, which reads a database it
is given) and the witness service (:mod:`lawtrail.witness_service`, which follows the logs over
HTTP and never opens an agency's database). A log key is never taken from the log itself
(no trust on first use): it is configured, and the state pins the key it was first cosigned
under, so a configuration that later names another key is refused too.

State file ``<dir>/<origin with "/" → "_">.json``::

    {"origin": …, "size": …, "root": base64, "log_key": <the configured log verifier key>,
     "checkpoint": <note text>, "cosigned_at": ISO time, "cosignature": <the line it made>}
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lawtrail import filemodes
from lawtrail.core import merkle, notes, timeutil
from lawtrail.ledger.db import IntegrityViolation
from lawtrail.ledger.log import Ledger, LedgerError

# What a refusal means (WitnessError.kind); the witness service raises alerts with these.
BAD_SIGNATURE = "bad_signature"
WRONG_KEY = "wrong_key"
WRONG_ORIGIN = "wrong_origin"
MALFORMED = "malformed"
ROLLBACK = "rollback"
FORK = "fork"
STATE_LOST = "state_lost"
REFUSED = "refused"


class WitnessError(Exception):
    """The witness refuses to cosign; the message (Chinese) says why, ``kind`` what it is."""

    def __init__(self, message: str, kind: str = REFUSED) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class WitnessedState:
    origin: str
    size: int
    root: bytes
    log_key: str
    cosigned_at: str
    cosignature: str = ""


def _state_path(state_dir: Path, origin: str) -> Path:
    return state_dir / f"{origin.replace('/', '_')}.json"


def read_state(state_dir: Path, origin: str) -> WitnessedState | None:
    path = _state_path(state_dir, origin)
    try:
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return WitnessedState(
            origin=data["origin"],
            size=int(data["size"]),
            root=base64.b64decode(data["root"]),
            log_key=data["log_key"],
            cosigned_at=data["cosigned_at"],
            cosignature=str(data.get("cosignature", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WitnessError(f"见证方状态文件 {path} 无法读取：{exc}") from exc


def write_state(state_dir: Path, state: WitnessedState, checkpoint_text: str) -> None:
    """Atomically replace the state file (write, fsync, rename, fsync the directory)."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "origin": state.origin,
        "size": state.size,
        "root": base64.b64encode(state.root).decode("ascii"),
        "log_key": state.log_key,
        "checkpoint": checkpoint_text,
        "cosigned_at": state.cosigned_at,
        "cosignature": state.cosignature,
    }
    text = json.dumps(data, ensure_ascii=False, indent=2)
    filemodes.write_atomically(_state_path(state_dir, state.origin), text.encode("utf-8"))


# ------------------------------------------------------------------ the checks, shared


def log_verifier(origin: str, log_key: str) -> notes.Ed25519Verifier:
    """The configured verifier key of a log; it must be named after the log's origin."""
    try:
        verifier = notes.Ed25519Verifier.from_verifier_key_string(log_key.strip())
    except notes.NoteError as exc:
        raise WitnessError(f"日志 {origin} 配置的公钥无效：{exc}", WRONG_KEY) from exc
    if verifier.name != origin:
        raise WitnessError(f"日志 {origin} 配置的公钥属于 {verifier.name}，不是该日志", WRONG_KEY)
    return verifier


def verify_checkpoint(
    origin: str, log_key: str, note_text: str
) -> tuple[notes.Note, notes.Checkpoint]:
    """Parse a checkpoint note and check its origin and its signature under the *configured*
    log key; WitnessError (with its kind) otherwise."""
    verifier = log_verifier(origin, log_key)
    try:
        note = notes.parse_note(note_text)
        checkpoint = notes.Checkpoint.from_text(note.text)
    except notes.NoteError as exc:
        raise WitnessError(f"日志 {origin} 的检查点格式无效：{exc}", MALFORMED) from exc
    if checkpoint.origin != origin:
        raise WitnessError(
            f"检查点的来源 {checkpoint.origin} 不是日志 {origin}（来源不符），拒绝联署",
            WRONG_ORIGIN,
        )
    try:
        verified = notes.verify_note(note, [verifier])
    except notes.NoteError as exc:
        raise WitnessError(
            f"日志 {origin} 大小为 {checkpoint.size} 的检查点签名无效（{exc}），拒绝联署",
            BAD_SIGNATURE,
        ) from exc
    if not verified:
        others = [
            s for s in note.signatures if s.name == verifier.name and s.key_id != verifier.key_id
        ]
        if others:
            raise WitnessError(
                f"日志 {origin} 的检查点由另一把密钥（{others[0].key}）签名，不是见证方配置的"
                f"日志公钥（{verifier.name}+{verifier.key_id:08x}），拒绝联署",
                WRONG_KEY,
            )
        raise WitnessError(
            f"日志 {origin} 大小为 {checkpoint.size} 的检查点没有该日志公钥的有效签名，拒绝联署",
            BAD_SIGNATURE,
        )
    return note, checkpoint


def check_pinned_key(previous: WitnessedState | None, origin: str, log_key: str) -> None:
    if previous is not None and previous.log_key.strip() != log_key.strip():
        raise WitnessError(
            f"日志 {origin} 的签名公钥与见证方此前联署时记录的公钥不同，拒绝联署"
            "（日志密钥被更换：须由监督机关核实后重新配置见证方）",
            WRONG_KEY,
        )


def check_consistency(
    previous: WitnessedState | None, checkpoint: notes.Checkpoint, proof: Sequence[bytes]
) -> None:
    """The checkpoint extends what the witness cosigned: not smaller, same root at the same
    size, and an RFC 9162 consistency proof from the old size (none needed from 0)."""
    if previous is None:
        return
    if checkpoint.size < previous.size:
        raise WitnessError(
            f"日志 {previous.origin} 回退：见证方已联署大小 {previous.size} 的检查点，"
            f"现在的检查点只有 {checkpoint.size}，拒绝联署",
            ROLLBACK,
        )
    if checkpoint.size == previous.size:
        if checkpoint.root != previous.root:
            raise WitnessError(
                f"日志 {previous.origin} 分叉：大小 {checkpoint.size} 的检查点与见证方已联署的"
                "同样大小的检查点根哈希不一致，拒绝联署",
                FORK,
            )
        return
    if previous.size == 0:
        return
    try:
        merkle.verify_consistency(
            previous.size, checkpoint.size, previous.root, checkpoint.root, list(proof)
        )
    except (merkle.ProofError, ValueError) as exc:
        raise WitnessError(
            f"日志 {previous.origin} 的检查点（大小 {checkpoint.size}）与见证方已联署的"
            f"检查点（大小 {previous.size}）不一致（分叉或历史被改写），拒绝联署：{exc}",
            FORK,
        ) from exc


def cosignature_line(signer: notes.CosignatureSigner, note: notes.Note) -> str:
    payload = signer.sign(note.text_bytes)
    return notes.Signature(signer.name, signer.key_id, payload).to_line()


def is_own_line(signer: notes.CosignatureSigner, note: notes.Note, line: str) -> bool:
    """Whether ``line`` is a valid cosignature of this witness's key over ``note``."""
    try:
        cosigned = notes.parse_note(note.text + "\n" + line)
        return bool(notes.verify_note(cosigned, [signer.verifier()]))
    except notes.NoteError:
        return False


def own_lines(signer: notes.CosignatureSigner, note: notes.Note) -> list[notes.Signature]:
    """The signature lines on ``note`` that carry this witness's name and key ID."""
    return [s for s in note.signatures if (s.name, s.key_id) == (signer.name, signer.key_id)]


# ------------------------------------------------------------------ `lawtrail witness cosign`


class Witness:
    """The witness as a command: reads the log from a database it is given.

    ``log_keys`` (origin → verifier key) is the witness's configuration; a log not configured
    there is judged by the key directory's ``<agency>.vkey`` (the file `lawtrail verify`
    trusts), never by the key the database stores.
    """

    def __init__(
        self,
        signer: notes.CosignatureSigner,
        state_dir: Path,
        log_keys: Mapping[str, str] | None = None,
    ) -> None:
        self.signer = signer
        self.state_dir = state_dir
        self.log_keys = dict(log_keys or {})

    @property
    def name(self) -> str:
        return self.signer.name

    def cosign(self, ledger: Ledger, agency: str) -> WitnessedState:
        """Check the agency's latest checkpoint and cosign it; raise WitnessError if it is
        not signed by the configured log key, smaller than, or inconsistent with, what this
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
                "确属新设的见证方，请使用新的名称和密钥",
                STATE_LOST,
            )
        log_key = self.log_keys.get(info.origin) or ledger.keys.verifier(agency).verifier_key()
        check_pinned_key(previous, info.origin, log_key)
        note, checkpoint = verify_checkpoint(info.origin, log_key, latest.note)
        proof: list[bytes] = []
        if previous is not None and 0 < previous.size < checkpoint.size:
            try:
                proof = ledger.consistency_proof(agency, previous.size, checkpoint.size)
            except (LedgerError, ValueError) as exc:
                raise WitnessError(
                    f"日志 {info.origin} 的检查点（大小 {checkpoint.size}）与见证方已联署的"
                    f"检查点（大小 {previous.size}）不一致，拒绝联署：{exc}",
                    FORK,
                ) from exc
        check_consistency(previous, checkpoint, proof)
        line = previous.cosignature if previous and previous.size == checkpoint.size else ""
        if checkpoint.size in mine:
            # Cosigned already (the state was not written after the cosignature was stored, or
            # it was restored from an older copy): keep the stored one, store nothing twice.
            if not is_own_line(self.signer, note, mine[checkpoint.size]):
                raise WitnessError(
                    f"数据库中已有以见证方 {self.name} 名义对大小为 {checkpoint.size} 的检查点"
                    "的联署，但它不是本见证方的密钥所签（联署被改动，或有人冒用见证方名称），"
                    "拒绝联署"
                )
            line = mine[checkpoint.size]
        elif previous is None or previous.size != checkpoint.size:
            line = cosignature_line(self.signer, note)
            try:
                ledger.add_cosignature(agency, checkpoint.size, self.name, line)
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
            cosignature=line,
        )
        write_state(self.state_dir, state, note.text)
        return state
