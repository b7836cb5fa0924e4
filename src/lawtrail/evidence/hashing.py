"""SHA-256 and SM3 (GB/T 32905) of a stream, in one pass, in bounded memory.

The file is read once, in chunks. Each chunk goes to two hashing threads (hashlib releases the
GIL for large updates, so the two digests run on two cores) and, optionally, to a sink that
writes it to storage in the same pass. Bounded queues hold at most `max_pending` chunks per
hasher, so memory stays at roughly (max_pending + 2) × chunk_size whatever the file's size, and
the slower SM3 sets the pace instead of the sum of both.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_SIZE = 1 << 20  # 1 MiB: large enough that hashlib releases the GIL, small in memory
MAX_PENDING = 4
ALGORITHMS = ("sha256", "sm3")


@dataclass(frozen=True)
class Digests:
    sha256: str
    sm3: str
    size: int


class _Hasher(threading.Thread):
    def __init__(self, algorithm: str, max_pending: int) -> None:
        super().__init__(name=f"digest-{algorithm}", daemon=True)
        self.hash = hashlib.new(algorithm)
        self.inbox: queue.Queue[bytes | None] = queue.Queue(maxsize=max_pending)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (chunk := self.inbox.get()) is not None:
                self.hash.update(chunk)
        except BaseException as exc:  # reported to the caller by put()/finish()
            self.error = exc
            # Drain so the producer never blocks on a dead consumer.
            while self.inbox.get() is not None:
                pass

    def put(self, chunk: bytes | None) -> None:
        self.inbox.put(chunk)
        if self.error is not None:
            raise self.error


def _chunks(source: BinaryIO | Iterable[bytes], chunk_size: int) -> Iterator[bytes]:
    if hasattr(source, "read"):
        reader: Callable[[int], bytes] = source.read
        while chunk := reader(chunk_size):
            yield chunk
    else:
        yield from source


def hash_stream(
    source: BinaryIO | Iterable[bytes],
    algorithms: Sequence[str],
    *,
    sink: Callable[[bytes], object] | None = None,
    chunk_size: int = CHUNK_SIZE,
    max_pending: int = MAX_PENDING,
) -> tuple[dict[str, str], int]:
    """Every digest in `algorithms` (hashlib names) of everything `source` yields, in one pass,
    one thread per algorithm; returns ({algorithm: hex digest}, size)."""
    hashers = [_Hasher(name, max_pending) for name in algorithms]
    for hasher in hashers:
        hasher.start()
    size = 0
    try:
        for chunk in _chunks(source, chunk_size):
            if not chunk:
                continue
            chunk = bytes(chunk)  # immutable: the threads and the sink see the same bytes
            size += len(chunk)
            for hasher in hashers:
                hasher.put(chunk)
            if sink is not None:
                sink(chunk)
    finally:
        for hasher in hashers:
            hasher.inbox.put(None)
        for hasher in hashers:
            hasher.join()
    for hasher in hashers:
        if hasher.error is not None:
            raise hasher.error
    return {name: h.hash.hexdigest() for name, h in zip(algorithms, hashers, strict=True)}, size


def digest_stream(
    source: BinaryIO | Iterable[bytes],
    *,
    sink: Callable[[bytes], object] | None = None,
    chunk_size: int = CHUNK_SIZE,
    max_pending: int = MAX_PENDING,
) -> Digests:
    """Digest everything `source` yields (a binary file or an iterable of byte chunks)."""
    digests, size = hash_stream(
        source, ALGORITHMS, sink=sink, chunk_size=chunk_size, max_pending=max_pending
    )
    return Digests(sha256=digests["sha256"], sm3=digests["sm3"], size=size)


def digest_bytes(data: bytes) -> Digests:
    return Digests(
        sha256=hashlib.sha256(data).hexdigest(),
        sm3=hashlib.new("sm3", data).hexdigest(),
        size=len(data),
    )
