"""The app server SIGKILLed mid-traffic on SQLite (issue #18; PostgreSQL: test_app_servers.py).

One `lawtrail serve` on a SQLite database and a local evidence store. A client uploads small
videos one after the other (each 201 is an acknowledged record) while another streams a large
one slowly; the server is SIGKILLed in the middle of both. The large upload's partial file is
left in `incoming/`; a new server removes it at start (grace period 0 here) and goes on
acknowledging. Every acknowledged record is where its answer said, every file intact, and
`lawtrail verify` finds the log intact (every entry signed: nothing half-written).
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from lawtrail.evidence.store import LocalMediaStore
from tests.integration.servers import (
    MP4_HEADER,
    AppServer,
    case_pk_sqlite,
    lawtrail,
    prepare_site,
    sign_in,
)
from tests.integration.test_app_servers import Client

pytestmark = pytest.mark.slow
AGENCY = "tonghua-market"
WAIT_S = 120.0


def slow_body(stop: threading.Event) -> Iterator[bytes]:
    """A 64 MiB video sent 1 MiB at a time, slowly: still in flight when the server dies."""
    yield MP4_HEADER + os.urandom((1 << 20) - len(MP4_HEADER))
    for _ in range(63):
        if stop.is_set():
            return
        time.sleep(0.2)
        yield os.urandom(1 << 20)


def big_part(incoming: Path) -> bool:
    """Whether the large upload's partial file has passed 4 MiB (the client's small uploads'
    partial files come and go meanwhile: one published between listing and reading is gone)."""
    for part in incoming.glob("*.part"):
        try:
            if part.stat().st_size >= 4 << 20:
                return True
        except FileNotFoundError:
            continue
    return False


def test_a_sigkilled_app_server_on_sqlite_loses_no_acknowledged_record_and_its_orphan_is_cleaned(
    tmp_path: Path,
) -> None:
    media = tmp_path / "media"
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'lawtrail.sqlite3'}",
        "LAWTRAIL_DATA_DIR": str(tmp_path / "data"),
        "LAWTRAIL_KEYS_DIR": str(tmp_path / "keys"),
        "LAWTRAIL_MEDIA_STORE": media.as_uri(),
        "LAWTRAIL_SECRET_KEY": "test-only-secret-key-" + "x" * 40,
    }
    prepare_site(env, tmp_path)
    pk = case_pk_sqlite(tmp_path / "lawtrail.sqlite3", AGENCY)
    server = AppServer(env, tmp_path, "a")
    stop = threading.Event()
    try:
        client = Client(server.url, pk, seed=1).start()
        big = sign_in(server.url, "market.handler")
        outcome: list[object] = []

        def send_big() -> None:
            """A raw PUT with its Content-Length, the body sent a chunk at a time."""
            query = urlencode({"filename": "BIG.MP4", "captured_at": "2026-03-04T09:30:12+08:00"})
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT_S)
            try:
                conn.putrequest("PUT", f"/cases/{pk}/media/upload/?{query}")
                cookies = "; ".join(f"{k}={v}" for k, v in big.cookies.items())
                for name, value in (
                    ("Content-Type", "application/octet-stream"),
                    ("Content-Length", str(64 << 20)),
                    ("Cookie", cookies),
                    ("X-CSRFToken", big.cookies.get("csrftoken") or ""),
                    ("Referer", f"{server.url}/"),
                ):
                    conn.putheader(name, value)
                conn.endheaders()
                for chunk in slow_body(stop):
                    conn.send(chunk)
                outcome.append(conn.getresponse().status)
            except OSError as exc:
                outcome.append(exc)
            finally:
                conn.close()

        sender = threading.Thread(target=send_big, daemon=True)
        sender.start()
        client.wait_for(10)
        incoming = media / "incoming"
        deadline = time.monotonic() + WAIT_S
        while not big_part(incoming):
            assert time.monotonic() < deadline, "the large upload never reached the store"
            time.sleep(0.1)
        os.killpg(server.proc.pid, signal.SIGKILL)  # mid-traffic, mid-upload
        server.proc.wait(WAIT_S)
        client.stop()
        stop.set()
        sender.join(WAIT_S)
    finally:
        stop.set()
        server.stop()
    assert isinstance(outcome[0], OSError), outcome  # never acknowledged
    # The big upload's partial file (and any other upload the kill cut short).
    partials = list((media / "incoming").glob("*.part"))
    assert any(p.stat().st_size >= 4 << 20 for p in partials), partials

    again = AppServer({**env, "LAWTRAIL_ORPHAN_GRACE": "0"}, tmp_path, "b")
    try:
        assert not [p for p in partials if p.exists()]  # removed at start
        assert "未完成上传的临时文件" in again.log()
        late = Client(again.url, pk, seed=5000).start()
        late.wait_for(3)
        late.stop()
        time.sleep(1.5)  # the integrator signs within a second
    finally:
        again.stop()
    acked = client.acked + late.acked

    import sqlite3

    with sqlite3.connect(tmp_path / "lawtrail.sqlite3") as db:
        rows = db.execute(
            "SELECT seq, ref FROM ledger_entry WHERE agency = ? AND type = 'media'", (AGENCY,)
        ).fetchall()
    stored = {int(seq): str(sha) for seq, sha in rows}
    assert [(seq, sha) for seq, sha, _ in acked if stored.get(seq) != sha] == []
    store = LocalMediaStore(media)
    assert [sha for _, sha, _ in acked if store.check(sha) is not None] == []
    assert list((media / "incoming").iterdir()) == []
    checked = lawtrail(
        env, "verify", "--agency", AGENCY, "--format", "json",
        "--allow-unpinned", "--allow-unwitnessed",
    )  # fmt: skip
    report = json.loads(checked.stdout)
    assert checked.returncode == 0, json.dumps(report["problems"], ensure_ascii=False)[:3000]
    (log,) = report["logs"]
    assert log["latest_checkpoint"] == log["entries"]
