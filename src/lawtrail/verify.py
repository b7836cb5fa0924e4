"""`lawtrail-verify PACKAGE`: check a case's archive package offline (issue #5).

For courts, supervisors and archivists who do not have the agency's system: no database, no
Django, no network — the standard library and ``cryptography`` (Ed25519) only, plus four
modules of LawTrail that themselves use nothing else (the RFC 9162 tree math, the C2SP note
format, the case's completeness commitment, the streaming hasher). A test runs it with every
other import blocked.

What it checks (the package layout is described in ``lawtrail.archive``):

1. the bag: every file each manifest lists is there and has its digest (SHA-256, SHA-512,
   and the SM3 tag manifest); no file is there that no manifest lists. A file whose digest
   disagrees with every manifest is *modified*; a manifest that disagrees with the others
   (and with the file) is itself modified;
2. ``bag-signature.txt``: signed by the agency's key over the manifests and tag files;
3. the ledger: the checkpoint is signed by the agency's key; every entry file hashes to a leaf
   whose inclusion proof leads to the checkpoint's root, and names its log, position, agency
   and case; cosigned checkpoints carry valid witness cosignatures and are consistent with it;
4. ``case.json`` says what the entries say, record by record; the package holds every entry
   of the case the latest archiving (``case_file`` record) committed to, and no other before it
   (``lawtrail.core.completeness``): an omitted or added entry is named by its sequence number;
   entries after the latest archiving are covered by their inclusion proofs only (said so);
5. every media file and generated document has the SHA-256, SM3 and size its entry records.

Keys are *pinned* by the person verifying (:mod:`lawtrail.core.verdict`): ``--key FILE.vkey``
(or a directory of them; the key named for the package's log is used) obtained from the agency
or its supervisor, and ``--witness-key`` for the supervisor's witness. The keys inside the
package are the forger's to choose, so they are never pinned. The verdict is

- 完好 (intact): no problem, the agency key pinned, and every entry of the package covered by a
  checkpoint a pinned witness cosigned (``data/ledger/cosigned-<n>.txt``, proven consistent
  with the package's checkpoint);
- 未验证 (not verified): no problem found, but no key pinned (the package's own key was used,
  which proves only that the package is consistent in itself), no witness key pinned, or
  entries beyond the latest checkpoint a pinned witness cosigned (named: 「第 120–123 条尚无见证
  联署」). ``--allow-unpinned`` / ``--allow-unwitnessed`` accept those, and the report says so;
- 有问题 (problems): each names its file.

Exit codes: 0 intact, 1 problems found (each names its file), 2 the package cannot be read,
3 not verified.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from lawtrail.core import completeness, merkle, notes, verdict
from lawtrail.evidence.hashing import hash_stream

# The key of a header change's block in a case header entry (lawtrail.core.header.CHANGE_KEY,
# spelled here so that the verifier imports no more of the core than it needs).
HEADER_CHANGE_KEY = "change"

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2
EXIT_NOT_VERIFIED = 3
HASH_FILES_AT_ONCE = 2  # files hashed in parallel (each already hashes its digests in threads)
BAG_NOTE_HEADER = "lawtrail-bag/1"  # the first line of the note lawtrail.archive signs
SIGNATURE_FILE = "bag-signature.txt"

KIND_LABELS = {
    "modified": "修改",
    "missing": "缺失",
    "added": "新增",
    "record_altered": "记录被改",
    "proof_failed": "证明失败",
    "signature_invalid": "签名无效",
    "manifest_invalid": "清单异常",
}


class PackageError(Exception):
    """The package cannot be verified at all (not a directory, no bag)."""


class KeyInputError(ValueError):
    """A pinned key given on the command line cannot be read (Chinese message naming the file)."""


def read_key_paths(paths: Sequence[str], what: str) -> list[tuple[str, str]]:
    """The key texts of ``--key`` / ``--witness-key`` arguments: each a ``.vkey`` file or a
    directory, whose ``*.vkey`` files (not its subdirectories) are read. (path, text) pairs."""
    found: list[tuple[str, str]] = []
    for given in paths:
        path = Path(given)
        files = sorted(path.glob("*.vkey")) if path.is_dir() else [path]
        if path.is_dir() and not files:
            raise KeyInputError(f"{what}目录 {given} 中没有 .vkey 文件")
        for file in files:
            try:
                found.append((str(file), file.read_text("utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise KeyInputError(f"无法读取{what}文件 {file}：{exc}") from exc
    return found


def load_log_keys(paths: Sequence[str]) -> list[notes.Ed25519Verifier]:
    """The pinned log (agency) keys of ``--key`` arguments; each names the log it signs."""
    keys = []
    for file, text in read_key_paths(paths, "机关公钥"):
        try:
            keys.append(notes.Ed25519Verifier.from_verifier_key_string(text.strip()))
        except notes.NoteError as exc:
            raise KeyInputError(f"机关公钥文件 {file} 不是有效的检查点公钥：{exc}") from exc
    return keys


def load_witness_keys(paths: Sequence[str]) -> list[notes.CosignatureVerifier]:
    """The pinned witness keys of ``--witness-key`` arguments."""
    keys = []
    for file, text in read_key_paths(paths, "见证方公钥"):
        try:
            keys.append(notes.CosignatureVerifier.from_verifier_key_string(text.strip()))
        except notes.NoteError as exc:
            raise KeyInputError(f"见证方公钥文件 {file} 不是有效的联署公钥：{exc}") from exc
    return keys


def add_trust_arguments(parser: argparse.ArgumentParser) -> None:
    """The pinned-key options every verifier takes (one design for all three)."""
    parser.add_argument(
        "--key",
        metavar="FILE.vkey|DIR",
        action="append",
        default=[],
        help="固定的机关检查点公钥：向机关或监督机关索取的 .vkey 文件，或存放这些文件的目录"
        "（可重复；按公钥名称对应日志）。被核验系统自带的公钥不算固定",
    )
    parser.add_argument(
        "--witness-key",
        metavar="FILE.vkey|DIR",
        action="append",
        default=[],
        help="固定的监督机关见证方公钥文件或目录（可重复）；完好须每个条目都被其联署覆盖",
    )
    parser.add_argument(
        "--allow-unpinned",
        action="store_true",
        help="未固定公钥时以被核验系统自带的公钥核验并可判为完好（报告注明"
        f"“{verdict.RELAXED_UNPINNED}”）",
    )
    parser.add_argument(
        "--allow-unwitnessed",
        action="store_true",
        help=f"不要求见证联署（报告注明“{verdict.RELAXED_UNWITNESSED}”）",
    )


@dataclass(frozen=True)
class Problem:
    kind: str  # a key of KIND_LABELS
    file: str  # the file concerned, relative to the package
    message: str  # Chinese


@dataclass
class Result:
    package: str
    agency: str = ""
    case_number: str = ""
    tree_size: int | None = None
    root: str = ""
    payload_files: int = 0
    tag_files: int = 0
    entries: int = 0
    media: int = 0
    documents: int = 0
    key_source: str = ""
    completeness: str = ""  # what the latest archiving's commitment established, in Chinese
    witnessed: int | None = None  # size of the latest checkpoint a pinned witness cosigned
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdict: verdict.Verdict = field(default_factory=verdict.Verdict)

    @property
    def status(self) -> str:
        """intact (完好) | not_verified (未验证) | problems (有问题)."""
        return self.verdict.status(bool(self.problems))

    @property
    def intact(self) -> bool:
        return self.status == verdict.INTACT

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        del data["verdict"]
        data["status"] = self.status
        data["intact"] = self.intact
        data.update(self.verdict.to_json())
        return data


# ---------------------------------------------------------------------------- reading


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _walk(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield _relative(root, Path(folder) / name)


def _decode_path(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        if name[i] == "%" and name[i + 1 : i + 3].upper() in ("0D", "0A", "25"):
            out.append({"0D": "\r", "0A": "\n", "25": "%"}[name[i + 1 : i + 3].upper()])
            i += 3
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def _supported(algorithm: str) -> bool:
    try:
        hashlib.new(algorithm)
    except ValueError:
        return False
    return True


class _Verifier:
    def __init__(
        self,
        root: Path,
        keys: Sequence[str],
        witness_keys: Sequence[str],
        trust: verdict.Verdict,
    ) -> None:
        self.root = root
        self.result = Result(package=str(root), verdict=trust)
        self.pinned_keys = list(keys)
        self.witness_keys = list(witness_keys)
        # file -> {manifest file -> (algorithm, expected hex)}
        self.listed: dict[str, dict[str, tuple[str, str]]] = {}
        self.digests: dict[str, dict[str, str]] = {}
        self.sizes: dict[str, int] = {}
        self.reported: set[tuple[str, str]] = set()
        self.leaves: dict[int, bytes] = {}  # seq -> leaf hash of each proven entry

    def problem(self, kind: str, file: str, message: str) -> None:
        if (kind, file) in self.reported and kind in ("modified", "missing", "added"):
            return
        self.reported.add((kind, file))
        self.result.problems.append(Problem(kind, file, message))

    def exists(self, rel: str) -> bool:
        return (self.root / rel).is_file()

    def read(self, rel: str) -> bytes | None:
        try:
            return (self.root / rel).read_bytes()
        except OSError:
            return None

    # ------------------------------------------------------------------ manifests

    def load_manifests(self) -> None:
        bagit_txt = self.read("bagit.txt")
        if bagit_txt is None:
            self.problem("missing", "bagit.txt", "缺少 bagit.txt：不是完整的 BagIt 包")
        elif not bagit_txt.startswith(b"BagIt-Version: "):
            self.problem("modified", "bagit.txt", "bagit.txt 的内容不是 BagIt 声明")
        manifests = sorted(
            p.name
            for p in self.root.iterdir()
            if p.is_file()
            and (p.name.startswith("manifest-") or p.name.startswith("tagmanifest-"))
            and p.name.endswith(".txt")
        )
        if not any(m.startswith("manifest-") for m in manifests):
            self.problem("missing", "manifest-sha256.txt", "缺少载荷清单 manifest-*.txt")
        for manifest in manifests:
            algorithm = manifest.split("-", 1)[1][: -len(".txt")]
            if not _supported(algorithm):
                self.result.notes.append(f"本机不支持 {algorithm} 算法，未核验清单 {manifest}")
                continue
            text = self.read(manifest) or b""
            try:
                lines = text.decode("utf-8").splitlines()
            except UnicodeDecodeError:
                self.problem("manifest_invalid", manifest, f"清单 {manifest} 不是 UTF-8 文本")
                continue
            for number, line in enumerate(lines, 1):
                parts = line.strip().split(maxsplit=1)
                digest = parts[0].lower() if parts else ""
                valid = len(parts) == 2 and len(digest) == 2 * hashlib.new(algorithm).digest_size
                if valid:
                    try:
                        bytes.fromhex(digest)
                    except ValueError:
                        valid = False
                if not valid:
                    self.problem(
                        "manifest_invalid", manifest, f"清单 {manifest} 第 {number} 行格式错误"
                    )
                    continue
                name = _decode_path(parts[1]).lstrip("*")
                is_payload = name.startswith("data/")
                if manifest.startswith("manifest-") != is_payload:
                    self.problem(
                        "manifest_invalid",
                        manifest,
                        f"清单 {manifest} 列出了不属于它的文件 {name}",
                    )
                    continue
                self.listed.setdefault(name, {})[manifest] = (algorithm, digest)

    def hash_files(self, extra: Mapping[str, set[str]]) -> None:
        """One pass over every file: every algorithm a manifest or an entry asks of it."""
        wanted: dict[str, set[str]] = {}
        for name, listings in self.listed.items():
            wanted.setdefault(name, set()).update(a for a, _ in listings.values())
        for name, algorithms in extra.items():
            wanted.setdefault(name, set()).update(algorithms)
        present = [(n, a) for n, a in sorted(wanted.items()) if (self.root / n).is_file()]

        def digest(item: tuple[str, set[str]]) -> tuple[str, dict[str, str], int]:
            with open(self.root / item[0], "rb") as fh:
                digests, size = hash_stream(fh, sorted(item[1]))
            return item[0], digests, size

        # Two files at a time: SM3 paces each file's pass on one core while SHA-256 and
        # SHA-512 leave the other core half idle; a second file fills it.
        with ThreadPoolExecutor(max_workers=HASH_FILES_AT_ONCE) as pool:
            for name, digests, size in pool.map(digest, present):
                self.digests[name] = digests
                self.sizes[name] = size

    def check_manifests(self) -> None:
        payload_manifests = {m for v in self.listed.values() for m in v if m.startswith("man")}
        for name, listings in sorted(self.listed.items()):
            if not self.exists(name):
                self.problem("missing", name, f"{name} 缺失（清单中有，包内没有）")
                continue
            wrong = [
                m
                for m, (algorithm, hexd) in listings.items()
                if self.digests[name][algorithm] != hexd
            ]
            if not wrong:
                if name.startswith("data/") and set(listings) != payload_manifests:
                    missing_from = sorted(payload_manifests - set(listings))
                    for manifest in missing_from:
                        self.problem(
                            "manifest_invalid", manifest, f"清单 {manifest} 漏列了文件 {name}"
                        )
                continue
            if len(wrong) == len(listings):
                algorithms = "、".join(sorted({listings[m][0].upper() for m in wrong}))
                self.problem("modified", name, f"{name} 被修改：{algorithms} 与清单不符")
            else:
                for manifest in wrong:
                    self.problem(
                        "modified",
                        manifest,
                        f"清单 {manifest} 被修改：其中 {name} 的摘要与文件及其他清单不符",
                    )
        for name in _walk(self.root):
            if name in self.listed:
                continue
            top = "/" not in name
            if name.startswith("data/"):
                self.problem("added", name, f"{name} 是新增的文件（不在载荷清单中）")
            elif not (
                top
                and (
                    name.startswith("manifest-")
                    or name.startswith("tagmanifest-")
                    or name == SIGNATURE_FILE
                )
            ):
                self.problem("added", name, f"{name} 是新增的标签文件（不在标签清单中）")
        tag_listed = [n for n in self.listed if not n.startswith("data/")]
        self.result.payload_files = sum(1 for n in self.listed if n.startswith("data/"))
        self.result.tag_files = len(tag_listed)

    # ------------------------------------------------------------------ keys and signatures

    def agency_verifier(self, agency: str, origin: str) -> notes.Ed25519Verifier | None:
        """The pinned key named for the package's log; else (未验证 unless relaxed) the
        package's own copy."""
        pinned = []
        for text in self.pinned_keys:
            try:
                key = notes.Ed25519Verifier.from_verifier_key_string(text.strip())
            except notes.NoteError as exc:
                raise PackageError(f"指定的机关公钥无法读取：{exc}") from exc
            if key.name == origin:
                pinned.append(key)
        if pinned:
            self.result.key_source = "固定的公钥（--key）"
            return pinned[0]
        rel = f"data/keys/{agency}.vkey"
        raw = self.read(rel)
        if raw is None:
            self.problem("missing", rel, f"{rel} 缺失：没有机关公钥，无法核验签名")
            return None
        text, source = raw.decode("utf-8", "replace"), f"包内公钥 {rel}（未固定）"
        missing = "未用 --key 固定机关公钥"
        if self.pinned_keys:
            missing = f"指定的公钥中没有日志 {origin} 的公钥"
        self.result.verdict.unpinned_key(
            f"{missing}：以包内的机关公钥核验，只能证明包内一致；"
            "请向该机关或监督机关索取公钥后用 --key 复核",
            agency,
        )
        self.result.key_source = source
        try:
            return notes.Ed25519Verifier.from_verifier_key_string(text.strip())
        except notes.NoteError as exc:
            self.problem("signature_invalid", "data/keys", f"机关公钥无法读取（{source}）：{exc}")
            return None

    def check_bag_signature(
        self, verifier: notes.Ed25519Verifier | None, proofs: Mapping[str, Any]
    ) -> None:
        raw = self.read(SIGNATURE_FILE)
        if raw is None:
            self.problem("missing", SIGNATURE_FILE, f"{SIGNATURE_FILE} 缺失：包未经机关签名")
            return
        if verifier is None:
            return
        try:
            note = notes.parse_note(raw)
        except notes.NoteError:
            note = None
        if note is None or not _signed_by(note, [verifier]):
            self.problem(
                "signature_invalid",
                SIGNATURE_FILE,
                f"{SIGNATURE_FILE} 的机关签名无效（被修改或换签）",
            )
            return
        lines = note.text.splitlines()
        head = [
            BAG_NOTE_HEADER,
            str(proofs.get("log", "")),
            f"agency {proofs.get('agency', '')}",
            f"case {proofs.get('case_number', '')}",
        ]
        tree = f"tree {proofs.get('tree_size')} " + _b64(proofs.get("root", ""))
        if lines[:4] != head or lines[4:5] != [tree]:
            self.problem(
                "modified",
                "data/ledger/proofs.json",
                "data/ledger/proofs.json 的案件、日志或检查点与机关签名的包说明不符",
            )
        for line in lines[5:]:
            name, _, digest = line.rpartition(" sha256:")
            actual = self.read(name)
            if actual is None:
                self.problem("missing", name, f"{name} 缺失（机关签名时包内有此文件）")
                continue
            if hashlib.sha256(actual).hexdigest() != digest:
                self.problem("modified", name, f"{name} 与机关签名时的内容不符（被修改）")

    # ------------------------------------------------------------------ ledger

    def load_proofs(self) -> dict[str, Any]:
        rel = "data/ledger/proofs.json"
        raw = self.read(rel)
        if raw is None:
            self.problem("missing", rel, f"{rel} 缺失：无法核验账本证明")
            return {}
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("不是对象")
        except ValueError as exc:
            self.problem("modified", rel, f"{rel} 无法解析（{exc}）")
            return {}
        self.result.agency = str(data.get("agency", ""))
        self.result.case_number = str(data.get("case_number", ""))
        self.result.root = str(data.get("root", ""))
        size = data.get("tree_size")
        self.result.tree_size = size if isinstance(size, int) else None
        return data

    def check_checkpoint(
        self, rel: str, verifier: notes.Ed25519Verifier | None, origin: str
    ) -> notes.Checkpoint | None:
        raw = self.read(rel)
        if raw is None:
            self.problem("missing", rel, f"{rel} 缺失")
            return None
        try:
            note = notes.parse_note(raw)
            checkpoint = notes.Checkpoint.from_text(note.text)
        except notes.NoteError as exc:
            self.problem("modified", rel, f"{rel} 不是有效的检查点（{exc}）")
            return None
        if checkpoint.origin != origin:
            self.problem("modified", rel, f"{rel} 属于日志 {checkpoint.origin}，不是 {origin}")
        if verifier is not None and not _signed_by(note, [verifier]):
            self.problem("signature_invalid", rel, f"{rel} 的机关签名无效")
        return checkpoint

    def check_entries(
        self, proofs: Mapping[str, Any], checkpoint: notes.Checkpoint
    ) -> list[tuple[str, dict[str, Any]]]:
        """Every entry file against the checkpoint; returns the readable entries."""
        entries = []
        listed = set()
        for item in proofs.get("entries", []):
            rel = str(item.get("file", ""))
            listed.add(rel)
            seq = item.get("seq")
            raw = self.read(rel)
            if raw is None:
                self.problem("missing", rel, f"账本条目 {rel} 缺失")
                continue
            what = f"账本条目 {rel}（第 {seq} 条，{item.get('type')} {item.get('ref')}）"
            try:
                proof = [bytes.fromhex(p) for p in item.get("inclusion", [])]
                leaf = merkle.leaf_hash(raw)
                merkle.verify_inclusion(leaf, int(seq), checkpoint.size, proof, checkpoint.root)
            except (merkle.ProofError, ValueError, TypeError) as exc:
                self.problem(
                    "record_altered",
                    rel,
                    f"{what}无法证明包含在机关签名的检查点中：内容被改动（{exc}）",
                )
                continue
            try:
                data = json.loads(raw)
            except ValueError:  # pragma: no cover - it proved, so it is what the ledger wrote
                self.problem("record_altered", rel, f"{what}无法解析")
                continue
            expected = {
                "log": checkpoint.origin,
                "index": seq,
                "agency": proofs.get("agency"),
                "case_number": proofs.get("case_number"),
                "type": item.get("type"),
            }
            wrong = [k for k, v in expected.items() if data.get(k) != v]
            if wrong:
                self.problem("record_altered", rel, f"{what}与证明说明不符（{'、'.join(wrong)}）")
                continue
            self.leaves[int(seq)] = leaf
            entries.append((rel, data))
        for name in (
            _walk(self.root / "data" / "ledger" / "entries")
            if (self.root / "data" / "ledger" / "entries").is_dir()
            else []
        ):
            rel = f"data/ledger/entries/{name}"
            if rel not in listed:
                self.problem("added", rel, f"{rel} 是新增的账本条目（没有包含证明）")
        self.result.entries = len(entries)
        return entries

    def check_case_json(self, entries: Sequence[tuple[str, dict[str, Any]]]) -> None:
        rel = "data/case.json"
        raw = self.read(rel)
        if raw is None:
            self.problem("missing", rel, f"{rel} 缺失")
            return
        try:
            case = json.loads(raw)
            if not isinstance(case, dict):
                raise ValueError("不是对象")
        except ValueError as exc:
            self.problem("record_altered", rel, f"{rel} 无法解析（{exc}）")
            return
        header: dict[str, Any] | None = None
        records: dict[str, tuple[str, dict[str, Any]]] = {}
        order = []
        for entry_file, data in entries:
            if data["type"] == "case":
                # the latest header is the case's; a change's block is history, not case.json
                header = {k: v for k, v in data["case"].items() if k != HEADER_CHANGE_KEY}
            elif data["type"] == "record":
                record = data["record"]
                records[record.get("id")] = (entry_file, record)
                order.append(record.get("id"))
        if header is not None:
            shown = {
                k: v
                for k, v in case.items()
                if k not in ("format", "agency", "case_number", "records")
            }
            changed = sorted(k for k in set(shown) | set(header) if shown.get(k) != header.get(k))
            if changed or case.get("case_number") != self.result.case_number:
                self.problem(
                    "record_altered",
                    rel,
                    f"{rel} 的案件信息与账本不一致（{'、'.join(changed) or 'case_number'}）",
                )
        seen = []
        for record in case.get("records", []) if isinstance(case.get("records"), list) else []:
            rid = record.get("id") if isinstance(record, dict) else None
            seen.append(rid)
            if rid not in records:
                self.problem("record_altered", rel, f"{rel} 中的记录 {rid} 不在账本中（被添加）")
                continue
            entry_file, expected = records[rid]
            changed = _changed_paths(expected, record)
            if changed:
                self.problem(
                    "record_altered",
                    rel,
                    f"{rel} 中的记录 {rid} 与账本条目 {entry_file} 不一致"
                    f"（{'、'.join(changed[:5])}）",
                )
        for rid in order:
            if rid not in seen:
                self.problem("record_altered", rel, f"{rel} 中缺少账本记录 {rid}（被删除）")

    def check_completeness(
        self, entries: Sequence[tuple[str, dict[str, Any]]], proofs: Mapping[str, Any]
    ) -> None:
        """The package holds every entry of the case its latest archiving committed to."""
        found: tuple[str, completeness.Commitment] | None = None
        for rel, data in sorted(entries, key=lambda e: int(e[1]["index"])):
            record = data.get("record") if data["type"] == "record" else None
            if not isinstance(record, dict):
                continue
            try:
                commitment = completeness.from_record(int(data["index"]), record)
            except ValueError as exc:
                self.problem("record_altered", rel, f"{rel} 的完整性承诺无法读取（{exc}）")
                continue
            if commitment is not None:
                found = (rel, commitment)
        if found is None:
            self.result.completeness = "无归档承诺"
            self.result.notes.append(
                "包内没有带完整性承诺的归档记录（案件尚未归档，或为导入的案件）："
                "无法核验包内是否缺少本案的账本条目，各条目只由包含证明担保"
            )
            return
        rel, commitment = found
        where = f"归档记录（第 {commitment.at} 条，{rel}）"
        if commitment.log != proofs.get("log"):
            self.result.completeness = "承诺属于其他日志"
            self.result.notes.append(
                f"{where}的完整性承诺属于日志 {commitment.log}（导入的案件），未核验条目是否齐全"
            )
            return
        omitted, added, same = completeness.compare(commitment, self.leaves.items())
        for seq in omitted:
            self.problem(
                "missing",
                f"data/ledger/entries/{seq:010d}.json",
                f"本案第 {seq} 条账本条目缺失：{where}承诺的条目清单中有它，包内没有"
                "（被遗漏或删除）",
            )
        for seq in added:
            self.problem(
                "added",
                f"data/ledger/entries/{seq:010d}.json",
                f"本案第 {seq} 条账本条目不在{where}承诺的条目清单中（被添加）",
            )
        if not omitted and not added and not same:
            self.problem(
                "proof_failed", rel, f"包内归档前的本案条目与{where}的完整性承诺（摘要）不符"
            )
        if omitted or added or not same:
            self.result.completeness = "不齐全"
            return
        self.result.completeness = f"{where}承诺的归档前本案 {commitment.count} 个账本条目均在包内"
        later = sorted(seq for seq in self.leaves if seq > commitment.at)
        if later:
            self.result.notes.append(
                f"归档之后的条目未经完整性承诺：第 {completeness.format_seqs(later)} 条"
                f"（{len(later)} 个）只由包含证明担保"
            )

    def expected_files(
        self, entries: Sequence[tuple[str, dict[str, Any]]], proofs: Mapping[str, Any]
    ) -> dict[str, dict[str, Any]]:
        """The media files and documents the entries vouch for: file -> digests and size."""
        expected: dict[str, dict[str, Any]] = {}
        media: dict[str, dict[str, Any]] = {}
        for _, data in entries:
            if data["type"] == "media":
                items = [data["media"]]
            elif data["type"] == "record":
                items = list(data["record"].get("media", []))
            else:
                items = []
            for item in items:
                media.setdefault(str(item.get("sha256", "")), item)
        folder = self.root / "data" / "media"
        present = {p.name.split(".", 1)[0]: p for p in folder.iterdir()} if folder.is_dir() else {}
        for sha, item in sorted(media.items()):
            path = present.pop(sha, None)
            if path is None:
                self.problem("missing", f"data/media/{sha}", f"音像文件 {sha} 缺失（账本中有登记）")
                continue
            expected[_relative(self.root, path)] = item
        for path in sorted(present.values()):
            rel = _relative(self.root, path)
            self.problem("added", rel, f"{rel} 是新增的音像文件（账本中没有登记）")
        files = {int(d.get("seq", -1)): str(d.get("file", "")) for d in proofs.get("documents", [])}
        documents = 0
        for rel_entry, data in entries:
            if data["type"] != "document":
                continue
            documents += 1
            body = data["document"]
            rel = files.get(int(data["index"]), "")
            if not rel or not self.exists(rel):
                self.problem(
                    "missing",
                    rel or rel_entry,
                    f"文书 {body.get('filename', '')} 缺失（登记于 {rel_entry}）",
                )
                continue
            expected[rel] = body
        self.result.media = len(media)
        self.result.documents = documents
        return expected

    def check_files(self, expected: Mapping[str, Mapping[str, Any]]) -> None:
        for rel, item in sorted(expected.items()):
            digests = self.digests.get(rel)
            if digests is None:
                continue
            wrong = []
            if digests.get("sha256") != item.get("sha256"):
                wrong.append("SHA-256")
            if item.get("sm3") and digests.get("sm3") != item.get("sm3"):
                wrong.append("SM3")
            if isinstance(item.get("size"), int) and self.sizes.get(rel) != item["size"]:
                wrong.append("大小")
            if wrong:
                self.problem("modified", rel, f"{rel} 被修改：{'、'.join(wrong)}与账本登记不符")

    def _witnesses(self) -> tuple[dict[str, notes.CosignatureVerifier], set[str]]:
        """Witness keys by name (the pinned ones over the package's copies) and the names
        whose cosignatures cover entries: the pinned — or, relaxed, the package's own."""
        own: dict[str, notes.CosignatureVerifier] = {}
        folder = self.root / "data" / "keys" / "witnesses"
        for path in sorted(folder.glob("*.vkey")) if folder.is_dir() else []:
            try:
                text = path.read_text("utf-8")
                key = notes.CosignatureVerifier.from_verifier_key_string(text.strip())
            except (OSError, UnicodeDecodeError, notes.NoteError) as exc:
                self.result.notes.append(f"包内见证方公钥 {path.name} 无法读取：{exc}")
                continue
            own[key.name] = key
        pinned: dict[str, notes.CosignatureVerifier] = {}
        for text in self.witness_keys:
            try:
                key = notes.CosignatureVerifier.from_verifier_key_string(text.strip())
            except notes.NoteError as exc:
                raise PackageError(f"指定的见证方公钥无法读取：{exc}") from exc
            pinned[key.name] = key
        covering = set(pinned)
        if not pinned:
            if own and self.result.verdict.allow_unpinned:
                covering = set(own)
                self.result.verdict.unpinned_key("见证联署以包内的见证方公钥核验（未固定）")
            else:
                self.result.verdict.unpinned_witness(
                    "未用 --witness-key 固定见证方公钥：无法确认包内条目已经监督机关的见证方联署"
                )
        return {**own, **pinned}, covering

    def check_cosigned(self, proofs: Mapping[str, Any], verifier: Any, head: Any) -> None:
        known, covering = self._witnesses()
        consistency = proofs.get("consistency", {})
        covered = 0
        for item in proofs.get("cosigned", []):
            rel = str(item.get("checkpoint", ""))
            raw = self.read(rel)
            if raw is None:
                self.problem("missing", rel, f"{rel} 缺失")
                continue
            try:
                note = notes.parse_note(raw)
                checkpoint = notes.Checkpoint.from_text(note.text)
            except notes.NoteError as exc:
                self.problem("modified", rel, f"{rel} 不是有效的联署检查点（{exc}）")
                continue
            witness = str(item.get("witness", ""))
            agency_ok = verifier is not None and bool(_signed_by(note, [verifier]))
            if verifier is not None and not agency_ok:
                self.problem("signature_invalid", rel, f"{rel} 的机关签名无效")
            if witness not in known:
                self.result.notes.append(
                    f"{rel}：见证方 {witness} 的公钥既未指定也不在包内，未核验其联署"
                )
                continue
            if not _signed_by(note, [known[witness]]):
                self.problem("signature_invalid", rel, f"{rel} 中见证方 {witness} 的联署无法验证")
                continue
            consistent = self._consistent(rel, checkpoint, head, consistency)
            if consistent and agency_ok and witness in covering:
                covered = max(covered, checkpoint.size)
        if covering:
            self.result.witnessed = covered
            self.result.verdict.unwitnessed_seqs(
                (seq for seq in self.leaves if seq >= covered), self.result.agency
            )

    def _consistent(
        self, rel: str, checkpoint: notes.Checkpoint, head: notes.Checkpoint, proofs: Any
    ) -> bool:
        if checkpoint.size == head.size:
            if checkpoint.root != head.root:
                self.problem("proof_failed", rel, f"{rel} 与检查点同大小而根不同（分叉）")
                return False
            return True
        try:
            proof = [bytes.fromhex(p) for p in proofs.get(str(checkpoint.size), [])]
            merkle.verify_consistency(checkpoint.size, head.size, checkpoint.root, head.root, proof)
        except (merkle.ProofError, ValueError) as exc:
            self.problem(
                "proof_failed", rel, f"{rel}（大小 {checkpoint.size}）与检查点不一致：{exc}"
            )
            return False
        return True

    def check_timestamps(self, proofs: Mapping[str, Any], head: notes.Checkpoint) -> None:
        for item in proofs.get("timestamps", []):
            rel = str(item.get("checkpoint", ""))
            raw = self.read(rel)
            if raw is None or not self.exists(str(item.get("token", ""))):
                continue  # reported as missing by the manifests
            try:
                checkpoint = notes.Checkpoint.from_text(notes.parse_note(raw).text)
            except notes.NoteError as exc:
                self.problem("modified", rel, f"{rel} 不是有效的检查点（{exc}）")
                continue
            self._consistent(rel, checkpoint, head, proofs.get("consistency", {}))
            self.result.notes.append(
                f"检查点（大小 {checkpoint.size}）有 {item.get('tsa')} 的 RFC 3161 时间戳"
                f"（{item.get('gen_time')}）；本核验器不依赖 CMS 库，请用 "
                f"openssl ts -verify -data {rel} -in {item.get('token')} "
                "-CAfile 时间戳机构根证书.pem 核验其签名"
            )

    # ------------------------------------------------------------------ all

    def run(self) -> Result:
        self.load_manifests()
        proofs = self.load_proofs()
        agency = self.result.agency
        verifier = self.agency_verifier(agency, str(proofs.get("log", ""))) if agency else None
        head = None
        entries: list[tuple[str, dict[str, Any]]] = []
        if proofs:
            head = self.check_checkpoint(
                str(proofs.get("checkpoint", "")), verifier, str(proofs.get("log", ""))
            )
            if head is not None and (
                head.size != self.result.tree_size or head.root.hex() != self.result.root
            ):
                self.problem(
                    "modified",
                    "data/ledger/proofs.json",
                    "data/ledger/proofs.json 的树大小或根与检查点不符",
                )
            if head is not None:
                entries = self.check_entries(proofs, head)
        expected = self.expected_files(entries, proofs) if proofs else {}
        self.hash_files({rel: {"sha256", "sm3"} for rel in expected})
        self.check_manifests()
        self.check_bag_signature(verifier, proofs)
        if entries:
            self.check_case_json(entries)
            self.check_completeness(entries, proofs)
        self.check_files(expected)
        if head is not None:
            self.check_cosigned(proofs, verifier, head)
            self.check_timestamps(proofs, head)
        return self.result


def _signed_by(note: notes.Note, verifiers: Sequence[notes.Verifier]) -> list[str]:
    """The names of the verifiers whose signatures on the note verify, one by one (a bad
    signature of one key does not hide a good one of another)."""
    names = []
    for verifier in verifiers:
        try:
            if notes.verify_note(note, [verifier]):
                names.append(verifier.name)
        except notes.NoteError:
            continue
    return names


def _b64(hex_root: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(hex_root)).decode()
    except ValueError:
        return ""


def _changed_paths(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as dotted paths (the first few)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual), key=str):
            out += _changed_paths(
                expected.get(key), actual.get(key), f"{path}.{key}" if path else key
            )
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        out = []
        for i, (a, b) in enumerate(zip(expected, actual, strict=True)):
            out += _changed_paths(a, b, f"{path}[{i}]")
        return out
    return [] if expected == actual else [path or "$"]


def verify_package(
    path: Path,
    *,
    key: str | Sequence[str] | None = None,
    witness_keys: Sequence[str] = (),
    allow_unpinned: bool = False,
    allow_unwitnessed: bool = False,
) -> Result:
    """Check the package; ``key`` is the pinned agency key text (or several, matched to the
    package's log by name), ``witness_keys`` the pinned witness keys' texts."""
    root = Path(path)
    if not root.is_dir():
        raise PackageError(f"{root} 不是目录：请先解压档案包")
    if not (root / "data").is_dir() and not (root / "bagit.txt").exists():
        raise PackageError(f"{root} 不是 BagIt 档案包（没有 bagit.txt 和 data/）")
    keys = [key] if isinstance(key, str) else list(key or ())
    trust = verdict.Verdict(allow_unpinned=allow_unpinned, allow_unwitnessed=allow_unwitnessed)
    return _Verifier(root, keys, witness_keys, trust).run()


def report_text(result: Result) -> str:
    lines = [
        f"LawTrail 档案包核验：{result.package}",
        f"机关：{result.agency or '未知'}　案号：{result.case_number or '未知'}　"
        f"检查点大小：{result.tree_size if result.tree_size is not None else '未知'}",
        f"载荷文件 {result.payload_files} 个，标签文件 {result.tag_files} 个；"
        f"账本条目 {result.entries} 个，音像文件 {result.media} 个，文书 {result.documents} 份",
        f"机关公钥：{result.key_source or '无'}",
    ]
    if result.completeness:
        lines.append(f"条目齐全：{result.completeness}")
    if result.witnessed is not None:
        lines.append(f"见证联署：固定见证方联署的最新检查点大小 {result.witnessed}")
    status = result.status
    if status == verdict.INTACT:
        lines.append(
            "结果：完好——清单、签名、包含证明、案件数据与文件摘要全部一致"
            + (
                "，机关公钥已固定，全部条目经见证方联署"
                if not result.verdict.relaxed
                else "（已按要求放宽，见下）"
            )
        )
    elif status == verdict.NOT_VERIFIED:
        lines.append("结果：未验证——未发现问题，但以下各项未能确认：")
    else:
        lines.append(f"结果：有问题——发现 {len(result.problems)} 处问题")
        for p in result.problems:
            lines.append(f"  [{KIND_LABELS.get(p.kind, p.kind)}] {p.file}：{p.message}")
    lines += result.verdict.lines(status)
    for note in result.notes:
        lines.append(f"提示：{note}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="lawtrail-verify",
        description="离线核验 LawTrail 导出的案件档案包（BagIt）：清单、机关签名、账本包含证明、"
        "见证联署、案件数据和音像文件摘要。无需数据库和网络。完好须机关公钥已固定（--key，"
        "包内自带的公钥不算）且每个条目都被固定见证方（--witness-key）联署的检查点覆盖。"
        + verdict.EXIT_HELP.replace("无法核验", "无法读取")
        + "。",
    )
    parser.add_argument("package", metavar="PACKAGE", help="档案包目录（已解压）")
    add_trust_arguments(parser)
    parser.add_argument("--json", action="store_true", help="输出 JSON（机器可读）")
    args = parser.parse_args(argv)
    try:
        keys = [text for _, text in read_key_paths(args.key, "机关公钥")]
        witnesses = [text for _, text in read_key_paths(args.witness_key, "见证方公钥")]
        result = verify_package(
            Path(args.package),
            key=keys,
            witness_keys=witnesses,
            allow_unpinned=args.allow_unpinned,
            allow_unwitnessed=args.allow_unwitnessed,
        )
    except (PackageError, KeyInputError, OSError, UnicodeDecodeError, binascii.Error) as exc:
        if args.json:
            json.dump(
                {"status": "error", "intact": False, "error": str(exc)}, out, ensure_ascii=False
            )
            out.write("\n")
        else:
            out.write(f"无法核验：{exc}\n")
        return EXIT_UNREADABLE
    if args.json:
        json.dump(result.to_json(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(report_text(result))
    return verdict.EXIT_CODES[result.status]


if __name__ == "__main__":
    sys.exit(main())
