"""Helpers of the witness service tests: a ledger served over HTTP by the same code as the web
application's /ledger/… views (lawtrail.ledger.http_api), and the witness service started as
its own process (`python -m lawtrail witness serve --config …`) on a free loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lawtrail.core import notes
from lawtrail.ledger.db import Database
from lawtrail.ledger.http_api import LedgerHTTP, LedgerHTTPServer
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.web.launch import free_port


class LedgerServer:
    """``/ledger/<agency>/…`` of the ledger at ``url`` (a fresh connection per request, as a
    web worker has its own); ``api`` can be swapped to serve another database or a forgery."""

    def __init__(self, url: str, keys: Path) -> None:
        self.db_url = url
        self.keys = keys
        self.api: Callable[[Ledger], LedgerHTTP] = LedgerHTTP
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = LedgerHTTPServer(("127.0.0.1", self.port), self._make, self._done)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _make(self) -> LedgerHTTP:
        ledger = Ledger(
            Database(self.db_url), KeyDirectory(self.keys), "lawtrail.local", install_schema=False
        )
        return self.api(ledger)

    @staticmethod
    def _done(api: LedgerHTTP) -> None:
        api.ledger.db.close()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class WitnessProcess:
    def __init__(self, folder: Path, logs: list[dict[str, str]], **settings: Any) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.key_file = folder / "witness.key"
        if not self.key_file.exists():
            signer = notes.CosignatureSigner.generate(settings.pop("name", "yifazhishi.test"))
            self.key_file.write_text(signer.private_key_string() + "\n", "utf-8")
        else:
            settings.pop("name", None)
        text = self.key_file.read_text("utf-8").strip()
        self.signer = notes.CosignatureSigner.from_private_key_string(text)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options = {
            "poll_interval": 0.2,
            "stall_after": 60,
            "unreachable_after": 60,
            "http_timeout": 2,
            **settings,
        }
        lines = ['key = "witness.key"', 'state_dir = "state"', f'bind = "127.0.0.1:{self.port}"']
        lines += [f"{k} = {json.dumps(v)}" for k, v in options.items()]
        for log in logs:
            lines.append("[[log]]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in log.items()]
        self.config = folder / "witness.toml"
        self.config.write_text("\n".join(lines) + "\n", "utf-8")
        self.log_path = folder / "witness.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier().verifier_key()

    def start(self) -> WitnessProcess:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "lawtrail",
                    "witness",
                    "serve",
                    "--config",
                    str(self.config),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the witness exited:\n{self.log_path.read_text()}")
            try:
                self.get("/status")
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the witness did not answer:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}{path}", timeout=5) as response:
            return json.loads(response.read())

    def alerts(self, unresolved: bool = True) -> list[dict[str, Any]]:
        return list(self.get("/alerts" + ("?unresolved=1" if unresolved else ""))["alerts"])

    def post(self, path: str, body: bytes) -> tuple[int, str, str]:
        request = urllib.request.Request(f"{self.url}{path}", data=body)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.headers["Content-Type"], response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Content-Type"], exc.read().decode()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
