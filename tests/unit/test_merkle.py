"""RFC 9162 Merkle tree math: golden files of transparency-dev/merkle, exhaustive small trees,
and the stored-tree helpers (perfect subtrees keyed by (level, index))."""

from __future__ import annotations

import base64
import hashlib
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from lawtrail.core import merkle
from lawtrail.core.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    ProofError,
    consistency_proof,
    consistency_proof_from_store,
    fold_root,
    inclusion_proof,
    inclusion_proof_from_store,
    leaf_hash,
    node_hash,
    perfect_subtree_hashes,
    perfect_subtree_keys,
    perfect_subtrees_completed_by,
    range_hash,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    root_from_store,
    subtree_nodes_for_consistency,
    subtree_nodes_for_inclusion,
    subtree_nodes_for_root,
    verify_consistency,
    verify_inclusion,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "rfc9162-merkle"
INCLUSION_FILES = sorted((DATA / "inclusion").rglob("*.json"))
CONSISTENCY_FILES = sorted((DATA / "consistency").rglob("*.json"))
CONSTANTS: dict[str, Any] = json.loads((DATA / "constants.json").read_text(encoding="utf-8"))

MAX_SIZE = 70
LEAVES = [leaf_hash(f"entry {i}".encode()) for i in range(MAX_SIZE)]
ROOTS = [root_from_leaf_hashes(LEAVES[:n]) for n in range(MAX_SIZE + 1)]


def _rel(path: Path) -> str:
    return path.relative_to(DATA).as_posix()


def _load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _b64_proof(proof: list[str] | None) -> list[bytes]:
    # The golden files encode "no proof" both as null and as [].
    return [_b64(h) for h in proof or []]


def _hex_list(values: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


def _flip_bit(proof: Sequence[bytes], position: int, bit: int) -> list[bytes]:
    tampered = list(proof)
    element = bytearray(tampered[position])
    element[bit // 8 % len(element)] ^= 1 << (bit % 8)
    tampered[position] = bytes(element)
    return tampered


def _store_getter(store: dict[tuple[int, int], bytes]) -> Callable[[int, int], bytes]:
    def get_perfect(level: int, index: int) -> bytes:
        return store[(level, index)]

    return get_perfect


def _sides(index: int, tree_size: int) -> list[bool]:
    """For each element of PATH(index, n): True when the sibling lies left of the leaf."""
    return [end <= index for _, end in subtree_nodes_for_inclusion(index, tree_size)]


# --------------------------------------------------------------------------- golden files


def test_golden_folders_hold_the_expected_files() -> None:
    inclusion_good = [p for p in INCLUSION_FILES if not _load(p)["wantErr"]]
    consistency_good = [p for p in CONSISTENCY_FILES if not _load(p)["wantErr"]]
    assert (len(INCLUSION_FILES), len(inclusion_good)) == (98, 6)
    assert (len(CONSISTENCY_FILES), len(consistency_good)) == (98, 6)
    assert (DATA / "LICENSE").read_text(encoding="utf-8").lstrip().startswith("Apache License")


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_rel)
def test_golden_inclusion_proof_is_accepted_or_rejected_as_specified(path: Path) -> None:
    case = _load(path)
    leaf, root = _b64(case["leafHash"]), _b64(case["root"])
    proof = _b64_proof(case["proof"])
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(leaf, case["leafIdx"], case["treeSize"], proof, root)
    else:
        verify_inclusion(leaf, case["leafIdx"], case["treeSize"], proof, root)
        assert root_from_inclusion_proof(leaf, case["leafIdx"], case["treeSize"], proof) == root


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_rel)
def test_golden_consistency_proof_is_accepted_or_rejected_as_specified(path: Path) -> None:
    case = _load(path)
    old_root, new_root = _b64(case["root1"]), _b64(case["root2"])
    proof = _b64_proof(case["proof"])
    if case["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(case["size1"], case["size2"], old_root, new_root, proof)
    else:
        verify_consistency(case["size1"], case["size2"], old_root, new_root, proof)


def test_constants_transcription_of_golden_files_matches_the_files() -> None:
    for relative, expected in CONSTANTS["golden_json_verbatim"].items():
        path = DATA / Path(relative).relative_to("testdata")
        assert _load(path) == expected, relative


# --------------------------------------------------------------------------- reference constants


def test_hasher_reproduces_reference_vectors() -> None:
    empty, empty_leaf, leaf, node = CONSTANTS["hasher_vectors"]
    assert bytes.fromhex(empty["want_hex"]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert leaf_hash(b"") == bytes.fromhex(empty_leaf["want_hex"])
    assert leaf_hash(leaf["input_ascii"].encode()) == bytes.fromhex(leaf["want_hex"])
    assert node_hash(node["left_ascii"].encode(), node["right_ascii"].encode()) == bytes.fromhex(
        node["want_hex"]
    )
    assert len(EMPTY_ROOT) == HASH_SIZE


def test_leaf_hash_reproduces_reference_leaf_hashes() -> None:
    inputs = _hex_list(CONSTANTS["leaf_inputs_hex"])
    assert [leaf_hash(d) for d in inputs] == _hex_list(CONSTANTS["leaf_hashes_hex"])


def test_perfect_subtree_hashes_reproduce_reference_node_hashes() -> None:
    leaves = [leaf_hash(d) for d in _hex_list(CONSTANTS["leaf_inputs_hex"])]
    expected = {
        (int(level), index): bytes.fromhex(h)
        for level, hashes in CONSTANTS["node_hashes_by_level"].items()
        for index, h in enumerate(hashes)
    }
    assert perfect_subtree_hashes(leaves) == expected


def test_root_reproduces_reference_roots_of_sizes_0_to_8() -> None:
    leaves = [leaf_hash(d) for d in _hex_list(CONSTANTS["leaf_inputs_hex"])]
    get_perfect = _store_getter(perfect_subtree_hashes(leaves))
    for size, root_hex in CONSTANTS["root_hashes_by_size_hex"].items():
        n = int(size)
        expected = bytes.fromhex(root_hex)
        assert root_from_leaf_hashes(leaves[:n]) == expected, n
        assert root_from_store(get_perfect, n) == expected, n
        folded = fold_root(
            [root_from_leaf_hashes(leaves[s:e]) for s, e in subtree_nodes_for_root(n)]
        )
        assert folded == expected, n


@pytest.mark.parametrize(
    "case",
    CONSTANTS["inclusion_proofs"],
    ids=lambda c: f"leaf{c['leaf_index_0based']}-of-{c['tree_size']}",
)
def test_inclusion_proof_reproduces_reference_proof(case: dict[str, Any]) -> None:
    leaves = [leaf_hash(d) for d in _hex_list(CONSTANTS["leaf_inputs_hex"])][: case["tree_size"]]
    index = case["leaf_index_0based"]
    proof = inclusion_proof(leaves, index)
    assert proof == _hex_list(case["proof_hex"])
    assert leaves[index] == bytes.fromhex(case["leaf_hash_hex"])
    verify_inclusion(
        leaves[index], index, case["tree_size"], proof, bytes.fromhex(case["expected_root_hex"])
    )


@pytest.mark.parametrize(
    "case", CONSTANTS["consistency_proofs"], ids=lambda c: f"{c['size1']}-to-{c['size2']}"
)
def test_consistency_proof_reproduces_reference_proof(case: dict[str, Any]) -> None:
    leaves = [leaf_hash(d) for d in _hex_list(CONSTANTS["leaf_inputs_hex"])][: case["size2"]]
    proof = consistency_proof(leaves, case["size1"])
    assert proof == _hex_list(case["proof_hex"])
    old_root, new_root = bytes.fromhex(case["root1_hex"]), bytes.fromhex(case["root2_hex"])
    assert root_from_leaf_hashes(leaves[: case["size1"]]) == old_root
    assert root_from_leaf_hashes(leaves) == new_root
    verify_consistency(case["size1"], case["size2"], old_root, new_root, proof)


# --------------------------------------------------------------------------- exhaustive small trees


def test_empty_tree_root_is_sha256_of_the_empty_string() -> None:
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert fold_root([]) == EMPTY_ROOT
    assert subtree_nodes_for_root(0) == []


@pytest.mark.parametrize("n", range(1, 65))
def test_inclusion_proof_verifies_and_every_tampering_is_rejected(n: int) -> None:
    leaves, root = LEAVES[:n], ROOTS[n]
    for index in range(n):
        proof = inclusion_proof(leaves, index)
        verify_inclusion(leaves[index], index, n, proof, root)
        assert root_from_inclusion_proof(leaves[index], index, n, proof) == root
        for position in range(len(proof)):
            for bit in (0, (index + position) % (8 * HASH_SIZE), 8 * HASH_SIZE - 1):
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], index, n, _flip_bit(proof, position, bit), root)
        if n > 1:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[(index + 1) % n], index, n, proof, root)
        for wrong_index in {index - 1, index + 1, index ^ 1, n - 1 - index, n, 2 * n} - {index}:
            with pytest.raises(ProofError):
                verify_inclusion(leaves[index], wrong_index, n, proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaves[index], index, n, proof, ROOTS[n - 1])


@pytest.mark.parametrize("n", range(1, 65))
def test_inclusion_proof_for_another_tree_size_is_rejected_unless_the_path_has_the_same_shape(
    n: int,
) -> None:
    # A proof binds leaf and root, not the size: the same hashes verify for another size whenever
    # that size gives the leaf a path of the same length and the same left/right sides (the
    # signed tree head is what binds size and root). Every other wrong size must be rejected.
    leaves, root = LEAVES[:n], ROOTS[n]
    for index in range(n):
        proof = inclusion_proof(leaves, index)
        for wrong_size in {0, index, n - 1, n + 1, 2 * n, n + 64} - {n}:
            if wrong_size > index and _sides(index, wrong_size) == _sides(index, n):
                verify_inclusion(leaves[index], index, wrong_size, proof, root)
            else:
                with pytest.raises(ProofError):
                    verify_inclusion(leaves[index], index, wrong_size, proof, root)


def test_inclusion_proof_does_not_bind_the_tree_size_on_its_own() -> None:
    leaves = LEAVES[:3]
    proof = inclusion_proof(leaves, 0)  # [leaf 1, leaf 2]
    verify_inclusion(leaves[0], 0, 4, proof, ROOTS[3])  # same shape in a tree of 4
    with pytest.raises(ProofError, match="needs exactly 3"):
        verify_inclusion(leaves[0], 0, 5, proof, ROOTS[3])


@pytest.mark.parametrize("n", range(1, 65))
def test_consistency_proof_verifies_and_every_tampering_is_rejected(n: int) -> None:
    leaves = LEAVES[:n]
    for m in range(1, n + 1):
        proof = consistency_proof(leaves, m)
        verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)
        for position in range(len(proof)):
            for bit in (0, (m + position) % (8 * HASH_SIZE)):
                with pytest.raises(ProofError):
                    verify_consistency(m, n, ROOTS[m], ROOTS[n], _flip_bit(proof, position, bit))
            dropped = proof[:position] + proof[position + 1 :]
            with pytest.raises(ProofError):
                verify_consistency(m, n, ROOTS[m], ROOTS[n], dropped)
        with pytest.raises(ProofError):
            verify_consistency(m, n, ROOTS[m], ROOTS[n], [*proof, ROOTS[m]])
        with pytest.raises(ProofError):
            verify_consistency(m, n, ROOTS[m - 1], ROOTS[n], proof)
        if m < n:
            with pytest.raises(ProofError):
                verify_consistency(m, n, ROOTS[n], ROOTS[m], proof)
            with pytest.raises(ProofError):
                verify_consistency(m, n, ROOTS[m], ROOTS[n - 1], proof)


def test_consistency_from_the_empty_tree_is_not_provable() -> None:
    assert consistency_proof(LEAVES[:5], 0) == []
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    with pytest.raises(ProofError, match="empty tree"):
        verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])


def test_verifier_messages_name_the_failed_check() -> None:
    leaves = LEAVES[:8]
    proof = inclusion_proof(leaves, 5)
    with pytest.raises(ProofError, match="not below the tree size 8"):
        verify_inclusion(leaves[5], 8, 8, proof, ROOTS[8])
    with pytest.raises(ProofError, match="leaf hash is 31 bytes"):
        verify_inclusion(leaves[5][:31], 5, 8, proof, ROOTS[8])
    with pytest.raises(ProofError, match="element 1 is 0 bytes"):
        verify_inclusion(leaves[5], 5, 8, [proof[0], b"", proof[2]], ROOTS[8])
    with pytest.raises(ProofError, match="leads to root"):
        verify_inclusion(leaves[4], 5, 8, proof, ROOTS[8])
    cproof = consistency_proof(leaves, 6)
    with pytest.raises(ProofError, match="larger than new tree size"):
        verify_consistency(8, 6, ROOTS[8], ROOTS[6], cproof)
    with pytest.raises(ProofError, match="rebuilds old root"):
        verify_consistency(6, 8, ROOTS[5], ROOTS[8], cproof)
    with pytest.raises(ProofError, match="rebuilds new root"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[7], cproof)
    with pytest.raises(ProofError, match="need exactly 3"):
        verify_consistency(6, 8, ROOTS[6], ROOTS[8], cproof[:2])
    assert issubclass(ProofError, ValueError)


def test_generators_reject_positions_outside_the_tree() -> None:
    with pytest.raises(ValueError, match="outside a tree of size 3"):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError, match="larger than the tree size"):
        consistency_proof(LEAVES[:3], 4)
    with pytest.raises(ValueError, match="outside a tree of size 0"):
        subtree_nodes_for_inclusion(0, 0)


# --------------------------------------------------------------------------- stored tree


def test_store_based_proofs_and_roots_equal_list_based_ones_for_sizes_1_to_70() -> None:
    for n in range(1, MAX_SIZE + 1):
        leaves = LEAVES[:n]
        get_perfect = _store_getter(perfect_subtree_hashes(leaves))  # KeyError past the tree
        assert root_from_store(get_perfect, n) == ROOTS[n]
        for index in range(n):
            assert inclusion_proof_from_store(get_perfect, index, n) == inclusion_proof(
                leaves, index
            ), (index, n)
        for old_size in range(n + 1):
            assert consistency_proof_from_store(get_perfect, old_size, n) == consistency_proof(
                leaves, old_size
            ), (old_size, n)


def test_proof_ranges_are_perfect_subtrees_except_at_most_one_ending_at_the_tree_size() -> None:
    def is_perfect(start: int, end: int) -> bool:
        size = end - start
        return size > 0 and size & (size - 1) == 0 and start % size == 0

    for n in range(1, MAX_SIZE + 1):
        groups = [subtree_nodes_for_inclusion(i, n) for i in range(n)]
        groups += [subtree_nodes_for_consistency(m, n) for m in range(n + 1)]
        groups.append(subtree_nodes_for_root(n))
        for ranges in groups:
            irregular = [(s, e) for s, e in ranges if not is_perfect(s, e)]
            assert len(irregular) <= 1, (n, ranges)
            assert all(e == n for _, e in irregular), (n, ranges)
        assert all(is_perfect(s, e) for s, e in subtree_nodes_for_root(n))
        sizes = [e - s for s, e in subtree_nodes_for_root(n)]
        assert sizes == sorted(sizes, reverse=True) and sum(sizes) == n


def test_range_hash_of_every_subtree_range_is_the_mth_of_its_leaves() -> None:
    get_perfect = _store_getter(perfect_subtree_hashes(LEAVES))
    checked = 0
    for start in range(MAX_SIZE):
        for end in range(start + 1, MAX_SIZE + 1):
            span = 1 << (end - start - 1).bit_length()
            if start % span:
                with pytest.raises(ValueError, match="not a subtree"):
                    range_hash(get_perfect, start, end)
            else:
                assert range_hash(get_perfect, start, end) == root_from_leaf_hashes(
                    LEAVES[start:end]
                )
                checked += 1
    assert checked > MAX_SIZE
    assert range_hash(get_perfect, 5, 5) == EMPTY_ROOT


def test_perfect_subtrees_completed_by_an_append_are_exactly_the_stored_nodes() -> None:
    seen: set[tuple[int, int]] = set()
    for leaf_index in range(MAX_SIZE):
        completed = perfect_subtrees_completed_by(leaf_index)
        for level, index in completed:
            assert ((index + 1) << level) - 1 == leaf_index
        assert [level for level, _ in completed] == list(range(len(completed)))
        seen.update(completed)
        assert seen == set(perfect_subtree_hashes(LEAVES[: leaf_index + 1]))


def test_perfect_subtree_keys_decompose_a_subtree_range_largest_first() -> None:
    assert perfect_subtree_keys(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert perfect_subtree_keys(8, 13) == [(2, 2), (0, 12)]
    assert perfect_subtree_keys(0, 0) == []
    with pytest.raises(ValueError, match="multiple of 4"):
        perfect_subtree_keys(2, 5)


@pytest.mark.parametrize("tree_size", [1_000_000, (1 << 20) - 1])
def test_store_lookups_stay_logarithmic_at_a_million_leaves(tree_size: int) -> None:
    bound = 2 * math.log2(tree_size) + 2
    lookups: list[tuple[int, int]] = []

    def get_perfect(level: int, index: int) -> bytes:
        assert level >= 0 and index >= 0 and (index + 1) << level <= tree_size, (level, index)
        lookups.append((level, index))
        return hashlib.sha256(f"{level}/{index}".encode()).digest()

    root_from_store(get_perfect, tree_size)
    assert len(lookups) == tree_size.bit_count()

    for index in (0, 1, 2, 123_456, 499_999, 524_287, 524_288, 999_998, tree_size - 1):
        lookups.clear()
        proof = inclusion_proof_from_store(get_perfect, index, tree_size)
        assert len(lookups) <= bound, (index, len(lookups))
        assert len(proof) == len(subtree_nodes_for_inclusion(index, tree_size))
        assert all(len(h) == HASH_SIZE for h in proof)

    for old_size in (1, 2, 3, 511, 123_457, 524_288, 524_289, tree_size - 1, tree_size):
        lookups.clear()
        proof = consistency_proof_from_store(get_perfect, old_size, tree_size)
        assert len(lookups) <= bound, (old_size, len(lookups))
        assert len(proof) == len(subtree_nodes_for_consistency(old_size, tree_size))


def test_a_compact_range_gives_the_root_at_every_size_and_the_subtrees_it_completes() -> None:
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(33)]
    stack: list[tuple[int, bytes]] = []
    assert merkle.compact_range_root(stack) == merkle.root_from_leaf_hashes([])
    completed = {}
    for index, leaf in enumerate(leaves):
        for level, digest in merkle.compact_range_push(stack, leaf):
            completed[(level, index >> level)] = digest
        assert merkle.compact_range_root(stack) == merkle.root_from_leaf_hashes(leaves[: index + 1])
    expected = merkle.perfect_subtree_hashes(leaves)
    assert completed == {k: v for k, v in expected.items() if k[0] >= 1}
