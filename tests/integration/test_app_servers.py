"""Two app servers behind nginx, PostgreSQL restarted mid-traffic, an app server SIGKILLed
mid-traffic (issue #18).

One PostgreSQL instance of this module alone (initdb + pg_ctl on a temporary directory and
port — never the shared server), one SeaweedFS (the evidence store, tests/s3fixtures.py), two
`lawtrail serve` processes and nginx round-robin in front of them, all on loopback. Clients
upload videos through nginx; each 201 answer carries the ledger position of its entry: an
acknowledged record. Afterwards every acknowledged record is where its answer said, its file is
in the bucket with its digest, and `lawtrail verify` finds the log intact: one consistent log,
no half-written entry, every entry signed into a checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
import requests

from lawtrail.evidence.s3 import S3MediaStore
from tests.integration.servers import (
    AppServer,
    Nginx,
    OwnPostgres,
    case_pk,
    lawtrail,
    own_postgres,
    prepare_site,
    sign_in,
    upload,
    video,
)
from tests.s3fixtures import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
AGENCY = "tonghua-market"
WAIT_S = 120.0
UPSTREAM = "X-Lawtrail-Upstream"


@dataclass
class Site:
    pg: OwnPostgres
    env: dict[str, str]
    store: S3MediaStore
    pk: int
    work: Path


@pytest.fixture(scope="module")
def site(s3_server: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    work = tmp_path_factory.mktemp("app-servers")
    store = s3_server.new_store("servers", prefix="evidence")
    env = {
        "LAWTRAIL_DATA_DIR": str(work / "data"),
        "LAWTRAIL_KEYS_DIR": str(work / "keys"),
        **s3_server.env(store),
        # Both servers sign sessions with the same key; the sessions are in the database.
        "LAWTRAIL_SECRET_KEY": "test-only-secret-key-" + "x" * 40,
    }

    def prepare(pg: OwnPostgres) -> None:
        prepare_site({**env, "DATABASE_URL": pg.url}, work)

    with own_postgres(prepare) as pg:
        env["DATABASE_URL"] = pg.url
        yield Site(pg, env, store, case_pk(pg.url, AGENCY), work)


@dataclass
class Cluster:
    servers: list[AppServer]
    nginx: Nginx


@pytest.fixture(scope="module")
def cluster(site: Site) -> Iterator[Cluster]:
    servers: list[AppServer] = []
    nginx = None
    try:
        servers = [AppServer(site.env, site.work, name) for name in ("a", "b")]
        nginx = Nginx(servers, site.work)
        yield Cluster(servers, nginx)
    finally:
        if nginx is not None:
            nginx.stop()
        for server in servers:
            server.stop()


class Client:
    """Uploads one small video after another until stopped; remembers what was acknowledged
    and which server answered."""

    def __init__(self, base_url: str, pk: int, seed: int) -> None:
        self.base_url = base_url
        self.pk = pk
        self.session = sign_in(base_url, "market.handler")
        self.acked: list[tuple[int, str, str]] = []  # (seq, sha256, server) of every 201
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._seed = seed
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Client:
        self._thread.start()
        return self

    def upload_one(self) -> None:
        self._seed += 1
        body = video(self._seed)
        try:
            answer = upload(self.session, self.base_url, self.pk, body, f"V{self._seed}.MP4")
        except requests.RequestException as exc:
            self.failures.append(type(exc).__name__)
            time.sleep(0.05)
            return
        if answer.status_code == 201:
            data = answer.json()
            assert data["sha256"] == hashlib.sha256(body).hexdigest()
            server = answer.headers.get(UPSTREAM, self.base_url)  # nginx names the server
            self.acked.append((int(data["seq"]), data["sha256"], server))
        else:
            self.failures.append(f"{answer.status_code} {answer.text[:200]}")
            time.sleep(0.05)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.upload_one()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_S
        while len(self.acked) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"only {len(self.acked)} of {count} uploads acknowledged: "
                            f"{self.failures[-5:]}")  # fmt: skip
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(WAIT_S)


def stored_media(site: Site) -> dict[int, str]:
    import psycopg

    with psycopg.connect(site.pg.url) as conn:
        rows = conn.execute(
            "SELECT seq, ref FROM ledger_entry WHERE agency = %s AND type = 'media'", (AGENCY,)
        ).fetchall()
    return {int(seq): str(ref) for seq, ref in rows}


def assert_acknowledged_and_intact(
    site: Site, acked: list[tuple[int, str, str]], *, killed_mid_upload: bool = False
) -> None:
    time.sleep(1.5)  # the integrators sign within a second
    stored = stored_media(site)
    missing = [(seq, sha) for seq, sha, _ in acked if stored.get(seq) != sha]
    assert missing == [], f"acknowledged but not stored where answered: {missing[:5]}"
    checked = lawtrail(
        site.env, "verify", "--agency", AGENCY, "--format", "json",
        "--allow-unpinned", "--allow-unwitnessed",
    )  # fmt: skip
    report = json.loads(checked.stdout)
    assert checked.returncode == 0, json.dumps(report["problems"], ensure_ascii=False)[:3000]
    (log,) = report["logs"]
    assert log["latest_checkpoint"] == log["entries"]  # every entry signed: none half-written
    # The cleanup (every client has stopped: nothing is in progress, so no grace period).
    # Only a server killed mid-upload may have left something: its incoming object or
    # multipart parts, never evidence. A server that lived through the database's restart
    # removed its own failed uploads' bytes before answering.
    removed = site.store.remove_orphans(0)
    assert all(orphan.removed and not orphan.error for orphan in removed), removed
    assert all("/incoming/" in orphan.location for orphan in removed), removed
    if not killed_mid_upload:
        assert removed == []
    assert site.store.remove_orphans(0, dry_run=True) == []  # none left after the cleanup
    # ... and every acknowledged record's media is still there, whole.
    damaged = [sha for _, sha, _ in acked if site.store.check(sha) is not None]
    assert damaged == []


def test_two_app_servers_behind_nginx_share_sessions_uploads_and_one_consistent_log(
    site: Site, cluster: Cluster
) -> None:
    base = cluster.nginx.url
    expected = {f"127.0.0.1:{server.port}" for server in cluster.servers}
    # Signing in takes two requests (the form, then the POST): round-robin sends them to
    # different servers, so the session made by one is read by the other.
    session = sign_in(base, "market.handler")
    answered = {session.get(f"{base}/cases/", timeout=30).headers[UPSTREAM] for _ in range(4)}
    assert answered == expected
    # A 12 MiB video — more than one 8 MiB part — streamed through nginx and an app server to
    # the bucket as a multipart upload.
    big = video(1, 12 << 20)
    answer = upload(session, base, site.pk, big, "BIG.MP4")
    assert answer.status_code == 201, answer.text
    assert answer.json()["sha256"] == hashlib.sha256(big).hexdigest()

    # Two clients uploading at once, their requests spread over both servers.
    clients = [Client(base, site.pk, seed=1000 * n).start() for n in (1, 2)]
    for client in clients:
        client.wait_for(12)
    for client in clients:
        client.stop()
    acked = sorted(a for client in clients for a in client.acked)
    assert not [f for client in clients for f in client.failures]
    assert {server for _, _, server in acked} == expected
    # The two servers' writes interleave in the one log: it switches between them both ways.
    servers = [server for _, _, server in acked]
    assert len({(x, y) for x, y in pairwise(servers) if x != y}) == 2
    assert len({seq for seq, _, _ in acked}) == len(acked)  # one position per record
    assert_acknowledged_and_intact(site, acked)


def test_postgres_crash_restart_and_a_killed_app_server_lose_no_acknowledged_record(
    site: Site, cluster: Cluster
) -> None:
    client = Client(cluster.nginx.url, site.pk, seed=5000).start()
    try:
        client.wait_for(8)
        site.pg.restart("immediate")  # a crash: no shutdown checkpoint, recovery from the WAL
        restarted_at = len(client.acked)
        client.wait_for(restarted_at + 8)  # both servers reconnected (same processes)
        assert all(server.proc.poll() is None for server in cluster.servers)
        after_restart = {server for _, _, server in client.acked[restarted_at:]}
        assert len(after_restart) == 2
        # Now one app server dies mid-traffic (SIGKILL: no cleanup, no final signing); the
        # other goes on answering through nginx.
        victim = cluster.servers[0]
        os.killpg(victim.proc.pid, signal.SIGKILL)
        victim.proc.wait(WAIT_S)
        killed_at = len(client.acked)
        client.wait_for(killed_at + 8)
    finally:
        client.stop()
    print(f"\n{len(client.acked)} acknowledged; failed meanwhile: {len(client.failures)}")
    survivor = f"127.0.0.1:{cluster.servers[1].port}"
    assert {server for _, _, server in client.acked[killed_at + 1 :]} == {survivor}
    # What the killed server had sequenced but not signed is signed by the survivor's
    # integrator (several servers may each run one; they share the log's lock).
    assert_acknowledged_and_intact(site, client.acked, killed_mid_upload=True)
