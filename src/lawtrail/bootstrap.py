"""Dependencies wired in one place: settings → database, ledger, keys, media store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lawtrail import config, filemodes
from lawtrail.evidence.store import MediaStore, media_store_from_url
from lawtrail.ledger.db import Database
from lawtrail.ledger.keys import KeyDirectory, KeyFileError
from lawtrail.ledger.log import Ledger

if TYPE_CHECKING:
    from lawtrail.documents import DocumentRenderer


def private_data_dir() -> None:
    """Start-up: the data directory, if there is one, is readable by this account only (an
    existing one open to others is tightened and logged; see lawtrail.filemodes)."""
    filemodes.private_data_dir(config.data_dir(), create=False)


def key_directory() -> KeyDirectory:
    """The agencies' keys: with ``LAWTRAIL_SIGNER=unix:…`` the public keys of the key directory
    and the signing process's signatures (a private key left in the directory is refused);
    otherwise the embedded default, the key files themselves."""
    private_data_dir()
    socket_path = config.signer_socket()
    if socket_path is None:
        return KeyDirectory(config.keys_dir())
    from lawtrail.ledger.signer_client import SignerKeys

    try:
        return SignerKeys(config.keys_dir(), socket_path, timeout=config.signer_timeout())
    except KeyFileError as exc:
        raise config.ConfigError(str(exc)) from exc


def open_ledger(database_url: str | None = None, *, install_schema: bool = True) -> Ledger:
    """The ledger on the configured database; `install_schema=False` for read-only use
    (verification must not repair what it is judging)."""
    private_data_dir()
    db = Database(database_url or config.database_url())
    return Ledger(db, key_directory(), config.log_origin_base(), install_schema=install_schema)


def open_media_store(url: str | None = None) -> MediaStore:
    private_data_dir()
    return media_store_from_url(url or config.media_store_url())


def document_renderer(store: MediaStore) -> DocumentRenderer:
    """The 文书 renderer: the agency's replacement templates, if any, signature images (scans,
    on-screen drawings) and scanned evidence read from the evidence store, the deployment's
    fonts, the agencies' seals and their PDF signing certificates (config.py)."""
    from lawtrail.documents import DocumentRenderer

    def image(sha256: str) -> bytes | None:
        if not store.exists(sha256):
            return None
        with store.open(sha256) as fh:
            data: bytes = fh.read()
        return data

    from lawtrail.documents.form import SealSource, Typography
    from lawtrail.documents.pades import PdfSigner

    fonts = config.document_fonts()
    signing = config.pdf_signing_dir()
    return DocumentRenderer(
        override_dir=config.templates_dir(),
        image=image,
        typography=Typography.with_fonts(**fonts),
        seal=SealSource(config.seals_dir(), demo=config.demo_seals()),
        pdf_signer=PdfSigner(signing) if signing is not None else None,
    )
