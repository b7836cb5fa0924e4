"""The web application's dependencies, wired in one place: the ledger on Django's connection,
the media store from the environment, the agencies' keys."""

from __future__ import annotations

import functools

from lawtrail import bootstrap, config
from lawtrail.evidence.store import MediaStore
from lawtrail.ledger.keys import KeyDirectory
from lawtrail.ledger.log import Ledger
from lawtrail.web.ledgerdb import DjangoDatabase


@functools.cache
def keys() -> KeyDirectory:
    return bootstrap.key_directory()


@functools.cache
def ledger() -> Ledger:
    return Ledger(DjangoDatabase(), keys(), config.log_origin_base())


@functools.cache
def media_store() -> MediaStore:
    return bootstrap.open_media_store()


def reset() -> None:
    """Forget the wired objects (tests that change the environment)."""
    for cached in (keys, ledger, media_store):
        cached.cache_clear()
