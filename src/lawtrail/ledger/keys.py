"""Where the agencies' checkpoint keys and the witnesses' public keys live: a key directory.

    <keys>/<agency>.key          the agency's signer key (PRIVATE+KEY+<origin>+…), mode 0600
    <keys>/<agency>.vkey         its verifier key (<origin>+<id>+<base64>), the one verify trusts
    <keys>/witnesses/<name>.vkey a supervisor witness's cosignature verifier key

The verifier key in this directory — not the copy the database keeps in ``ledger_log`` — is
what `lawtrail verify` trusts: whoever can rewrite the database must not be able to swap the
key that judges it. In a real deployment the directory (or just the ``.vkey`` files) is
distributed to supervisors and courts; the ``.key`` file stays with the agency. Signers are
behind the ``Signer`` protocol of :mod:`lawtrail.core.notes`, so an SM2 signer (or a hardware
module) can replace the Ed25519 file key here without touching the log.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lawtrail import filemodes
from lawtrail.core.notes import CosignatureVerifier, Ed25519Signer, Ed25519Verifier, NoteError
from lawtrail.ledger.signing import CheckpointSigner, FileCheckpointSigner


class KeyFileError(Exception):
    """A key file is missing or unreadable; the message (Chinese) names the file."""


def _write_durably(folder: Path, text: str, mode: int = 0o644) -> Path:
    """Write `text` to a new, uniquely named file in `folder`, fsynced; return its path."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".key-")
    os.fchmod(fd, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return Path(tmp)


class KeyDirectory:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _key_path(self, agency: str) -> Path:
        return self.root / f"{agency}.key"

    def _vkey_path(self, agency: str) -> Path:
        return self.root / f"{agency}.vkey"

    def signer(self, agency: str, origin: str, *, create: bool = False) -> Ed25519Signer:
        """The agency's checkpoint signer; generated (and its .vkey written) when `create`."""
        path = self._key_path(agency)
        if not path.exists():
            if not create:
                raise KeyFileError(f"找不到机关 {agency} 的检查点签名私钥：{path}")
            return self._generate(agency, origin)
        filemodes.tighten(path, "签名私钥")  # readable by this account only (0600)
        try:
            signer = Ed25519Signer.from_private_key_string(path.read_text("utf-8").strip())
        except (OSError, NoteError) as exc:
            raise KeyFileError(f"无法读取签名私钥 {path}：{exc}") from exc
        if signer.name != origin:
            raise KeyFileError(f"签名私钥 {path} 属于日志 {signer.name}，不是 {origin}")
        return signer

    def checkpoint_signer(
        self, agency: str, origin: str, *, create: bool = False
    ) -> CheckpointSigner:
        """What the ledger signs the agency's checkpoints (and package manifests) with: here the
        file key; a deployment with a separate signing process substitutes its client."""
        return FileCheckpointSigner(self.signer(agency, origin, create=create))

    def _generate(self, agency: str, origin: str) -> Ed25519Signer:
        filemodes.make_private_dir(self.root)  # 0700 (it may create the data directory)
        signer = Ed25519Signer.generate(origin)
        # Two processes may create the same log at once: each writes a complete key file under
        # a temporary name, then publishes it with link(), which fails if the other was first —
        # so the key file is never seen half-written and exactly one key wins.
        key_tmp = _write_durably(self.root, signer.private_key_string(), mode=0o600)
        vkey_tmp = _write_durably(self.root, signer.verifier_key())
        try:
            os.link(key_tmp, self._key_path(agency))
        except FileExistsError:
            vkey_tmp.unlink()
            return self.signer(agency, origin)
        finally:
            key_tmp.unlink()
        os.replace(vkey_tmp, self._vkey_path(agency))
        filemodes.fsync_dir(self.root)
        return signer

    def verifier(self, agency: str) -> Ed25519Verifier:
        path = self._vkey_path(agency)
        if not path.exists() and self._key_path(agency).exists():
            # The key's creator is between publishing .key and .vkey: derive it from the key.
            text = self._key_path(agency).read_text("utf-8").strip()
            return Ed25519Signer.from_private_key_string(text).verifier()
        try:
            return Ed25519Verifier.from_verifier_key_string(path.read_text("utf-8").strip())
        except FileNotFoundError as exc:
            raise KeyFileError(f"找不到机关 {agency} 的检查点验证公钥：{path}") from exc
        except (OSError, NoteError) as exc:
            raise KeyFileError(f"无法读取验证公钥 {path}：{exc}") from exc

    def witness_verifiers(self) -> list[CosignatureVerifier]:
        folder = self.root / "witnesses"
        verifiers = []
        for path in sorted(folder.glob("*.vkey")) if folder.is_dir() else []:
            try:
                text = path.read_text("utf-8").strip()
                verifiers.append(CosignatureVerifier.from_verifier_key_string(text))
            except (OSError, NoteError) as exc:
                raise KeyFileError(f"无法读取见证方公钥 {path}：{exc}") from exc
        return verifiers

    def add_witness(self, vkey: str) -> Path:
        """Trust a witness: store its cosignature verifier key."""
        verifier = CosignatureVerifier.from_verifier_key_string(vkey.strip())
        folder = self.root / "witnesses"
        filemodes.make_private_dir(folder)
        path = folder / f"{verifier.name.replace('/', '_')}.vkey"
        path.write_text(verifier.verifier_key() + "\n", "utf-8")
        return path
