"""Start a LawTrail server as its own process, the way an agency runs it — for the browser
tests and the load benchmark: `lawtrail manage migrate`, `seed_demo`, `lawtrail serve`
(gunicorn on loopback) on SQLite + local media in a data directory of the caller's."""

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
    def __init__(self, data_dir: Path, *, workers: int = 2, threads: int = 4) -> None:
        self.data_dir = data_dir
        self.workers = workers
        self.threads = threads
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
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lawtrail",
                    "serve",
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
                        return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not answer within 60 s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

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
