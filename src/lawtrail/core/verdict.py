"""The three-way verdict of every verifier (issue #12 item 2): 完好, 未验证, 有问题.

`lawtrail verify`, `lawtrail-verify` and `lawtrail restore --check` all judge alike:

- **完好 (intact, exit 0)**: no problem found, the keys that judged it were *pinned* by the
  person verifying (``--key``, ``--witness-key`` — never a key read from the system being
  verified: the data directory's keys, the package's or the backup's own copy), and every
  entry is covered by a checkpoint cosigned by at least one pinned witness;
- **未验证 (not verified, exit 3)**: no problem found, but one of those conditions does not
  hold: a key was not pinned, or entries lie beyond the latest checkpoint a pinned witness
  cosigned (named: 「第 120–123 条尚无见证联署」), or not yet in any signed checkpoint;
- **有问题 (problems, exit 1)**: something was changed, removed, added or re-signed.

Exit code 2 stays "the verifier could not run" (unreadable input, a wrong argument).

Two explicit flags turn reasons into an intact verdict, and the report says so:
``--allow-unpinned`` (verify with the verified system's own keys: 「未固定公钥：以被核验系统自带
的公钥核验」) and ``--allow-unwitnessed`` (「未要求见证联署」). Entries not yet signed into a
checkpoint (the integrator signs within a second) are never relaxed: verify again shortly.

Pure (standard library only): the offline verifier imports it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from lawtrail.core.completeness import seq_runs

INTACT = "intact"
NOT_VERIFIED = "not_verified"
PROBLEMS = "problems"
LABELS = {INTACT: "完好", NOT_VERIFIED: "未验证", PROBLEMS: "有问题"}

EXIT_INTACT = 0
EXIT_PROBLEMS = 1
EXIT_CANNOT_RUN = 2
EXIT_NOT_VERIFIED = 3
EXIT_CODES = {INTACT: EXIT_INTACT, NOT_VERIFIED: EXIT_NOT_VERIFIED, PROBLEMS: EXIT_PROBLEMS}

# The help line every verifier prints for its exit codes.
EXIT_HELP = (
    "退出码：0 完好，1 发现问题，2 无法核验，"
    "3 未验证（未发现问题，但公钥未固定或有条目尚无见证联署）"
)

RELAXED_UNPINNED = "未固定公钥：以被核验系统自带的公钥核验"
RELAXED_UNWITNESSED = "未要求见证联署"

# Reason codes.
UNPINNED_KEY = "unpinned_key"  # the log's key was not pinned
UNPINNED_WITNESS = "unpinned_witness"  # no witness key was pinned (so nothing is witnessed)
UNWITNESSED = "unwitnessed"  # entries beyond the latest checkpoint a pinned witness cosigned
UNSIGNED = "unsigned"  # entries not yet signed into a checkpoint (sequenced, not integrated)

_RELAXED_BY = {
    UNPINNED_KEY: "unpinned",
    UNPINNED_WITNESS: "unwitnessed",  # no witness key at all: only not requiring one helps
    UNWITNESSED: "unwitnessed",
}


@dataclass(frozen=True)
class Reason:
    """Why a verdict is 未验证 (or, relaxed, what the report notes)."""

    code: str
    message: str  # Chinese
    agency: str = ""
    first: int | None = None  # the entries concerned, when it is a range
    last: int | None = None


def seq_range(first: int, last: int) -> str:
    """「第 120–123 条」 or 「第 7 条」."""
    return f"第 {first} 条" if first == last else f"第 {first}–{last} 条"


def seq_list(seqs: Iterable[int]) -> str:
    """Sequence numbers as 「第 3、7–9 条」 (ranges of consecutive numbers joined)."""
    runs = "、".join(str(a) if a == b else f"{a}–{b}" for a, b in seq_runs(seqs))
    return f"第 {runs} 条"


@dataclass
class Verdict:
    """The not-verified reasons one run collected, and those the caller's flags relaxed."""

    allow_unpinned: bool = False
    allow_unwitnessed: bool = False
    reasons: list[Reason] = field(default_factory=list)
    relaxed: list[Reason] = field(default_factory=list)

    def add(self, reason: Reason) -> None:
        flag = _RELAXED_BY.get(reason.code)
        if (flag == "unpinned" and self.allow_unpinned) or (
            flag == "unwitnessed" and self.allow_unwitnessed
        ):
            self.relaxed.append(reason)
        else:
            self.reasons.append(reason)

    def unpinned_key(self, message: str, agency: str = "") -> None:
        self.add(Reason(UNPINNED_KEY, message, agency))

    def unpinned_witness(self, message: str, agency: str = "") -> None:
        self.add(Reason(UNPINNED_WITNESS, message, agency))

    def unwitnessed(self, first: int, last: int, agency: str = "", where: str = "") -> None:
        self.add(
            Reason(UNWITNESSED, f"{where}{seq_range(first, last)}尚无见证联署", agency, first, last)
        )

    def unwitnessed_seqs(self, seqs: Iterable[int], agency: str = "", where: str = "") -> None:
        listed = sorted(set(seqs))
        if listed:
            message = f"{where}{seq_list(listed)}尚无见证联署"
            self.add(Reason(UNWITNESSED, message, agency, listed[0], listed[-1]))

    def unsigned(self, first: int, last: int, agency: str = "", where: str = "") -> None:
        self._unsigned(seq_range(first, last), agency, where, first, last)

    def unsigned_seqs(self, seqs: Iterable[int], agency: str = "", where: str = "") -> None:
        listed = sorted(set(seqs))
        if listed:
            self._unsigned(seq_list(listed), agency, where, listed[0], listed[-1])

    def _unsigned(self, which: str, agency: str, where: str, first: int, last: int) -> None:
        message = f"{where}{which}尚未签入检查点（已入账，等待签名；请稍后重新核验）"
        self.add(Reason(UNSIGNED, message, agency, first, last))

    def status(self, problems: bool) -> str:
        if problems:
            return PROBLEMS
        return NOT_VERIFIED if self.reasons else INTACT

    def relaxed_notes(self) -> list[str]:
        """What the report must say about each relaxed reason: 「未固定公钥：…（…）」."""
        notes = []
        for reason in self.relaxed:
            flag = _RELAXED_BY[reason.code]
            head = RELAXED_UNPINNED if flag == "unpinned" else RELAXED_UNWITNESSED
            notes.append(f"{head}（{reason.message}）")
        return notes

    def to_json(self) -> dict[str, Any]:
        return {
            "not_verified": [asdict(r) for r in self.reasons],
            "relaxed": self.relaxed_notes(),
        }

    def lines(self, status: str) -> list[str]:
        """The report's lines about the verdict's reasons (Chinese), after its conclusion."""
        out = []
        if status == NOT_VERIFIED:
            out += [f"  未验证：{r.message}" for r in self.reasons]
        out += [f"  已放宽：{note}" for note in self.relaxed_notes()]
        return out
