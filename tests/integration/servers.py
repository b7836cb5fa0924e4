"""Real servers for the fault and two-server tests (issue #18): a PostgreSQL instance of the
test's own (initdb + pg_ctl on a temporary directory and port — never the shared server on
5432), `lawtrail serve` processes, nginx in front of them, and a signed-in HTTP session.

Each helper skips with a clear reason when its tool is missing; under
LAWTRAIL_REQUIRE_POSTGRES=1 a missing PostgreSQL tool fails instead (tests/dbfixtures.py).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT = 90.0
PASSWORD = "lawtrail-demo"
MP4_HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _missing(reason: str, *, postgres: bool) -> None:
    if postgres and os.environ.get("LAWTRAIL_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"LAWTRAIL_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


class OwnPostgres:
    """A PostgreSQL server of this test alone: its own data directory, port and socket."""

    def __init__(self) -> None:
        if not (PG_BIN / "initdb").exists():
            _missing(f"PostgreSQL 的 initdb 不在 {PG_BIN}", postgres=True)
        self.as_user: list[str] = []
        owner = None
        if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                _missing("以 root 运行但没有 postgres 用户，无法运行 initdb", postgres=True)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.base = Path(tempfile.mkdtemp(prefix="lawtrail-pg-"))
        if owner is not None:
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        self.data = self.base / "data"
        self.port = free_port()
        self.log = self.base / "server.log"
        self._run(PG_BIN / "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip

    def _run(self, *args: Any) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self.as_user, *map(str, args)], capture_output=True, text=True, check=False,
            timeout=START_TIMEOUT,
        )  # fmt: skip
        assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, *, durable: bool = True) -> None:
        """`durable=False` only to load the test's data quickly (no fsync); the faults are
        always exercised on a durable server."""
        durability = "on" if durable else "off"
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            f"-c fsync={durability} -c synchronous_commit={durability} "
            f"-c full_page_writes={durability}"
        )
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def restart(self, mode: str = "immediate") -> None:
        """`immediate` is a crash (no checkpoint, recovery from the WAL at the next start)."""
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def own_postgres(prepare: Callable[[OwnPostgres], None] | None = None) -> Iterator[OwnPostgres]:
    """A started server; `prepare` runs first on it without fsync, then it restarts durable."""
    server = OwnPostgres()
    try:
        if prepare is not None:
            server.start(durable=False)
            prepare(server)
            server.stop()
        server.start()
        yield server
    finally:
        server.destroy()


def process_env(env: Mapping[str, str]) -> dict[str, str]:
    """The environment of a `lawtrail` subprocess: the real settings (pytest-django's
    DJANGO_SETTINGS_MODULE points at the test settings, which ignore DATABASE_URL)."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "lawtrail.web.settings", **env}


def lawtrail(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "lawtrail", *args],
        cwd=ROOT, env=process_env(env), capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    return done


_SEED = """
from datetime import date
from pathlib import Path
from lawtrail.web import demo
from lawtrail.web.models import Agency
from lawtrail.web.roles import HANDLER, OFFICER
demo._user(
    "market.handler", "刘建国", "执法人员（承办人）", [OFFICER, HANDLER],
    Agency.objects.get(code="tonghua-market"), certificate_number="220503000001",
    certificate_valid_from=date(2024, 1, 1), certificate_valid_until=date(2029, 12, 31),
)
demo.import_examples(Path(EXAMPLES))
"""


def prepare_site(env: Mapping[str, str], work: Path) -> None:
    """Migrate the database, create the market bureau's handler (`market.handler`, the demo
    password) and import one example case of that bureau: the demo's data, cut to what the
    tests use (seeding every demo account hashes ~40 passwords, which takes a minute here)."""
    examples = work / "examples" / "tonghua-market"
    examples.mkdir(parents=True)
    name = "compliant-ex-officio-penalty.json"
    shutil.copy(ROOT / "examples" / "tonghua-market" / name, examples / name)
    seed = _SEED.replace("EXAMPLES", repr(str(examples.parent)))
    for args in (("manage", "migrate", "--verbosity", "0"), ("manage", "shell", "-c", seed)):
        done = lawtrail(env, *args)
        assert done.returncode == 0, f"lawtrail {args[1]}:\n{done.stderr[-3000:]}"


class AppServer:
    """One `lawtrail serve` process (gunicorn, 1 worker) on a loopback port."""

    def __init__(self, env: Mapping[str, str], log_dir: Path, name: str) -> None:
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"serve-{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lawtrail", "serve", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--threads", "4"],
            cwd=ROOT, env=process_env(env), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        wait_http(f"{self.url}/login/", self)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text("utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()


def wait_http(url: str, server: AppServer | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server is not None and server.proc.poll() is not None:
            pytest.fail(f"lawtrail serve exited ({server.proc.returncode}):\n{server.log()}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"no answer from {url} within {START_TIMEOUT:.0f} s")


def sign_in(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base_url}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    answer = session.post(
        f"{base_url}/login/",
        data={"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD},
        headers={"Referer": f"{base_url}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return session


def upload(
    session: requests.Session, base_url: str, case_pk: int, body: bytes, name: str
) -> requests.Response:
    """PUT a video to the case's upload endpoint, as the upload page's script does."""
    return session.put(
        f"{base_url}/cases/{case_pk}/media/upload/",
        params={"filename": name, "captured_at": "2026-03-04T09:30:12+08:00"},
        data=body,
        headers={
            "Content-Type": "application/octet-stream",
            "X-CSRFToken": session.cookies.get("csrftoken") or "",
            "Referer": f"{base_url}/",
        },
        timeout=60,
    )


def video(seed: int, size: int = 4096) -> bytes:
    return MP4_HEADER + seed.to_bytes(8, "big") + os.urandom(size - len(MP4_HEADER) - 8)


def case_pk(database_url: str, agency: str) -> int:
    """The first case of an agency in the case index (as the pages list them)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT id FROM lawtrail_caseindex WHERE agency_id = %s ORDER BY case_number LIMIT 1",
            (agency,),
        ).fetchone()
    assert row is not None, f"no case of {agency}"
    return int(row[0])


NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream lawtrail {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        # Uploads stream through to the app (which streams them to the evidence store): no
        # size limit here (the app enforces LAWTRAIL_MAX_UPLOAD_BYTES), no buffering on disk.
        client_max_body_size 0;
        proxy_request_buffering off;
        proxy_buffering off;
        proxy_http_version 1.1;
        proxy_read_timeout 300s;
        # An upload is a registration, not an idempotent PUT: never replayed on the other
        # server after a failure (the client retries; the content is deduplicated).
        proxy_next_upstream off;
        location / {{
            proxy_pass http://lawtrail;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            add_header X-Lawtrail-Upstream $upstream_addr always;
        }}
    }}
}}
"""


class Nginx:
    """nginx (Debian package) on a loopback port, round-robin over the app servers."""

    def __init__(self, upstreams: list[AppServer], work: Path) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                           else None)  # fmt: skip
        if binary is None:
            # The two-server test runs on PostgreSQL: where that is required (CI), so is nginx.
            _missing("nginx 未安装（Debian 软件包 nginx，见 deps/apt.txt）", postgres=True)
        self.prefix = work / "nginx"
        self.prefix.mkdir()
        self.port = free_port()
        servers = "\n".join(f"        server 127.0.0.1:{s.port};" for s in upstreams)
        user = "user root;" if os.geteuid() == 0 else ""  # workers read the prefix dir
        conf = self.prefix / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(prefix=self.prefix, servers=servers, port=self.port, user=user)
        )
        with (self.prefix / "stderr.log").open("wb") as stderr:
            self.proc = subprocess.Popen(
                [binary, "-p", str(self.prefix), "-c", str(conf), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True,
            )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        wait_http(f"{self.url}/login/")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def case_pk_sqlite(path: Path, agency: str) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as db:
        row = db.execute(
            "SELECT id FROM lawtrail_caseindex WHERE agency_id = ? ORDER BY case_number LIMIT 1",
            (agency,),
        ).fetchone()
    assert row is not None, f"no case of {agency}"
    return int(row[0])
