"""Corrections and voids: which version of each act the rules judge (docs/case-format.md).

Worked examples first (each chain shape the case format defines), then properties that hold on
random chains of originals, corrections and voids (hypothesis).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from lawtrail.core.model import Case, Correction, Record
from tests.builders import CaseBuilder, fired, t

T0 = t("2026-09-10 10:00")


def effective_ids(case: Case) -> list[str]:
    return sorted(r.id for r in case.effective_records())


def test_void_of_a_correction_brings_the_original_back_into_judgement() -> None:
    # The original site inspection has no AV; its correction has an exemption; withdrawing the
    # correction must judge the original again, so its missing AV is found (002 art. 13).
    b = CaseBuilder("tonghua-market")
    original = b.add("site_inspection", "2026-09-10 10:00", {"location": "现场", "findings": "x"})
    fix = b.add(
        "site_inspection",
        "2026-09-10 10:00",
        {"location": "现场", "findings": "x"},
        av_exemption="涉及国家秘密",
        corrects=(original, "补记豁免理由"),
        recorded_at="2026-09-11 09:00",
    )
    assert not fired(b.evaluate("2026-09-12 10:00"), "market.av.investigation")
    b.add(
        "void",
        "2026-09-13 10:00",
        {"target": fix, "reason": "豁免理由不实"},
        recorded_at="2026-09-13 10:00",
    )
    [finding] = fired(b.evaluate("2026-09-14 10:00"), "market.av.investigation")
    assert finding.record == original


def test_correction_of_a_correction_judges_the_latest() -> None:
    b = CaseBuilder("tonghua-market")
    a = b.add("decision", "2026-09-10 10:00", recorded_at="2026-09-10 10:00")
    c1 = b.add("decision", "2026-09-10 10:00", corrects=(a, "1"), recorded_at="2026-09-11 10:00")
    c2 = b.add("decision", "2026-09-10 10:00", corrects=(c1, "2"), recorded_at="2026-09-12 10:00")
    assert effective_ids(b.build()) == [c2]


def test_void_of_a_void_restores_its_target() -> None:
    b = CaseBuilder("tonghua-market")
    a = b.add("decision", "2026-09-10 10:00", recorded_at="2026-09-10 10:00")
    v1 = b.add(
        "void", "2026-09-11 10:00", {"target": a, "reason": "误"}, recorded_at="2026-09-11 10:00"
    )
    assert effective_ids(b.build()) == []
    b.add("void", "2026-09-12 10:00", {"target": v1, "reason": "作废有误"})
    assert effective_ids(b.build()) == [a]


def test_a_correction_of_a_voided_record_stands() -> None:
    b = CaseBuilder("tonghua-market")
    a = b.add("decision", "2026-09-10 10:00", recorded_at="2026-09-10 10:00")
    b.add("void", "2026-09-11 10:00", {"target": a, "reason": "误"}, recorded_at="2026-09-11 10:00")
    c = b.add("decision", "2026-09-10 10:00", corrects=(a, "重录"), recorded_at="2026-09-12 10:00")
    assert effective_ids(b.build()) == [c]


def test_voiding_a_superseded_version_leaves_the_current_one() -> None:
    b = CaseBuilder("tonghua-market")
    a = b.add("decision", "2026-09-10 10:00", recorded_at="2026-09-10 10:00")
    c = b.add("decision", "2026-09-10 10:00", corrects=(a, "1"), recorded_at="2026-09-11 10:00")
    b.add("void", "2026-09-12 10:00", {"target": a, "reason": "误"})
    assert effective_ids(b.build()) == [c]


def test_a_void_known_only_later_does_not_count_before() -> None:
    b = CaseBuilder("tonghua-market")
    a = b.add("decision", "2026-09-10 10:00", recorded_at="2026-09-10 10:00")
    b.add("void", "2026-09-11 10:00", {"target": a, "reason": "误"}, recorded_at="2026-09-20 10:00")
    case = b.build()
    assert [r.id for r in case.effective_records(t("2026-09-15 10:00"))] == [a]
    assert case.effective_records(t("2026-09-21 10:00")) == []


# ----------------------------------------------------------------- random chains

# One operation per step: a new act, a correction of an earlier non-void record, or a void of
# any earlier record (including a void, or an already voided record).
OPS = st.lists(
    st.tuples(st.sampled_from(["new", "correct", "void"]), st.integers(min_value=0)),
    min_size=1,
    max_size=25,
)


def build(ops: list[tuple[str, int]]) -> Case:
    records: list[Record] = []
    for step, (op, pick) in enumerate(ops):
        at = T0 + timedelta(hours=step)
        rid = f"x{step}"
        targets = [r for r in records if r.kind != "void"] if op == "correct" else records
        if op == "new" or not targets:
            records.append(Record(rid, "decision", at))
        elif op == "correct":
            target = targets[pick % len(targets)]
            records.append(Record(rid, "decision", at, corrects=Correction(target.id, "更正")))
        else:
            target = targets[pick % len(targets)]
            records.append(Record(rid, "void", at, fields={"target": target.id, "reason": "误"}))
    return Case(
        agency="tonghua-market",
        case_number="测〔2026〕1号",
        acts=("penalty",),
        procedure="general",
        origin="ex_officio",
        opened_at=T0,
        records=tuple(records),
    )


def act_of(case: Case, record: Record) -> str:
    """The original record of a version chain (the reference model: follow `corrects` back)."""
    while record.corrects is not None:
        record = case.record(record.corrects.record)  # type: ignore[assignment]
    return record.id


def standing_voids(case: Case) -> set[str]:
    """Reference model of voids, written as the definition reads (recursive, no ordering tricks):
    a void stands unless a standing void made after it names it."""
    made = {r.id: n for n, r in enumerate(case.records)}
    voids = {r.id: str(r.fields["target"]) for r in case.records if r.kind == "void"}

    def stands(v: str) -> bool:
        return not any(
            stands(w) for w, target in voids.items() if target == v and made[w] > made[v]
        )

    return {v for v in voids if stands(v)}


def reference_effective(case: Case) -> list[str]:
    standing = standing_voids(case)
    withdrawn = {str(r.fields["target"]) for r in case.records if r.id in standing}
    latest: dict[str, str] = {}
    for r in case.records:  # made in this order
        if r.kind != "void" and r.id not in withdrawn:
            latest[act_of(case, r)] = r.id
    return sorted(latest.values())


@settings(max_examples=300, deadline=None)
@given(OPS)
def test_random_chains_match_the_reference_semantics(ops: list[tuple[str, int]]) -> None:
    case = build(ops)
    assert effective_ids(case) == reference_effective(case)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_each_act_is_judged_in_at_most_one_version_and_never_a_void(
    ops: list[tuple[str, int]],
) -> None:
    case = build(ops)
    effective = case.effective_records()
    acts = [act_of(case, r) for r in effective]
    assert len(acts) == len(set(acts))
    assert all(r.kind != "void" for r in effective)


@settings(max_examples=200, deadline=None)
@given(OPS, st.integers(min_value=0))
def test_voiding_a_void_just_made_restores_the_previous_judgement(
    ops: list[tuple[str, int]], pick: int
) -> None:
    case = build(ops)
    before = effective_ids(case)
    target = case.records[pick % len(case.records)]
    end = T0 + timedelta(days=30)
    v1 = Record("v1", "void", end, fields={"target": target.id, "reason": "误"})
    v2 = Record("v2", "void", end + timedelta(hours=1), fields={"target": "v1", "reason": "撤回"})
    assert effective_ids(replace(case, records=(*case.records, v1, v2))) == before


@settings(max_examples=200, deadline=None)
@given(OPS, st.integers(min_value=0))
def test_a_new_correction_is_what_its_act_is_judged_by(
    ops: list[tuple[str, int]], pick: int
) -> None:
    case = build(ops)
    versions = [r for r in case.records if r.kind != "void"]
    target = versions[pick % len(versions)] if versions else None
    if target is None:
        return
    fix = Record(
        "fix",
        "decision",
        T0,
        recorded_at=T0 + timedelta(days=30),
        corrects=Correction(target.id, ""),
    )
    after = replace(case, records=(*case.records, fix)).effective_records()
    mine = [
        r.id
        for r in after
        if act_of(case, target) == act_of(replace(case, records=(*case.records, fix)), r)
    ]
    assert mine == ["fix"]


@settings(max_examples=200, deadline=None)
@given(OPS, st.randoms(use_true_random=False))
def test_the_order_records_are_listed_in_does_not_matter(
    ops: list[tuple[str, int]], rnd: random.Random
) -> None:
    case = build(ops)
    shuffled = list(case.records)
    rnd.shuffle(shuffled)
    assert effective_ids(replace(case, records=tuple(shuffled))) == effective_ids(case)


@settings(max_examples=100, deadline=None)
@given(OPS)
def test_what_was_known_at_a_moment_is_judged_as_it_was(ops: list[tuple[str, int]]) -> None:
    case = build(ops)
    for cut in range(len(case.records)):
        moment = case.records[cut].known_at
        prefix = replace(case, records=case.records[: cut + 1])
        assert sorted(r.id for r in case.effective_records(moment)) == effective_ids(prefix)
