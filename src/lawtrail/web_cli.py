"""`lawtrail manage|serve|demo`: the Django shell behind the one `lawtrail` command."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lawtrail.archive_cli import AccessIndexer
    from lawtrail.ledger.verify import ProjectionCheck

SETTINGS = "lawtrail.web.settings"


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django

    django.setup()


def manage(argv: Sequence[str]) -> int:
    """Any Django management command: `lawtrail manage migrate`, `… createsuperuser` …"""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lawtrail manage", *argv])
    return 0


def projection_checks() -> tuple[ProjectionCheck, ...]:
    """What `lawtrail verify` checks besides the ledger: the tables the pages read instead of
    it (the case index, :mod:`lawtrail.web.projections`, and the dashboard's aggregates of it,
    :mod:`lawtrail.web.aggregates`; the index of 责令限期整改 orders,
    :mod:`lawtrail.web.order_index`; the index of 案卷评查, :mod:`lawtrail.web.review_index`; the
    index of the access log, :mod:`lawtrail.web.access_index`), each when the database holds
    it. Needs no Django settings: the checks read the tables through the ledger's connection."""
    from lawtrail.web.access_index import AccessIndexCheck
    from lawtrail.web.aggregates import AggregateCheck
    from lawtrail.web.order_index import OrderIndexCheck
    from lawtrail.web.projections import CaseIndexCheck
    from lawtrail.web.review_index import ReviewIndexCheck

    # The aggregates after the rows they sum (a row edited is reported by both).
    return (
        CaseIndexCheck(),
        OrderIndexCheck(),
        ReviewIndexCheck(),
        AggregateCheck(),
        AccessIndexCheck(),
    )


def access_indexer() -> AccessIndexer:
    """How the CLI's own access entries (``lawtrail export``) get their row in the access log's
    index (:mod:`lawtrail.web.access_index`), in the entry's transaction, when the database holds
    the web tables. Needs no Django settings."""
    from lawtrail.web.access_index import index_appended

    return index_appended


def add_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="启动 Web 服务（gunicorn）")
    _serve_options(serve)
    demo = sub.add_parser("demo", help="迁移数据库、载入演示数据并启动 Web 服务")
    _serve_options(demo)
    sub.add_parser("manage", help="Django 管理命令（migrate、createsuperuser、reindex …）")


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bind", default="127.0.0.1:8000", help="监听地址（默认 127.0.0.1:8000）")
    p.add_argument("--workers", type=int, default=2, help="进程数（默认 2）")
    # More threads than cores: a view spends much of its time waiting — for its access entry to
    # be durable (the access writer's commit), for the database — and 12 a process keep the
    # cores busy through those waits where 8 left them idle a fifth of the time at 20 users
    # (issue #18, docs/performance.md).
    p.add_argument("--threads", type=int, default=12, help="每进程线程数（默认 12）")


def run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        call_command("seed_demo")
    return serve(args.bind, args.workers, args.threads)


def _start_integrator(worker: Any) -> None:
    from lawtrail.ledger.integrator import MAX_DELAY_SECONDS
    from lawtrail.web import access_writer, wiring

    # With the access writer running, its integrator signs; each worker's stands by for what
    # waits longer than the promised delay (the writer stopped).
    standby = bool(os.environ.get(access_writer.SOCKET_ENV))
    wiring.start_integrator(min_age=MAX_DELAY_SECONDS if standby else 0.0)
    wiring.start_projector()  # case index rows rewritten after their writes (issue #18)
    wiring.start_group_committer()  # access entries of concurrent views in one commit (#18)


def remove_orphans_at_start() -> None:
    """Remove what uploads interrupted by a crash left in the evidence store (the same as
    `lawtrail media cleanup`), with the configured grace period so that uploads still in
    progress on another app server are spared. A store that cannot be reached does not stop
    the server: the pages that only read work without it, and the next start tries again."""
    from lawtrail import bootstrap, config
    from lawtrail.evidence.store import MediaStoreError
    from lawtrail.ledger_cli import cleanup_text

    try:
        grace = float(config.orphan_grace_seconds())
        store = bootstrap.open_media_store()
        orphans = store.remove_orphans(grace)
    except MediaStoreError as exc:
        print(f"警告：启动时未能清理中断的上传：{exc}", file=sys.stderr, flush=True)
        return
    report = cleanup_text(store.url, grace, orphans, dry_run=False)
    print(report, end="", file=sys.stderr, flush=True)


def serve(bind: str, workers: int, threads: int) -> int:
    """gunicorn with threaded workers: request bodies reach the app as a stream (uploads of
    several GB are never buffered whole), and a long upload does not count as a hung worker."""
    setup()
    from django.core.management import call_command
    from gunicorn.app.base import BaseApplication

    from lawtrail.web.wsgi import application

    call_command("check", deploy=False)
    from lawtrail import bootstrap

    # Fail at start, not at the first save: a signing process configured but unreachable
    # settings, or a private key left beside the data (LAWTRAIL_SIGNER), stop the server here.
    bootstrap.key_directory()
    remove_orphans_at_start()

    class App(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": bind,
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 120,
                "graceful_timeout": 30,
                "accesslog": "-",
                "limit_request_line": 8190,
                # No control socket in the user's home: several servers may run side by side
                # (tests, a demo next to production), and nothing here uses it.
                "control_socket_disable": True,
                # Each worker signs its agencies' new entries in batches (≤ 1 s): appends,
                # page views' access entries included, no longer wait for a signature each.
                "post_worker_init": _start_integrator,
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    from lawtrail.web.access_writer import SOCKET_ENV

    writer = start_access_writer()
    print(f"执法留痕 Web 服务：http://{bind}/", file=sys.stderr, flush=True)
    try:
        App().run()
    finally:
        if writer is not None:
            writer.terminate()
            writer.wait(10)
            shutil.rmtree(os.path.dirname(os.environ[SOCKET_ENV]), ignore_errors=True)
    return 0


def start_access_writer() -> subprocess.Popen[bytes] | None:
    """The server's access writer (lawtrail.web.access_writer): started before the workers,
    which find its socket in their environment. Its socket is in a directory of its own that
    only this account can enter (a Unix socket's path must be short: not under the data
    directory). Not started: the workers append their access entries themselves."""
    from lawtrail.web import access_writer

    folder = tempfile.mkdtemp(prefix="lawtrail-writer-")  # 0700
    path = os.path.join(folder, "access.sock")
    process = subprocess.Popen(
        [sys.executable, "-m", "lawtrail.web.access_writer", path, str(os.getpid())]
    )
    deadline = time.monotonic() + 30
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            message = "警告：访问记录写入进程未能启动，由各工作进程自行写入"
            print(message, file=sys.stderr, flush=True)
            if process.poll() is None:
                process.terminate()
            return None
        time.sleep(0.05)
    os.environ[access_writer.SOCKET_ENV] = path
    return process
