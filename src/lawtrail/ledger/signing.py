"""Who signs an agency's checkpoints: the ``CheckpointSigner`` seam between the ledger and a key.

The ledger never touches key material itself. It hands each new checkpoint to a
:class:`CheckpointSigner` together with the previous signed checkpoint and the RFC 9162
consistency proof between them, and stores the signed note it gets back. That lets a signer
that keeps its own state (a separate signing process, a token) refuse to sign a tree that does
not extend what it signed before — a rewritten history cannot get a new signature even from
someone who can change every row of the database.

:class:`FileCheckpointSigner` is the embedded default: the agency's Ed25519 key read from the
key directory, in the web application's own process (the trade-off is stated in
docs/architecture.md, "Trust model").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lawtrail.core import notes


class SignerRefused(Exception):
    """The signer will not sign (the tree does not extend what it signed; it is unreachable);
    the message (Chinese) says why."""


class SignerUnavailable(SignerRefused):
    """The signing process cannot be reached (no socket, not running, timed out): nothing was
    signed, and nothing may be signed another way (no fallback to a file key)."""


class CheckpointSigner(Protocol):
    """Signs one agency log's checkpoints (and its other notes, such as a package manifest)."""

    @property
    def name(self) -> str:
        """The log's origin: the note key name."""

    def verifier_key(self) -> str:
        """The C2SP verifier key of the signing key (``<origin>+<key id>+<base64>``)."""

    def sign_checkpoint(
        self,
        checkpoint: notes.Checkpoint,
        *,
        previous: notes.Checkpoint | None,
        proof: Sequence[bytes],
    ) -> str:
        """The signed note (text + signature lines) of ``checkpoint``. ``previous`` is the
        latest checkpoint signed before it (None for the first), ``proof`` the RFC 9162
        consistency proof from ``previous`` to ``checkpoint``; a stateful signer checks them
        and raises :class:`SignerRefused` rather than sign a tree that forks its history."""

    def sign_note(self, text: str) -> str:
        """A signed note of a text that is not a checkpoint (an archive package's manifest)."""


class FileCheckpointSigner:
    """The agency key in a file readable by the application (the embedded default)."""

    def __init__(self, signer: notes.Ed25519Signer) -> None:
        self._signer = signer

    @property
    def name(self) -> str:
        return self._signer.name

    def verifier_key(self) -> str:
        return self._signer.verifier_key()

    def sign_checkpoint(
        self,
        checkpoint: notes.Checkpoint,
        *,
        previous: notes.Checkpoint | None,
        proof: Sequence[bytes],
    ) -> str:
        # The ledger has verified ``proof`` itself before asking; a file key keeps no state to
        # check it against, which is exactly its weakness (docs/architecture.md).
        return self.sign_note(checkpoint.to_text())

    def sign_note(self, text: str) -> str:
        return notes.format_note(notes.sign_note(text, self._signer))
