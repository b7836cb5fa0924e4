"""The three-way verdict shared by the verifiers (lawtrail.core.verdict)."""

from __future__ import annotations

from lawtrail.core import verdict


def test_nothing_found_and_nothing_missing_is_intact_exit_0() -> None:
    v = verdict.Verdict()
    assert v.status(problems=False) == verdict.INTACT
    assert verdict.EXIT_CODES[v.status(problems=False)] == 0
    assert v.to_json() == {"not_verified": [], "relaxed": []}


def test_problems_win_over_any_reason() -> None:
    v = verdict.Verdict()
    v.unwitnessed(3, 5)
    assert v.status(problems=True) == verdict.PROBLEMS
    assert verdict.EXIT_CODES[verdict.PROBLEMS] == 1


def test_reasons_name_the_range_and_make_it_not_verified_exit_3() -> None:
    v = verdict.Verdict()
    v.unwitnessed(120, 123)
    v.unsigned(124, 124, agency="a", where="机关 a ")
    v.unwitnessed_seqs([7, 3, 4, 5], agency="a", where="本案")
    assert [r.message for r in v.reasons] == [
        "第 120–123 条尚无见证联署",
        "机关 a 第 124 条尚未签入检查点（已入账，等待签名；请稍后重新核验）",
        "本案第 3–5、7 条尚无见证联署",
    ]
    assert v.status(problems=False) == verdict.NOT_VERIFIED
    assert verdict.EXIT_CODES[verdict.NOT_VERIFIED] == 3
    assert v.to_json()["not_verified"][0] == {
        "code": "unwitnessed",
        "message": "第 120–123 条尚无见证联署",
        "agency": "",
        "first": 120,
        "last": 123,
    }


def test_relax_flags_turn_only_their_reasons_into_notes() -> None:
    v = verdict.Verdict(allow_unpinned=True)
    v.unpinned_key("未用 --key 固定机关 a 的公钥", "a")
    v.unpinned_witness("未固定见证方公钥")
    assert v.relaxed_notes() == [
        "未固定公钥：以被核验系统自带的公钥核验（未用 --key 固定机关 a 的公钥）"
    ]
    assert [r.code for r in v.reasons] == ["unpinned_witness"]  # only witnessing relaxes that

    w = verdict.Verdict(allow_unpinned=True, allow_unwitnessed=True)
    w.unpinned_witness("未固定见证方公钥")
    w.unwitnessed(0, 9)
    w.unsigned(10, 11)  # entries not yet signed are never relaxed
    assert w.relaxed_notes() == [
        "未要求见证联署（未固定见证方公钥）",
        "未要求见证联署（第 0–9 条尚无见证联署）",
    ]
    assert [r.code for r in w.reasons] == ["unsigned"]
    assert w.status(problems=False) == verdict.NOT_VERIFIED
    assert w.lines(verdict.NOT_VERIFIED)[-1] == "  已放宽：未要求见证联署（第 0–9 条尚无见证联署）"
