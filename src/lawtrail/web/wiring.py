"""The web application's dependencies, wired in one place: the ledger on Django's connection,
the media store from the environment, the agencies' keys, the 文书 renderer."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lawtrail import bootstrap, config
from lawtrail.evidence.store import MediaStore
from lawtrail.ledger.groupcommit import GroupCommitter
from lawtrail.ledger.integrator import INTERVAL_SECONDS, Integrator
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.web import access_writer
from lawtrail.web.access_writer import Appender
from lawtrail.web.ledgerdb import DjangoDatabase
from lawtrail.web.projector import Projector

if TYPE_CHECKING:  # WeasyPrint is imported on the first document, not with every request
    from lawtrail.documents import DocumentRenderer


@functools.cache
def keys() -> KeyDirectory:
    return bootstrap.key_directory()


_integrator: Integrator | None = None


@functools.cache
def ledger() -> Ledger:
    """The ledger on the current thread's Django connection. With the integrator running (the
    server, :func:`start_integrator`) appends only sequence entries and the integrator signs
    their checkpoint in batches; without it (tests, management commands) each append signs."""
    return Ledger(
        DjangoDatabase(),
        keys(),
        config.log_origin_base(),
        integrate_on_append=_integrator is None,
    )


def _thread_ledger() -> Ledger:
    """The ledger a background thread opens on its own Django connection (the schema is the
    server's to install; appends are signed by the integrator when one runs)."""
    return Ledger(
        DjangoDatabase(),
        keys(),
        config.log_origin_base(),
        install_schema=False,
        integrate_on_append=_integrator is None,
    )


def start_integrator(interval: float = INTERVAL_SECONDS, *, min_age: float = 0.0) -> Integrator:
    """Start this process's integrator thread (once); the server calls it in every worker —
    as a standby (``min_age``) when the server's access writer process signs (its integrator
    runs on an interpreter no request thread holds, so it keeps the log's lock briefly)."""
    global _integrator
    if _integrator is None:
        # Its ledger never integrates on append: it is the integrator (set before it opens).
        _integrator = Integrator(_thread_ledger, interval=interval, min_age=min_age)
        _integrator.start()
        ledger.cache_clear()
    return _integrator


def integrator() -> Integrator | None:
    """This process's integrator (None: appends sign their own checkpoint)."""
    return _integrator


_committer: Appender | None = None
_local_committer: GroupCommitter | None = None
_committer_lock = threading.Lock()


def group_committer() -> Appender | None:
    """This process's group committer of access entries (None: each is its own transaction,
    as in tests and commands)."""
    return _committer


def _start_local_committer() -> GroupCommitter:
    """This process's own group-commit thread (once)."""
    global _local_committer
    with _committer_lock:
        if _local_committer is None:
            from lawtrail.web import actions

            # An access entry's row of the access log's index commits with it.
            _local_committer = GroupCommitter(_thread_ledger, also=actions.index_access).start()
        return _local_committer


def start_group_committer() -> Appender:
    """The server calls it in every worker: the access entries of concurrent page views commit
    together (issue #18) — sent to the server's access writer process when it runs one
    (lawtrail.web.access_writer), else committed by a thread of this process."""
    global _committer
    if _committer is None:
        path = os.environ.get(access_writer.SOCKET_ENV, "")
        _committer = (
            access_writer.WriterClient(path, fallback=_start_local_committer)
            if path
            else _start_local_committer()
        )
    return _committer


def start_access_writer() -> GroupCommitter:
    """In the access writer process: its integrator (its appends do not sign one by one) and
    its group committer."""
    start_integrator()
    return _start_local_committer()


_projector: Projector | None = None


def projector() -> Projector | None:
    """This process's projector (None: rows are rewritten in the request, as in tests)."""
    return _projector


def start_projector(project: Callable[[str, str], None] | None = None) -> Projector:
    """Start this process's projector thread (once); the server calls it in every worker.
    ``project``: what it does for a case (default :func:`actions.project_committed`)."""
    global _projector
    if _projector is None:
        from lawtrail.web import actions

        _projector = Projector(project or actions.project_committed).start()
    return _projector


def stop_projector() -> None:
    """Finish the queued cases and stop the projector (benchmarks, tests)."""
    global _projector
    if _projector is not None:
        _projector.flush()
        _projector.stop()
        _projector = None


@functools.cache
def media_store() -> MediaStore:
    return bootstrap.open_media_store()


@functools.cache
def renderer() -> DocumentRenderer:
    """The 文书 renderer (agency templates, signature images from the evidence store)."""
    return bootstrap.document_renderer(media_store())


def reset() -> None:
    """Forget the wired objects (tests that change the environment)."""
    for cached in (keys, ledger, media_store, renderer):
        cached.cache_clear()
