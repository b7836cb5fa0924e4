"""`lawtrail restore`: bring an empty system back from a backup, checking everything it loads.

Nothing is written until the whole backup (up to the chosen run) has been checked:

1. the run manifests form an unbroken chain; each run's consistency proof links the previous
   run's signed root to its own (RFC 9162, checked offline) and each run's checkpoint is signed
   by the agency's key *pinned* by the caller (:class:`Trust`: ``--key``, matched to the log by
   the key's name = the log's origin). The backup's own ``.vkey`` must equal it — a backup
   re-signed under another key is a problem. Without a pinned key the backup's own key is used:
   the verdict is then 未验证, and a restore refuses unless ``allow_unpinned`` (it never installs
   the backup's key as trusted silently);
2. every segment has the SHA-256 its manifest recorded (a changed byte names the file), and
   replaying the segments recomputes every leaf hash, every checkpoint's root at its size and
   signature, each run's root, and every witness cosignature over its checkpoint (pinned
   witness keys, ``--witness-key``, first; the backup's copies for other witnesses);
3. every media file or document has the SHA-256, SM3 and size recorded when it was backed up;
4. coverage: every backed-up entry lies within a checkpoint a pinned witness cosigned, else the
   verdict is 未验证 naming the range (「第 120–123 条尚无见证联署」) unless
   ``allow_unwitnessed`` (:mod:`lawtrail.core.verdict`).

Then the media files go into the media store (``put`` re-hashes them, compared once more), the
public keys — the pinned ones; the backup's own witness keys only with ``allow_unpinned`` — (and
a backed-up signing key) into the key directory where absent, and each agency's log into the
database — log row, entries in sequence order (so the append-only triggers accept them), the
perfect-subtree hashes recomputed from the leaves, checkpoints, cosignatures and RFC 3161
tokens — replaying the same checks as it loads, in one transaction per agency.

The database must hold no ledger yet: a restore never merges into, or hides, an existing log.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lawtrail.backup.archive import (
    Manifest,
    check_agency,
    log_name,
    media_name,
    read_manifests,
    signing_key_name,
    unb64,
    unhex,
    vkey_name,
)
from lawtrail.backup.destination import Destination, digest_of
from lawtrail.backup.errors import BackupError, BackupUnavailable
from lawtrail.backup.take import MediaRef, add_refs, signed_checkpoint_problem
from lawtrail.core import merkle, notes, verdict
from lawtrail.evidence.hashing import Digests
from lawtrail.evidence.store import MediaStore
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.schema import has_schema, install

BATCH = 1000


@dataclass
class RestoredLog:
    agency: str
    origin: str
    size: int
    root: str
    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    timestamps: int = 0
    key_source: str = ""  # which key judged the signatures: the pinned one | the backup's own
    witnessed: int | None = None  # entries covered by a checkpoint a pinned witness cosigned


@dataclass(frozen=True)
class Trust:
    """What the caller pinned (``--key``, ``--witness-key``) and which verdict reasons it
    accepts (``--allow-unpinned``, ``--allow-unwitnessed``)."""

    keys: Sequence[notes.Ed25519Verifier] = ()
    witness_keys: Sequence[notes.CosignatureVerifier] = ()
    allow_unpinned: bool = False
    allow_unwitnessed: bool = False


@dataclass
class RestoreResult:
    run: int
    manifest: str
    run_time: str
    destination: str
    manifest_sha256: str = ""
    logs: list[RestoredLog] = field(default_factory=list)
    media: int = 0
    media_bytes: int = 0
    keys_written: list[str] = field(default_factory=list)
    missing_media: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked_only: bool = False
    verdict: verdict.Verdict = field(default_factory=verdict.Verdict)

    @property
    def ok(self) -> bool:
        """No problem found (the verdict may still be 未验证: see :attr:`status`)."""
        return not self.missing_media

    @property
    def status(self) -> str:
        """intact (完好) | not_verified (未验证) | problems (有问题)."""
        return self.verdict.status(not self.ok)


@dataclass
class _Segment:
    name: str
    sha256: str
    start: int
    end: int
    path: Path


@dataclass
class _LogPlan:
    agency: str
    origin: str
    public_key: str
    created_at: str
    size: int
    root: bytes
    verifier: notes.Ed25519Verifier
    segments: list[_Segment] = field(default_factory=list)
    roots: dict[int, bytes] = field(default_factory=dict)  # every run's (size → signed root)
    result: RestoredLog | None = None
    witnesses: dict[str, notes.CosignatureVerifier] = field(default_factory=dict)
    covering: set[str] = field(default_factory=set)  # witnesses whose cosignatures cover
    covered: int = 0  # the largest checkpoint size a covering witness cosigned


@dataclass
class _Plan:
    target: Manifest
    logs: list[_LogPlan]
    media: dict[str, dict[str, Any]]
    key_files: list[tuple[Path, bytes, int]]  # to write: path, content, mode
    required_media: dict[str, MediaRef]


# ---------------------------------------------------------------------------- planning


def _select(dest: Destination, at: int | None) -> list[Manifest]:
    manifests = read_manifests(dest)
    if not manifests:
        raise BackupUnavailable(f"{dest.url} 中没有任何备份运行清单（runs/ 为空）")
    if at is not None:
        if not 1 <= at <= len(manifests):
            raise BackupUnavailable(f"备份中没有第 {at} 次运行（共 {len(manifests)} 次）")
        manifests = manifests[:at]
    return manifests


def _read_small(dest: Destination, name: str) -> bytes:
    with dest.open(name) as stream:
        return stream.read()


def _key_files(
    dest: Destination,
    keys: KeyDirectory,
    origins: dict[str, str],
    result: RestoreResult,
    trust: Trust,
) -> tuple[dict[str, notes.Ed25519Verifier], dict[str, str], list[tuple[Path, bytes, int]]]:
    """The verifier to trust per agency (the pinned key; else, 未验证, the backup's own), where
    it came from, and the key files the key directory lacks."""
    verifiers: dict[str, notes.Ed25519Verifier] = {}
    sources: dict[str, str] = {}
    writes: list[tuple[Path, bytes, int]] = []
    planned: set[Path] = set()

    def plan(path: Path, data: bytes, mode: int, what: str) -> None:
        if path in planned:
            return
        planned.add(path)
        if path.exists():
            if path.read_bytes().strip() != data.strip():
                raise BackupError(
                    f"密钥目录中的{what} {path} 与备份中的不同：请确认密钥目录属于被恢复的系统"
                )
        else:
            writes.append((path, data, mode))

    for agency, origin in sorted(origins.items()):
        data = _read_small(dest, vkey_name(agency))
        try:
            backed_up = notes.Ed25519Verifier.from_verifier_key_string(data.decode().strip())
        except (notes.NoteError, UnicodeDecodeError) as exc:
            raise BackupError(f"备份文件 {vkey_name(agency)} 不是有效的公钥：{exc}") from exc
        pinned = [k for k in trust.keys if k.name == origin]
        if pinned:
            match = [k for k in pinned if k.verifier_key() == backed_up.verifier_key()]
            if not match:
                raise BackupError(
                    f"备份中机关 {agency} 的公钥 {backed_up.verifier_key()} 与固定的公钥 "
                    f"{pinned[0].verifier_key()} 不同：备份被换用其他密钥签名，或不属于该机关"
                )
            verifiers[agency], sources[agency] = match[0], "固定的公钥（--key）"
        else:
            verifiers[agency], sources[agency] = backed_up, "备份自带的公钥（未固定）"
            result.verdict.unpinned_key(
                f"未用 --key 固定机关 {agency} 的公钥：签名以备份自带的公钥核验", agency
            )
        path = keys.root / f"{agency}.vkey"
        plan(path, data, 0o644, "公钥")
        if dest.exists(signing_key_name(agency)):
            secret = _read_small(dest, signing_key_name(agency))
            try:
                signer = notes.Ed25519Signer.from_private_key_string(secret.decode().strip())
            except (notes.NoteError, UnicodeDecodeError) as exc:
                raise BackupError(f"备份文件 {signing_key_name(agency)} 不是有效的私钥") from exc
            if signer.verifier_key() != backed_up.verifier_key():
                raise BackupError(f"备份中 {agency} 的签名私钥与其公钥不配对")
            plan(keys.root / f"{agency}.key", secret, 0o600, "签名私钥")
    pinned_witnesses = {k.name: k for k in trust.witness_keys}
    for key in pinned_witnesses.values():
        path = keys.root / "witnesses" / f"{key.name.replace('/', '_')}.vkey"
        plan(path, (key.verifier_key() + "\n").encode(), 0o644, "见证方公钥")
    for name in dest.names("keys/witnesses"):
        if not name.endswith(".vkey"):
            continue
        data = _read_small(dest, name)
        try:
            own = notes.CosignatureVerifier.from_verifier_key_string(data.decode().strip())
        except (notes.NoteError, UnicodeDecodeError) as exc:
            raise BackupError(f"备份文件 {name} 不是有效的见证方公钥：{exc}") from exc
        if own.name in pinned_witnesses:
            continue  # the pinned key is installed (and judges its cosignatures)
        if trust.allow_unpinned:
            plan(keys.root / "witnesses" / Path(name).name, data, 0o644, "见证方公钥")
        else:
            result.notes.append(
                f"备份中见证方 {own.name} 的公钥未经 --witness-key 固定，不装入密钥目录"
            )
    result.keys_written = [str(path) for path, _, _ in writes]
    return verifiers, sources, writes


def _witness_keys(
    dest: Destination, trust: Trust, result: RestoreResult
) -> tuple[dict[str, notes.CosignatureVerifier], set[str]]:
    """The witness keys that judge cosignatures (pinned first, the backup's for the others)
    and the witnesses whose cosignatures cover entries (the pinned; relaxed, the backup's)."""
    own: dict[str, notes.CosignatureVerifier] = {}
    for name in dest.names("keys/witnesses"):
        if name.endswith(".vkey"):
            try:
                text = _read_small(dest, name).decode().strip()
                key = notes.CosignatureVerifier.from_verifier_key_string(text)
            except (notes.NoteError, UnicodeDecodeError) as exc:
                raise BackupError(f"备份文件 {name} 不是有效的见证方公钥：{exc}") from exc
            own[key.name] = key
    pinned = {k.name: k for k in trust.witness_keys}
    covering = set(pinned)
    if not pinned:
        if own and trust.allow_unpinned:
            covering = set(own)
            result.verdict.unpinned_key("见证联署以备份自带的见证方公钥核验（未固定）")
        else:
            result.verdict.unpinned_witness(
                "未用 --witness-key 固定见证方公钥：无法确认备份的记录已经监督机关的见证方联署"
            )
    return {**own, **pinned}, covering


def _log_plans(
    dest: Destination,
    manifests: list[Manifest],
    verifiers: dict[str, notes.Ed25519Verifier],
    workdir: Path,
    witnesses: tuple[dict[str, notes.CosignatureVerifier], set[str]],
) -> list[_LogPlan]:
    target = manifests[-1]
    plans: list[_LogPlan] = []
    for agency, state in sorted(target.logs.items()):
        check_agency(agency)
        if int(state["to_size"]) == 0:
            continue  # refused at its first run: nothing of it was ever backed up
        row = json.loads(_read_small(dest, log_name(agency)))
        if (row.get("origin"), row.get("public_key")) != (state["origin"], state["public_key"]):
            raise BackupError(f"备份文件 {log_name(agency)} 与运行清单中的日志来源或公钥不符")
        verifier = verifiers[agency]
        if verifier.verifier_key() != state["public_key"]:
            raise BackupError(
                f"机关 {agency} 的日志公钥 {state['public_key']} 与用于核验的公钥 "
                f"{verifier.verifier_key()} 不同"
            )
        plan = _LogPlan(
            agency,
            state["origin"],
            state["public_key"],
            row.get("created_at", ""),
            int(state["to_size"]),
            unhex(state["root"], f"运行清单 {target.name}"),
            verifier,
            witnesses=witnesses[0],
            covering=witnesses[1],
        )
        _check_runs(plan, manifests)
        for manifest in manifests:
            segment = (manifest.logs.get(agency) or {}).get("segment")
            if segment:
                state_m = manifest.logs[agency]
                plan.segments.append(
                    _Segment(
                        segment["name"],
                        segment["sha256"],
                        int(state_m["from_size"]),
                        int(state_m["to_size"]),
                        workdir / f"{len(plans)}-{len(plan.segments)}.jsonl",
                    )
                )
        plans.append(plan)
    return plans


def _check_runs(plan: _LogPlan, manifests: list[Manifest]) -> None:
    """Each run's signed checkpoint, and the consistency proof linking it to the run before."""
    size, root = 0, merkle.EMPTY_ROOT
    for manifest in manifests:
        state = manifest.logs.get(plan.agency)
        if state is None:
            continue
        where = f"运行清单 {manifest.name}（机关 {plan.agency}）"
        start, end = int(state["from_size"]), int(state["to_size"])
        new_root = unhex(state["root"], where)
        if start != size or end < start:
            raise BackupError(f"{where}：记录范围 {start}–{end} 与上一次备份的大小 {size} 不衔接")
        if end == 0:
            continue
        problem = signed_checkpoint_problem(
            state["checkpoint"], plan.origin, end, new_root, plan.verifier
        )
        if problem:
            raise BackupError(f"{where}：{problem}")
        proof = [unhex(h, where) for h in state.get("consistency_proof", [])]
        try:
            if start == end:
                if new_root != root:
                    raise merkle.ProofError("大小未变而根不同")
            elif start > 0:
                merkle.verify_consistency(start, end, root, new_root, proof)
        except merkle.ProofError as exc:
            raise BackupError(
                f"{where}：大小 {start} 到 {end} 的一致性证明无法核验（{exc}）"
            ) from exc
        plan.roots[end] = new_root
        size, root = end, new_root


def _fetch_segments(dest: Destination, plan: _LogPlan) -> None:
    """Copy each segment to the work directory, checking the SHA-256 its manifest recorded."""
    for segment in plan.segments:
        digest = hashlib.sha256()
        with dest.open(segment.name) as stream, open(segment.path, "wb") as out:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != segment.sha256:
            raise BackupError(
                f"备份文件 {segment.name} 已被改动：其 SHA-256 为 {digest.hexdigest()}，"
                f"运行清单记录的是 {segment.sha256}"
            )


Row = tuple[Any, ...]


def _replay(plan: _LogPlan, refs: dict[str, MediaRef]) -> Iterator[tuple[str, Row, list[Row]]]:
    """Every row of the agency's log from its segments, in the order the database accepts
    them, each checked: ("entry", row, subtree rows) | ("checkpoint" | "cosignature" |
    "timestamp", row, [])."""
    agency = plan.agency
    stack: list[tuple[int, bytes]] = []
    count = 0
    checkpoints: dict[int, str] = {}  # size -> signed note (what cosignatures are over)
    plan.covered = 0
    for segment in plan.segments:
        with open(segment.path, "rb") as fh:
            for number, raw in enumerate(fh, 1):
                where = f"备份文件 {segment.name} 第 {number} 行"
                try:
                    item = json.loads(raw)
                    kind = item["kind"]
                except (ValueError, KeyError, TypeError) as exc:
                    raise BackupError(f"{where}：无法解析") from exc
                try:
                    if number == 1:
                        if (kind, item.get("agency"), item.get("from"), item.get("to")) != (
                            "segment",
                            agency,
                            count,
                            segment.end,
                        ) or segment.start != count:
                            raise BackupError(
                                f"{where}：段头与运行清单不符或记录不衔接（应从第 {count} 条开始）"
                            )
                    elif kind == "entry":
                        yield "entry", *_entry(plan, item, count, stack, refs, where)
                        count += 1
                    elif kind == "checkpoint":
                        row = _checkpoint(plan, item, count, stack, where)
                        yield "checkpoint", row, []
                        checkpoints[count] = str(row[3])
                    elif kind == "cosignature":
                        if item["size"] not in checkpoints:
                            raise BackupError(
                                f"{where}：联署的检查点（大小 {item['size']}）不在备份中"
                            )
                        _cosignature(plan, item, checkpoints[item["size"]], where)
                        row = (
                            agency,
                            item["size"],
                            item["witness"],
                            item["cosigned_at"],
                            item["line"],
                        )
                        yield "cosignature", row, []
                    elif kind == "timestamp":
                        if item["size"] not in checkpoints:
                            raise BackupError(
                                f"{where}：时间戳的检查点（大小 {item['size']}）不在备份中"
                            )
                        token = unb64(item["token"], where)
                        yield (
                            "timestamp",
                            (agency, item["size"], token, item["gen_time"], item["tsa"]),
                            [],
                        )
                    else:
                        raise BackupError(f"{where}：未知的行类型 {kind!r}")
                except (KeyError, TypeError) as exc:
                    raise BackupError(f"{where}：缺少或有误的字段 {exc}") from exc
        if count != segment.end:
            raise BackupError(
                f"备份文件 {segment.name} 只含到第 {count} 条记录，应到 {segment.end} 条"
            )
        expected = plan.roots.get(count)
        if expected is not None and merkle.compact_range_root(stack) != expected:
            raise BackupError(
                f"备份文件 {segment.name} 之后重算的根与该次运行已签名的根不符（大小 {count}）"
            )
    if count != plan.size or merkle.compact_range_root(stack) != plan.root:
        raise BackupError(
            f"机关 {agency} 的备份记录（{count} 条）重算的根与运行清单中已签名的根不符"
        )


def _cosignature(plan: _LogPlan, item: dict[str, Any], note_text: str, where: str) -> None:
    """A witness's cosignature verifies over its checkpoint (by the witness's pinned key, else
    the backup's copy); a covering witness's extends what is witnessed."""
    witness = str(item["witness"])
    key = plan.witnesses.get(witness)
    if key is None:
        return  # no key for it anywhere: it cannot be judged, nor does it cover anything
    try:
        note = notes.parse_note(note_text)
        ok = bool(notes.verify_note(notes.parse_note(note.text + "\n" + item["line"]), [key]))
    except notes.NoteError:
        ok = False
    if not ok:
        raise BackupError(
            f"{where}：见证方 {witness} 对大小 {item['size']} 的检查点的联署无法验证"
            "（检查点在联署后被替换或重新签名）"
        )
    if witness in plan.covering:
        plan.covered = max(plan.covered, int(item["size"]))


def _witnessing(agency: str, kind: str, item: dict[str, Any], where: str) -> Row:
    if kind == "cosignature":
        return (agency, item["size"], item["witness"], item["cosigned_at"], item["line"])
    token = unb64(item["token"], where)
    return (agency, item["size"], token, item["gen_time"], item["tsa"])


def _entry(
    plan: _LogPlan,
    item: dict[str, Any],
    count: int,
    stack: list[tuple[int, bytes]],
    refs: dict[str, MediaRef],
    where: str,
) -> tuple[Row, list[Row]]:
    seq = item["seq"]
    if seq != count:
        raise BackupError(f"{where}：记录序号为 {seq}，应为 {count}")
    body = unb64(item["body"], where)
    leaf = unhex(item["leaf_hash"], where)
    if merkle.leaf_hash(body) != leaf:
        raise BackupError(f"{where}：第 {seq} 条记录的内容与其叶哈希不符（记录被改动）")
    try:
        data = json.loads(body)
        claims = (data["log"], data["index"], data["case_number"], data["type"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{where}：第 {seq} 条记录的内容无法解析") from exc
    if claims != (plan.origin, seq, item["case_number"], item["type"]):
        raise BackupError(f"{where}：第 {seq} 条记录的日志、序号、案号或类型与其内容不符")
    add_refs(refs, data, f"{plan.agency} 第 {seq} 条记录（案号 {item['case_number']}）")
    completed = merkle.compact_range_push(stack, leaf)
    row = (
        plan.agency,
        seq,
        item["recorded_at"],
        item["case_number"],
        item["type"],
        item["ref"],
        body,
        leaf,
    )
    # ledger_node's key: the tree size at which the subtree completed, and its level.
    return row, [(plan.agency, seq + 1, level, digest) for level, digest in completed]


def _checkpoint(
    plan: _LogPlan, item: dict[str, Any], count: int, stack: list[tuple[int, bytes]], where: str
) -> Row:
    size = item["size"]
    root = unhex(item["root"], where)
    if size != count:
        raise BackupError(f"{where}：检查点大小 {size} 与其位置（第 {count} 条之后）不符")
    problem = signed_checkpoint_problem(item["note"], plan.origin, size, root, plan.verifier)
    if problem is None and root != merkle.compact_range_root(stack):
        problem = f"大小为 {size} 的检查点与由备份记录重算的日志树不符"
    if problem:
        raise BackupError(f"{where}：{problem}")
    return (plan.agency, size, root, item["note"], item["signed_at"])


def _count(counts: RestoredLog, kind: str) -> None:
    if kind == "entry":
        counts.entries += 1
    elif kind == "checkpoint":
        counts.checkpoints += 1
    elif kind == "cosignature":
        counts.cosignatures += 1
    else:
        counts.timestamps += 1


def _check_media(dest: Destination, manifests: list[Manifest]) -> dict[str, dict[str, Any]]:
    media: dict[str, dict[str, Any]] = {}
    for manifest in manifests:
        for item in manifest.media_added():
            media[item["sha256"]] = item
    for sha, item in sorted(media.items()):
        name = media_name(sha)
        actual = digest_of(dest, name)
        if actual != Digests(item["sha256"], item["sm3"], item["size"]):
            raise BackupError(
                f"备份的媒体文件 {name} 已被改动：SHA-256 {actual.sha256}、SM3 {actual.sm3}、"
                f"{actual.size} 字节，备份时记录的是 SHA-256 {item['sha256']}、SM3 {item['sm3']}、"
                f"{item['size']} 字节"
            )
    return media


def _plan(
    dest: Destination,
    keys: KeyDirectory,
    at: int | None,
    workdir: Path,
    result: RestoreResult,
    trust: Trust,
) -> _Plan:
    manifests = _select(dest, at)
    target = manifests[-1]
    result.run, result.manifest = target.number, target.name
    result.manifest_sha256 = target.sha256
    result.run_time = str(target.data.get("finished_at", ""))
    agencies = sorted(a for a, s in target.logs.items() if int(s["to_size"]) > 0)
    for agency in agencies:
        check_agency(agency)
    origins = {a: str(target.logs[a]["origin"]) for a in agencies}
    verifiers, sources, key_files = _key_files(dest, keys, origins, result, trust)
    witnesses = _witness_keys(dest, trust, result)
    logs = _log_plans(dest, manifests, verifiers, workdir, witnesses)
    refs: dict[str, MediaRef] = {}
    for plan in logs:
        _fetch_segments(dest, plan)
        counts = RestoredLog(
            plan.agency, plan.origin, plan.size, plan.root.hex(), key_source=sources[plan.agency]
        )
        for kind, _, _ in _replay(plan, refs):
            _count(counts, kind)
        plan.result = counts
        if plan.covering:
            counts.witnessed = plan.covered
            if plan.covered < plan.size:
                result.verdict.unwitnessed(
                    plan.covered, plan.size - 1, plan.agency, where=f"机关 {plan.agency} "
                )
    media = _check_media(dest, manifests)
    required = {sha: ref for sha, ref in refs.items() if ref.required}
    result.missing_media = [
        f"sha256 {sha}（登记于 {ref.where}）"
        for sha, ref in sorted(required.items())
        if sha not in media
    ]
    return _Plan(target, logs, media, key_files, required)


# ---------------------------------------------------------------------------- restoring


def database_is_empty(db: Database) -> bool:
    if not has_schema(db):
        return True
    return db.one("SELECT 1 FROM ledger_log LIMIT 1") is None and (
        db.one("SELECT 1 FROM ledger_entry LIMIT 1") is None
    )


def _verdict(trust: Trust) -> verdict.Verdict:
    return verdict.Verdict(
        allow_unpinned=trust.allow_unpinned, allow_unwitnessed=trust.allow_unwitnessed
    )


def check_backup(
    dest: Destination,
    keys: KeyDirectory,
    *,
    at: int | None = None,
    workdir: Path | None = None,
    trust: Trust | None = None,
) -> RestoreResult:
    """Everything :func:`restore` checks, writing nothing (``lawtrail restore --check``).
    Segments are copied to ``workdir`` (default: a temporary directory) while checked.
    ``trust``: the pinned keys (none: the verdict is at best 未验证)."""
    trust = trust or Trust()
    result = RestoreResult(0, "", "", dest.url, checked_only=True, verdict=_verdict(trust))
    with _workdir(workdir) as work:
        plan = _plan(dest, keys, at, work, result, trust)
    result.logs = [p.result for p in plan.logs if p.result is not None]
    result.media = len(plan.media)
    result.media_bytes = sum(int(item["size"]) for item in plan.media.values())
    result.keys_written = []
    return result


@contextlib.contextmanager
def _workdir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="lawtrail-restore-") as work:
        yield Path(work)


def restore(
    db: Database,
    media_store: MediaStore,
    keys: KeyDirectory,
    dest: Destination,
    *,
    at: int | None = None,
    workdir: Path | None = None,
    origin_base: str | None = None,
    trust: Trust | None = None,
) -> RestoreResult:
    """Restore the backup's state after run `at` (default: the latest) into an empty system.
    Segments are copied to ``workdir`` (default: a temporary directory), checked, then loaded.
    ``trust``: the pinned keys; without a pinned agency key it refuses (BackupUnavailable)
    unless ``trust.allow_unpinned`` — the backup's own key is never installed silently."""
    with _workdir(workdir) as work:
        return _restore(db, media_store, keys, dest, at, work, origin_base, trust or Trust())


def _restore(
    db: Database,
    media_store: MediaStore,
    keys: KeyDirectory,
    dest: Destination,
    at: int | None,
    workdir: Path,
    origin_base: str | None,
    trust: Trust,
) -> RestoreResult:
    if not database_is_empty(db):
        count = db.one("SELECT COUNT(*) FROM ledger_log")
        raise BackupUnavailable(
            f"数据库 {_redact(db.url)} 中已有账本数据（{count[0] if count else 0} 个机关日志）："
            "恢复只能在没有任何账本记录的空系统上进行，不会合并或覆盖已有日志"
        )
    result = RestoreResult(0, "", "", dest.url, verdict=_verdict(trust))
    plan = _plan(dest, keys, at, workdir, result, trust)
    unpinned = [r for r in result.verdict.reasons if r.code == verdict.UNPINNED_KEY and r.agency]
    if unpinned:
        raise BackupUnavailable(
            "未固定机关 "
            + "、".join(r.agency for r in unpinned)
            + " 的公钥：恢复不会把备份自带的公钥装为可信公钥。请用 --key 指定向机关或监督机关"
            "索取的公钥（.vkey 文件或目录），或明确加 --allow-unpinned（恢复报告将注明）"
        )
    for sha, item in sorted(plan.media.items()):
        with dest.open(media_name(sha)) as stream:
            stored = media_store.put(stream)
        if (stored.sha256, stored.sm3, stored.size) != (item["sha256"], item["sm3"], item["size"]):
            raise BackupError(f"备份的媒体文件 {media_name(sha)} 存入媒体存储时摘要不符")
        result.media += 1
        result.media_bytes += stored.size
    for path, data, mode in plan.key_files:
        _write_key(path, data, mode)
    install(db)
    for log in plan.logs:
        _load(db, log)
        assert log.result is not None
        result.logs.append(log.result)
    unsigned = [log.agency for log in plan.logs if not (keys.root / f"{log.agency}.key").exists()]
    if unsigned:
        result.notes.append(
            f"备份中没有签名私钥（机关 {'、'.join(unsigned)}）：恢复的账本可以核验，但要继续记录，"
            f"须把各机关原来的签名私钥放回密钥目录 {keys.root}（<机关>.key）"
        )
    for log in plan.logs:
        if origin_base is not None and log.origin != f"{origin_base}/{log.agency}":
            result.notes.append(
                f"日志来源 {log.origin} 与本系统的 LAWTRAIL_LOG_ORIGIN_BASE（{origin_base}）不同："
                "已有日志保持原来源，新机关的日志将使用本系统的设置"
            )
    return result


def _load(db: Database, plan: _LogPlan) -> None:
    """One agency's log, in one transaction, replaying (and so re-checking) its segments."""
    refs: dict[str, MediaRef] = {}
    with db.write():
        db.execute(
            "INSERT INTO ledger_log (agency, origin, public_key, created_at) VALUES (?, ?, ?, ?)",
            (plan.agency, plan.origin, plan.public_key, plan.created_at),
        )
        entries: list[Row] = []
        nodes: list[Row] = []

        def flush() -> None:
            db.executemany(
                "INSERT INTO ledger_entry (agency, seq, recorded_at, case_number, type, ref, "
                "body, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                entries,
            )
            db.executemany(
                "INSERT INTO ledger_node (agency, size, level, hash) VALUES (?, ?, ?, ?)", nodes
            )
            entries.clear()
            nodes.clear()

        for kind, row, subtrees in _replay(plan, refs):
            if kind == "entry":
                entries.append(row)
                nodes.extend(subtrees)
                if len(entries) >= BATCH:
                    flush()
                continue
            flush()  # a checkpoint may only cover stored entries (the trigger checks)
            db.execute(_INSERT[kind], row)
        flush()


_INSERT = {
    "checkpoint": "INSERT INTO ledger_checkpoint (agency, size, root, note, signed_at) "
    "VALUES (?, ?, ?, ?, ?)",
    "cosignature": "INSERT INTO ledger_cosignature (agency, size, witness, cosigned_at, line) "
    "VALUES (?, ?, ?, ?, ?)",
    "timestamp": "INSERT INTO ledger_timestamp (agency, size, token, gen_time, tsa) "
    "VALUES (?, ?, ?, ?, ?)",
}


def _write_key(path: Path, data: bytes, mode: int) -> None:
    """A key file that did not exist (create-only: an existing key is never replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _redact(url: str) -> str:
    return re.sub(r"(//[^:/@]+:)[^@]*@", r"\1***@", url)


__all__ = ["RestoreResult", "RestoredLog", "Trust", "check_backup", "database_is_empty", "restore"]
