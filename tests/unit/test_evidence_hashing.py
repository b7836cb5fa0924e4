"""One-pass SHA-256 + SM3 of media: right digests, every byte to the sink, bounded memory."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.evidence.hashing import digest_bytes, digest_stream

VECTORS = json.loads((Path(__file__).parents[1] / "data" / "sm3-gbt32905.json").read_text())


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["input_ascii"][:20])
def test_sm3_matches_the_gbt32905_worked_examples(vector: dict[str, str]) -> None:
    data = bytes.fromhex(vector["input_hex"]) if "input_hex" in vector else b"abc"
    assert digest_stream(io.BytesIO(data)).sm3 == vector["sm3_hex"]
    assert digest_bytes(data).sm3 == vector["sm3_hex"]


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 4096, (1 << 20) + 17, 3 * (1 << 20)])
def test_stream_digests_equal_one_shot_digests_at_any_chunk_boundary(size: int) -> None:
    data = os.urandom(size)
    for chunk_size in (1, 7, 4096, 1 << 20):
        if chunk_size < 4096 and size > 70_000:
            continue  # tiny chunks over megabytes prove nothing more and are slow
        got = digest_stream(io.BytesIO(data), chunk_size=chunk_size)
        assert got == digest_bytes(data)
        assert got.sha256 == hashlib.sha256(data).hexdigest()


def test_the_sink_receives_every_byte_in_order() -> None:
    data = os.urandom(5 * (1 << 20) + 3)
    out = io.BytesIO()
    digests = digest_stream(io.BytesIO(data), sink=out.write)
    assert out.getvalue() == data
    assert digests.size == len(data)


def test_memory_stays_bounded_whatever_the_size() -> None:
    chunk = os.urandom(1 << 20)
    total = 192  # MiB streamed; held in memory at most a few chunks at a time

    def chunks() -> Iterator[bytes]:
        for i in range(total):
            yield chunk[: (1 << 20) - (i % 3)]  # fresh objects, like reads from a file

    tracemalloc.start()
    try:
        digests = digest_stream(chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digests.size == sum((1 << 20) - (i % 3) for i in range(total))
    assert peak < 16 * (1 << 20), f"peak {peak / (1 << 20):.1f} MiB"


def test_an_error_in_the_source_propagates_and_stops_the_threads() -> None:
    def broken() -> Iterator[bytes]:
        yield b"x" * 1000
        raise OSError("设备已断开")

    with pytest.raises(OSError, match="设备已断开"):
        digest_stream(broken())
