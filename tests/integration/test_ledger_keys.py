"""The key directory: one key per log even when two processes create it at once."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest

from lawtrail.ledger.keys import KeyDirectory, KeyFileError


def _create(folder: str, barrier, queue) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    signer = KeyDirectory(Path(folder)).signer("tonghua-market", "x/tonghua-market", create=True)
    queue.put(signer.verifier_key())


def test_two_processes_creating_the_same_log_key_end_with_one_complete_key(
    tmp_path: Path,
) -> None:
    ctx = multiprocessing.get_context("fork")
    for trial in range(20):
        folder = tmp_path / str(trial)
        barrier, queue = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=_create, args=(str(folder), barrier, queue)) for _ in "ab"]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(30)
        assert [proc.exitcode for proc in procs] == [0, 0]
        keys = {queue.get(timeout=5) for _ in procs}
        assert len(keys) == 1  # both processes sign with the same key
        assert (folder / "tonghua-market.vkey").read_text().strip() in keys
        assert sorted(p.name for p in folder.iterdir()) == [
            "tonghua-market.key",
            "tonghua-market.vkey",
        ]


def test_the_private_key_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.signer("benxi-hrss", "x/benxi-hrss", create=True)
    mode = stat.S_IMODE((tmp_path / "benxi-hrss.key").stat().st_mode)
    assert mode == 0o600


def test_a_key_for_another_origin_is_refused(tmp_path: Path) -> None:
    keys = KeyDirectory(tmp_path)
    keys.signer("benxi-hrss", "x/benxi-hrss", create=True)
    with pytest.raises(KeyFileError, match="不是"):
        keys.signer("benxi-hrss", "y/benxi-hrss")
