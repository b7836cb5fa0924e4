"""Start a LawTrail server as its own process, the way an agency runs it — for the browser
tests and the load benchmark: `lawtrail manage migrate`, `seed_demo`, `lawtrail serve`
(gunicorn on loopback) on SQLite + local media in a data directory of the caller's; with
``witness=True`` also the supervisor's witness service (`lawtrail witness serve`) as another
process with its own directory (``<data dir>-witness``), following the server's logs."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

DEMO_PASSWORD = "lawtrail-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        threads: int = 4,
        witness: bool = False,
        serve_module: tuple[str, ...] = ("lawtrail", "serve"),
        witness_poll_interval: float = 0.5,
    ) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.threads = threads
        # The module run as `python -m …` to serve (benchmarks compare a variant of the server).
        self.serve_module = serve_module
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "LAWTRAIL_DATA_DIR": str(data_dir)}
        self.env["LAWTRAIL_ALLOWED_HOSTS"] = "127.0.0.1"
        # The caller's settings (pytest-django's test settings, a server's DATABASE_URL …)
        # must not leak in: this server runs the real settings on its own data directory.
        for name in (
            "DATABASE_URL",
            "LAWTRAIL_MEDIA_STORE",
            "LAWTRAIL_KEYS_DIR",
            "DJANGO_SETTINGS_MODULE",
        ):
            self.env.pop(name, None)
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.witness_dir: Path | None = None
        self.witness_url: str | None = None
        self.witness_process: subprocess.Popen[bytes] | None = None
        self.witness_poll_interval = witness_poll_interval
        if witness:
            self.witness_dir = data_dir.parent / f"{data_dir.name}-witness"
            self.witness_port = free_port()
            self.witness_url = f"http://127.0.0.1:{self.witness_port}"
            self.env["LAWTRAIL_WITNESS_URL"] = self.witness_url

    def lawtrail(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lawtrail", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self) -> LocalServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for args in (("manage", "migrate", "--no-input", "-v", "0"), ("manage", "seed_demo")):
            done = self.lawtrail(*args)
            if done.returncode != 0:
                raise RuntimeError(f"lawtrail {' '.join(args)} failed:\n{done.stderr}")
        if self.witness_dir is not None:
            self._init_witness()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    *self.serve_module,
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(self.workers),
                    "--threads",
                    str(self.threads),
                ],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=2) as response:
                    if response.status == 200:
                        if self.witness_dir is not None:
                            self._start_witness()
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not answer within 60 s")

    def _init_witness(self) -> None:
        """The witness's directory: its key, and its configuration with each agency log's
        key pinned from the agency's published .vkey files (`lawtrail witness init`)."""
        assert self.witness_dir is not None
        done = self.lawtrail(
            *("witness", "init", "--dir", str(self.witness_dir), "--name", "yifazhishi.test"),
            *("--agency-keys", str(self.data_dir / "keys"), "--ledger-url", self.url),
            *("--bind", f"127.0.0.1:{self.witness_port}"),
            *("--poll-interval", str(self.witness_poll_interval)),
        )
        if done.returncode != 0:
            raise RuntimeError(f"lawtrail witness init failed:\n{done.stderr}")

    def _start_witness(self) -> None:
        assert self.witness_dir is not None
        assert self.witness_url is not None
        config = self.witness_dir / "witness.toml"
        with (self.witness_dir / "witness.log").open("ab") as log:
            self.witness_process = subprocess.Popen(
                [sys.executable, "-m", "lawtrail", "witness", "serve", "--config", str(config)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.witness_process.poll() is not None:
                raise RuntimeError(
                    f"the witness exited:\n{(self.witness_dir / 'witness.log').read_text()}"
                )
            try:
                with urllib.request.urlopen(f"{self.witness_url}/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("the witness did not answer within 30 s")

    def stop(self) -> None:
        for process in (self.witness_process, self.process):
            if process is None:
                continue
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None
        self.witness_process = None

    def session_cookie(self, username: str, password: str = DEMO_PASSWORD) -> str:
        """Log in through the login form; returns the Cookie header of the session."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with opener.open(f"{self.url}/login/") as response:
            page = response.read().decode()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if match is None:
            raise RuntimeError("no CSRF token on the login page")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
        ).encode()
        request = urllib.request.Request(
            f"{self.url}/login/", data=form, headers={"Referer": f"{self.url}/login/"}
        )
        with opener.open(request) as response:
            if "/login/" in response.geturl():
                raise RuntimeError(f"login of {username} failed")
        return "; ".join(f"{c.name}={c.value}" for c in jar)
