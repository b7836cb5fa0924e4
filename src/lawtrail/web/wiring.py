"""The web application's dependencies, wired in one place: the ledger on Django's connection,
the media store from the environment, the agencies' keys, the 文书 renderer."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from lawtrail import bootstrap, config
from lawtrail.evidence.store import MediaStore
from lawtrail.ledger.groupcommit import GroupCommitter
from lawtrail.ledger.integrator import INTERVAL_SECONDS, Integrator
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
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


def start_integrator(interval: float = INTERVAL_SECONDS) -> Integrator:
    """Start this process's integrator thread (once); the server calls it in every worker."""
    global _integrator
    if _integrator is None:
        # Its ledger never integrates on append: it is the integrator (set before it opens).
        _integrator = Integrator(_thread_ledger, interval=interval)
        _integrator.start()
        ledger.cache_clear()
    return _integrator


_committer: GroupCommitter | None = None


def group_committer() -> GroupCommitter | None:
    """This process's group committer of access entries (None: each is its own transaction,
    as in tests and commands)."""
    return _committer


def start_group_committer() -> GroupCommitter:
    """Start this process's group-commit thread (once); the server calls it in every worker:
    the access entries of concurrent page views commit together (issue #18)."""
    global _committer
    if _committer is None:
        from lawtrail.web import actions

        # An access entry's row of the access log's index commits with it.
        _committer = GroupCommitter(_thread_ledger, also=actions.index_access).start()
    return _committer


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
