"""The ledger's disk filling up mid-run (issue #18): a writer process appends to a SQLite ledger
on a 2 MiB tmpfs until the disk is full. The append that does not fit fails with a Chinese
error and nothing of it is stored; every entry acknowledged before is there, in order, signed
into its checkpoint, and the log verifies. (The media store's full disk is in
tests/integration/web/test_upload_faults.py, on both databases; PostgreSQL's own disk is the
server administrator's, not something a test can fill on the shared server.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.verify import verify
from tests.integration.ledger_appender import ref
from tests.integration.test_ledger_concurrency import (
    AGENCY,
    Appender,
    appenders,
    assert_acks_stored,
    assert_intact,
    checkpoint_sizes,
    create_log,
    open_ledger,
    stored_log,
)
from tests.tmpfs import tiny_tmpfs

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    with tiny_tmpfs(tmp_path / "disk", "2m") as mount_point:
        yield mount_point


def test_a_full_disk_stops_the_writer_with_a_chinese_error_and_loses_no_acknowledged_entry(
    tiny_disk: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tiny_disk / 'ledger.sqlite3'}"
    keys = tmp_path / "keys"
    create_log(url, keys)
    writer = Appender(tmp_path, url, keys, "F", 100_000)
    with appenders(writer):
        code = writer.finish()
        stderr = writer.stderr()
    acks = writer.acks()
    assert code != 0 and "DONE\n" not in writer.lines  # it stopped before its 100,000
    assert len(acks) > 10  # after a real run, not at the start
    assert "数据库所在磁盘空间已满，本次写入未保存" in stderr, stderr[-2000:]

    with open_ledger(url, keys) as ledger:
        log = stored_log(ledger)
        size = len(log)
        assert [seq for seq, _ in log] == list(range(size))
        assert_acks_stored(acks, log)
        assert [entry_ref for _, entry_ref in log] == [ref("F", n) for n in range(size)]
        assert len(acks) <= size <= len(acks) + 1
        assert checkpoint_sizes(ledger) == list(range(1, size + 1))
        assert_intact(verify(ledger, KeyDirectory(keys), agency=AGENCY), size)
