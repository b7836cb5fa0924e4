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
from pathlib import Path

from lawtrail.core.notes import CosignatureVerifier, Ed25519Signer, Ed25519Verifier, NoteError


class KeyFileError(Exception):
    """A key file is missing or unreadable; the message (Chinese) names the file."""


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
        try:
            signer = Ed25519Signer.from_private_key_string(path.read_text("utf-8").strip())
        except (OSError, NoteError) as exc:
            raise KeyFileError(f"无法读取签名私钥 {path}：{exc}") from exc
        if signer.name != origin:
            raise KeyFileError(f"签名私钥 {path} 属于日志 {signer.name}，不是 {origin}")
        return signer

    def _generate(self, agency: str, origin: str) -> Ed25519Signer:
        self.root.mkdir(parents=True, exist_ok=True)
        signer = Ed25519Signer.generate(origin)
        path = self._key_path(agency)
        # O_EXCL: two processes creating the same log at once must not end with two keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.signer(agency, origin)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(signer.private_key_string() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        self._vkey_path(agency).write_text(signer.verifier_key() + "\n", "utf-8")
        return signer

    def verifier(self, agency: str) -> Ed25519Verifier:
        path = self._vkey_path(agency)
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
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{verifier.name.replace('/', '_')}.vkey"
        path.write_text(verifier.verifier_key() + "\n", "utf-8")
        return path
