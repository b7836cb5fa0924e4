"""Merkle tree math of RFC 9162 (Certificate Transparency v2), section 2.1, with SHA-256.

Hashing (RFC 9162 2.1.1):

* leaf hash ``SHA-256(0x00 || data)``;
* node hash ``SHA-256(0x01 || left || right)``;
* the Merkle Tree Hash (MTH) of the empty tree is ``SHA-256("")``;
* ``MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n]))`` where ``k`` is the largest power of two
  smaller than ``n``.

Three layers live here:

1. List-based functions (:func:`root_from_leaf_hashes`, :func:`inclusion_proof`,
   :func:`consistency_proof`) that follow the recursive definitions of the RFC literally over a
   sequence of *leaf hashes*. They are the reference, O(n) per call.
2. Verifiers (:func:`verify_inclusion`, :func:`verify_consistency`) implementing the
   algorithms of RFC 9162 2.1.3.2 and 2.1.4.2; they raise :class:`ProofError` naming the check
   that failed.
3. Helpers for a *stored* tree. The log stores the hash of every perfect subtree, keyed by
   ``(level, index)``: the hash of leaves ``[index * 2**level, (index + 1) * 2**level)``
   (level 0 holds the leaf hashes). Proof and root computation then reads O(log n) stored
   hashes instead of rehashing the tree.

Leaf ranges. Every range ``(start, end)`` (half-open, leaf positions) returned by
:func:`subtree_nodes_for_inclusion`, :func:`subtree_nodes_for_consistency` and
:func:`subtree_nodes_for_root` is a *subtree range*: ``start`` is a multiple of the smallest
power of two that is ``>= end - start``. Such a range is either

* a perfect subtree (``end - start`` is a power of two), one stored hash
  ``(level, start >> level)``; or
* the rightmost part of a non-full tree (``end`` equals the tree size). Its MTH is the
  right-to-left fold (:func:`fold_root`) of the perfect subtrees given by the binary
  decomposition of ``end - start``, largest first (:func:`perfect_subtree_keys`).

In an inclusion or consistency proof at most one range is of the second kind, so a proof costs
at most ``len(proof) - 1 + popcount(tree_size)`` lookups. :func:`range_hash` computes the MTH
of any subtree range from perfect-subtree lookups alone.

Standard library only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "GetPerfect",
    "ProofError",
    "consistency_proof",
    "consistency_proof_from_store",
    "fold_root",
    "inclusion_proof",
    "inclusion_proof_from_store",
    "leaf_hash",
    "node_hash",
    "perfect_subtree_hashes",
    "perfect_subtree_keys",
    "perfect_subtrees_completed_by",
    "range_hash",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_from_store",
    "subtree_nodes_for_consistency",
    "subtree_nodes_for_inclusion",
    "subtree_nodes_for_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of a SHA-256 digest, hence of every leaf, node and root hash."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

GetPerfect = Callable[[int, int], bytes]
"""``get_perfect(level, index)``: the stored hash of leaves
``[index * 2**level, (index + 1) * 2**level)``."""


class ProofError(ValueError):
    """An inclusion or consistency proof was rejected; the message names the failed check."""


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one log entry."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()
"""MTH of the empty tree: the SHA-256 of the empty string."""


# --------------------------------------------------------------------------- bit helpers


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n >= 2``): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _require_non_negative(name: str, value: int) -> None:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


# --------------------------------------------------------------------------- list-based (RFC)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) over leaf hashes, by the recursive definition (hi > lo)."""
    size = hi - lo
    if size == 1:
        return leaves[lo]
    k = _largest_power_of_two_below(size)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root_from_leaf_hashes(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of a tree whose leaves have the given *leaf hashes* (not entry data)."""
    if not leaves:
        return EMPTY_ROOT
    return _mth(leaves, 0, len(leaves))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 2.1.3.1 over leaf hashes, ordered from the leaf upwards."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of size {n}")
    path: list[bytes] = []
    lo, hi = 0, n
    # Walk down from the root; collect siblings top-down, then return them bottom-up.
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            path.append(_mth(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaves, lo, lo + k))
            lo = lo + k
    path.reverse()
    return path


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 2.1.4.1 over leaf hashes.

    Returns ``[]`` when ``old_size == n`` (nothing to prove) and when ``old_size == 0`` (a
    consistency proof from the empty tree is meaningless; :func:`verify_consistency` rejects
    ``old_size == 0``).
    """
    n = len(leaves)
    _require_non_negative("old_size", old_size)
    if old_size > n:
        raise ValueError(f"old size {old_size} is larger than the tree size {n}")
    if old_size in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, complete = 0, n, True
    # SUBPROOF(m, D[lo:hi], b), with m as an absolute leaf position.
    while old_size != hi:
        k = _largest_power_of_two_below(hi - lo)
        if old_size <= lo + k:
            proof.append(_mth(leaves, lo + k, hi))
            hi = lo + k
        else:
            proof.append(_mth(leaves, lo, lo + k))
            lo, complete = lo + k, False
    if not complete:
        proof.append(_mth(leaves, lo, hi))
    proof.reverse()
    return proof


# --------------------------------------------------------------------------- verifiers


def _check_hash(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes long, expected {HASH_SIZE}")


def _inclusion_proof_length(index: int, tree_size: int) -> int:
    """Length of PATH(index, D[tree_size]) (0 <= index < tree_size)."""
    inner = (index ^ (tree_size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner + border


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    """Length of PROOF(old_size, D[new_size]) (0 < old_size < new_size)."""
    shift = (old_size & -old_size).bit_length() - 1  # trailing zero bits of old_size
    index = old_size - 1
    inner = (index ^ (new_size - 1)).bit_length()
    border = (index >> inner).bit_count()
    seed_in_proof = 0 if old_size == 1 << shift else 1
    return seed_in_proof + inner - shift + border


def root_from_inclusion_proof(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes]
) -> bytes:
    """The root that ``proof`` proves ``leaf`` (a leaf hash) at ``index`` to be under.

    Follows RFC 9162 2.1.3.2 steps 1 to 4 (and the ``sn == 0`` part of step 5); raises
    :class:`ProofError` when the inputs cannot form a proof.
    """
    if tree_size <= 0:
        raise ProofError(f"tree size {tree_size} has no leaves to prove inclusion in")
    if index < 0:
        raise ProofError(f"leaf index {index} is negative")
    if index >= tree_size:
        raise ProofError(f"leaf index {index} is not below the tree size {tree_size}")
    _check_hash("leaf hash", leaf)
    expected = _inclusion_proof_length(index, tree_size)
    if len(proof) != expected:
        raise ProofError(
            f"inclusion proof has {len(proof)} hashes; leaf {index} of a tree of size "
            f"{tree_size} needs exactly {expected}"
        )
    for position, element in enumerate(proof):
        _check_hash(f"inclusion proof element {position}", element)

    fn, sn, r = index, tree_size - 1, leaf
    for element in proof:
        if sn == 0:  # unreachable after the length check; kept as the RFC states it
            raise ProofError("inclusion proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            r = node_hash(element, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, element)
        fn >>= 1
        sn >>= 1
    if sn != 0:  # unreachable after the length check; kept as the RFC states it
        raise ProofError("inclusion proof is shorter than the path to the root")
    return r


def verify_inclusion(
    leaf: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an inclusion proof (RFC 9162 2.1.3.2); raise :class:`ProofError` if it fails.

    ``leaf`` is the leaf *hash*, ``index`` is 0-based. The proof binds the leaf to ``root``; it
    does not bind ``tree_size`` on its own (the signed tree head binds size and root).
    """
    computed = root_from_inclusion_proof(leaf, index, tree_size, proof)
    _check_hash("root hash", root)
    if computed != root:
        raise ProofError(
            f"inclusion proof for leaf {index} of a tree of size {tree_size} leads to root "
            f"{computed.hex()}, not the expected {root.hex()}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check a consistency proof (RFC 9162 2.1.4.2); raise :class:`ProofError` if it fails.

    Edge cases, as the transparency-dev/merkle golden files require:

    * ``old_size == 0`` is rejected, also when ``new_size == 0``: a proof from the empty tree
      proves nothing (RFC 9162 defines verification for ``0 < first``).
    * ``old_size == new_size``: the proof must be empty and the two roots byte-equal; nothing
      is hashed, so the roots are compared as opaque values (no length check).
    """
    if old_size < 0 or new_size < 0:
        raise ProofError(f"tree sizes must not be negative, got {old_size} and {new_size}")
    if old_size > new_size:
        raise ProofError(f"old tree size {old_size} is larger than new tree size {new_size}")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree (old size 0) is meaningless")
    if old_size == new_size:
        if proof:
            raise ProofError(
                f"tree sizes are equal ({old_size}) but the proof has {len(proof)} hashes"
            )
        if old_root != new_root:
            raise ProofError(f"tree sizes are equal ({old_size}) but the roots differ")
        return
    if not proof:
        raise ProofError("consistency proof is empty (RFC 9162 2.1.4.2 step 1)")
    _check_hash("old root hash", old_root)
    _check_hash("new root hash", new_root)
    expected = _consistency_proof_length(old_size, new_size)
    if len(proof) != expected:
        raise ProofError(
            f"consistency proof has {len(proof)} hashes; sizes {old_size} -> {new_size} "
            f"need exactly {expected}"
        )
    for position, element in enumerate(proof):
        _check_hash(f"consistency proof element {position}", element)

    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2: old size is a power of two
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for element in path[1:]:  # step 6
        if sn == 0:  # unreachable after the length check; kept as the RFC states it
            raise ProofError("consistency proof is longer than the path to the new root")
        if fn & 1 or fn == sn:
            fr = node_hash(element, fr)
            sr = node_hash(element, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, element)
        fn >>= 1
        sn >>= 1
    # step 7
    if sn != 0:  # unreachable after the length check; kept as the RFC states it
        raise ProofError("consistency proof is shorter than the path to the new root")
    if fr != old_root:
        raise ProofError(
            f"consistency proof rebuilds old root {fr.hex()} for size {old_size}, "
            f"not the expected {old_root.hex()}"
        )
    if sr != new_root:
        raise ProofError(
            f"consistency proof rebuilds new root {sr.hex()} for size {new_size}, "
            f"not the expected {new_root.hex()}"
        )


# --------------------------------------------------------------------------- leaf ranges


def subtree_nodes_for_inclusion(index: int, tree_size: int) -> list[tuple[int, int]]:
    """Leaf ranges ``(start, end)`` whose MTHs make PATH(index, D[tree_size]), in proof order.

    All ranges are perfect subtrees except possibly one that ends at ``tree_size`` (the right
    part of a non-full tree); see the module docstring.
    """
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of size {tree_size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, tree_size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def subtree_nodes_for_consistency(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs make PROOF(old_size, D[new_size]), in proof order.

    ``[]`` when ``old_size`` is 0 or equals ``new_size``. All ranges are perfect subtrees except
    possibly one that ends at ``new_size``.
    """
    _require_non_negative("old_size", old_size)
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than the new size {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    lo, hi, complete = 0, new_size, True
    while old_size != hi:
        k = _largest_power_of_two_below(hi - lo)
        if old_size <= lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, complete = lo + k, False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def subtree_nodes_for_root(tree_size: int) -> list[tuple[int, int]]:
    """The perfect subtrees covering ``[0, tree_size)``, largest first (binary decomposition).

    Their hashes, folded right-to-left by :func:`fold_root`, give MTH(D[tree_size]).
    """
    _require_non_negative("tree_size", tree_size)
    return [
        (index << level, (index + 1) << level)
        for level, index in perfect_subtree_keys(0, tree_size)
    ]


def compact_range_push(stack: list[tuple[int, bytes]], leaf_hash: bytes) -> list[tuple[int, bytes]]:
    """Append a leaf to a compact range — the (level, hash) of the perfect subtrees covering
    the leaves so far, largest first — in place; return the (level, hash) of every subtree of
    level ≥ 1 the leaf completes. Streaming a log through this gives its root at every size
    (:func:`compact_range_root`) in O(log n) memory."""
    completed = []
    level, digest = 0, leaf_hash
    while stack and stack[-1][0] == level:
        digest = node_hash(stack.pop()[1], digest)
        level += 1
        completed.append((level, digest))
    stack.append((level, digest))
    return completed


def compact_range_root(stack: Sequence[tuple[int, bytes]]) -> bytes:
    """The root of the leaves pushed so far (see :func:`compact_range_push`)."""
    return fold_root([digest for _, digest in stack])


def fold_root(perfect_subtree_hashes: Sequence[bytes]) -> bytes:
    """Fold the hashes of :func:`subtree_nodes_for_root` (largest first) into the MTH.

    ``MTH = node(h0, node(h1, ... node(h_{k-2}, h_{k-1})))``; the empty sequence gives
    :data:`EMPTY_ROOT`.
    """
    if not perfect_subtree_hashes:
        return EMPTY_ROOT
    acc = perfect_subtree_hashes[-1]
    for h in reversed(perfect_subtree_hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def perfect_subtree_keys(start: int, end: int) -> list[tuple[int, int]]:
    """``(level, index)`` keys of the perfect subtrees making up the subtree range, largest first.

    ``[start, end)`` must be a subtree range: ``start`` a multiple of the smallest power of two
    ``>= end - start`` (any range returned by the ``subtree_nodes_for_*`` functions is). The
    key count is ``popcount(end - start)``.
    """
    _require_non_negative("start", start)
    if end < start:
        raise ValueError(f"range end {end} is before its start {start}")
    size = end - start
    if size == 0:
        return []
    span = 1 << (size - 1).bit_length()  # smallest power of two >= size
    if start % span:
        raise ValueError(
            f"range [{start}, {end}) is not a subtree of the log: its start must be a multiple "
            f"of {span}"
        )
    keys: list[tuple[int, int]] = []
    position = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def range_hash(get_perfect: GetPerfect, start: int, end: int) -> bytes:
    """MTH of the leaves ``[start, end)`` from perfect-subtree lookups only.

    ``[start, end)`` must be a subtree range (see :func:`perfect_subtree_keys`); the empty
    range gives :data:`EMPTY_ROOT`. Makes ``popcount(end - start)`` lookups, at most
    ``log2(end - start) + 1``.
    """
    return fold_root(
        [get_perfect(level, index) for level, index in perfect_subtree_keys(start, end)]
    )


def root_from_store(get_perfect: GetPerfect, tree_size: int) -> bytes:
    """MTH(D[tree_size]) from stored perfect subtrees (``popcount(tree_size)`` lookups)."""
    _require_non_negative("tree_size", tree_size)
    return range_hash(get_perfect, 0, tree_size)


def inclusion_proof_from_store(get_perfect: GetPerfect, index: int, tree_size: int) -> list[bytes]:
    """PATH(index, D[tree_size]) from stored perfect subtrees, at most ``2*log2(n) + 1`` lookups."""
    return [
        range_hash(get_perfect, start, end)
        for start, end in subtree_nodes_for_inclusion(index, tree_size)
    ]


def consistency_proof_from_store(
    get_perfect: GetPerfect, old_size: int, new_size: int
) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from stored perfect subtrees, O(log n) lookups."""
    return [
        range_hash(get_perfect, start, end)
        for start, end in subtree_nodes_for_consistency(old_size, new_size)
    ]


# --------------------------------------------------------------------------- building the store


def perfect_subtrees_completed_by(leaf_index: int) -> list[tuple[int, int]]:
    """``(level, index)`` keys of the perfect subtrees whose last leaf is ``leaf_index``.

    When leaf ``leaf_index`` is appended these become complete and can be stored: the leaf
    itself (level 0), then one more per trailing one bit of ``leaf_index``. Lowest level first,
    so each node's children are listed before it.
    """
    _require_non_negative("leaf_index", leaf_index)
    count = leaf_index + 1
    levels = (count & -count).bit_length()  # trailing zeros of count, plus one
    return [(level, leaf_index >> level) for level in range(levels)]


def perfect_subtree_hashes(leaves: Sequence[bytes]) -> dict[tuple[int, int], bytes]:
    """Every perfect subtree hash of the tree over ``leaves`` (leaf hashes), keyed by
    ``(level, index)``: what the log stores."""
    store: dict[tuple[int, int], bytes] = {}
    for leaf_index, leaf in enumerate(leaves):
        for level, index in perfect_subtrees_completed_by(leaf_index):
            if level == 0:
                store[(0, index)] = leaf
            else:
                store[(level, index)] = node_hash(
                    store[(level - 1, 2 * index)], store[(level - 1, 2 * index + 1)]
                )
    return store
