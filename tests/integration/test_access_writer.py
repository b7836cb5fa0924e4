"""The server's access writer (lawtrail.web.access_writer, issue #18): a worker's thread sends
its access entry over the writer's Unix socket and gets the receipt of the committed entry —
or the error the writer's transaction hit; a worker that cannot reach the writer appends the
entry itself."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from lawtrail.core.timeutil import SHANGHAI
from lawtrail.ledger.log import NewEntry, Receipt
from lawtrail.web import access_writer

AGENCY = "tonghua-market"


class Recorder:
    """An appender that numbers what it is given (and fails on request)."""

    def __init__(self, fail: bool = False) -> None:
        self.got: list[tuple[str, NewEntry]] = []
        self.fail = fail
        self._lock = threading.Lock()

    def append(self, agency: str, entry: NewEntry) -> Receipt:
        if self.fail:
            raise RuntimeError("数据库不可用")
        with self._lock:
            self.got.append((agency, entry))
            seq = len(self.got) - 1
        at = datetime(2026, 12, 3, 10, 0, seq % 60, 123456, tzinfo=SHANGHAI)
        return Receipt(agency, seq, bytes([seq % 256]) * 32, at, None if seq % 2 else seq + 1)


def view(n: int) -> NewEntry:
    body = {"user": "market.handler", "name": "张三", "roles": ["handler"], "n": n}
    return NewEntry("通市监罚〔2026〕12号", "access", "通市监罚〔2026〕12号", body, "")


@pytest.fixture
def short_dir() -> Path:
    # A Unix socket's path is limited to about 100 bytes: not under pytest's tmp_path.
    import tempfile

    return Path(tempfile.mkdtemp(prefix="lt-aw-"))


def test_every_thread_gets_the_receipt_of_its_own_entry(short_dir: Path) -> None:
    cleanup: list[Callable[[], None]] = []
    recorder = Recorder()
    path = str(short_dir / "a.sock")
    server = access_writer.serve(path, recorder)
    try:
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0  # the owner's only
        client = access_writer.WriterClient(path, fallback=lambda: Recorder(fail=True))
        cleanup.append(client.close)
        got: dict[int, list[Receipt]] = {}

        def run(t: int) -> None:
            got[t] = [client.append(AGENCY, view(t * 100 + n)) for n in range(25)]

        threads = [threading.Thread(target=run, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        receipts = [r for t in sorted(got) for r in got[t]]
        assert len(receipts) == 200 == len(recorder.got)
        assert sorted(r.seq for r in receipts) == list(range(200))
        for receipt in receipts:  # each receipt is the one for the entry it sent, whole
            agency, entry = recorder.got[receipt.seq]
            assert agency == AGENCY and entry.body["n"] in {
                r_n for t in got for r_n in range(t * 100, t * 100 + 25)
            }
            assert receipt.leaf_hash == bytes([receipt.seq % 256]) * 32
            assert receipt.recorded_at.tzinfo is not None and receipt.recorded_at.microsecond
            assert receipt.checkpoint_size == (None if receipt.seq % 2 else receipt.seq + 1)
        sent = {entry.body["n"]: entry for _, entry in recorder.got}
        assert sent[305] == view(305)  # body, names and all, as the view made it
    finally:
        for close in cleanup:
            close()
        server.shutdown()
        server.server_close()


def test_the_writers_error_fails_the_view(short_dir: Path) -> None:
    path = str(short_dir / "b.sock")
    server = access_writer.serve(path, Recorder(fail=True))
    fallback = Recorder()
    try:
        client = access_writer.WriterClient(path, fallback=lambda: fallback)
        with pytest.raises(access_writer.WriterError, match="数据库不可用"):
            client.append(AGENCY, view(1))
        assert fallback.got == []  # reached, and it failed: not appended twice
        client.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_that_cannot_reach_the_writer_appends_itself(short_dir: Path) -> None:
    fallback = Recorder()
    client = access_writer.WriterClient(str(short_dir / "none.sock"), fallback=lambda: fallback)
    receipt = client.append(AGENCY, view(7))
    assert receipt.seq == 0 and fallback.got == [(AGENCY, view(7))]
    # A writer that went away after serving: the next entry is appended here.
    path = str(short_dir / "c.sock")
    writer = Recorder()
    server = access_writer.serve(path, writer)
    client = access_writer.WriterClient(path, fallback=lambda: fallback)
    client.append(AGENCY, view(8))
    server.shutdown()
    server.server_close()  # the writer gone: its connections end
    os.unlink(path)
    client.append(AGENCY, view(9))
    client.close()
    assert [e.body["n"] for _, e in writer.got] == [8]
    assert [e.body["n"] for _, e in fallback.got] == [7, 9]


def test_a_socket_that_cannot_be_bound_raises_the_binds_error(short_dir: Path) -> None:
    """A path the writer cannot listen on (its directory gone): the OS's error is raised, as
    is, not an error of the half-made server's closing."""
    with pytest.raises(FileNotFoundError):
        access_writer.serve(str(short_dir / "gone" / "w.sock"), lambda *args: None)  # type: ignore[arg-type,return-value]
