"""The agency's digital signature on the PDFs it issues (PAdES, ETSI EN 319 142), with pyHanko.

An issued 文书 (one that carries the agency's seal) and the archived 案卷 are signed with the
agency's X.509 certificate, so that a reader (Adobe Reader, WPS, Foxit, pyHanko) shows the file
as signed by the agency and unaltered since. The signature is an incremental update appended to
the rendered PDF: the bytes before it are exactly the deterministic rendering (render.py), so a
re-rendering can still be compared with the signed file's first revision.

Configuration: a directory (LAWTRAIL_PDF_SIGNING_DIR, default <data dir>/pdf-signing) holding per
agency ``<agency>.key.pem`` (PKCS#8 private key, unencrypted, readable by the service only),
``<agency>.cert.pem`` (its certificate) and optionally ``<agency>.chain.pem`` (the issuing CAs).
An agency without files there issues unsigned PDFs. :func:`make_demo_credentials` makes a demo
CA and a certificate per agency (subject marked 演示) for the demo and the tests.

The algorithm is RSA with SHA-256: what Adobe and WPS validate today. SM2 with SM3 (GB/T 38540
电子签章, with a certificate from a 国密 CA) is a later option: a signer class with the same
``sign(agency, data, reason)`` method can take this one's place in :class:`DocumentRenderer`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lawtrail.documents.registry import DocumentError

SIGNATURE_FIELD = "机关签章"

T = TypeVar("T")


def outside_event_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, run on a thread of its own when this thread already runs an
    asyncio event loop: pyHanko's synchronous calls (signing, validation) wrap its async API in
    ``asyncio.run``, which refuses to start inside a running loop (an async server, or a
    browser driven by Playwright's sync API in the same thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


class PdfSigner:
    """Signs PDFs with the certificate of the agency that issues them."""

    def __init__(self, directory: Path) -> None:
        self._directory = Path(directory)

    def has_credentials(self, agency: str) -> bool:
        return (self._directory / f"{agency}.key.pem").is_file() and (
            self._directory / f"{agency}.cert.pem"
        ).is_file()

    def sign(self, agency: str, data: bytes, *, reason: str) -> bytes:
        """The PDF with the agency's PAdES signature; unchanged when the agency has none."""
        if not self.has_credentials(agency):
            return data
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers
        from pyhanko.sign.fields import SigSeedSubFilter

        chain = self._directory / f"{agency}.chain.pem"
        try:
            signer = signers.SimpleSigner.load(  # type: ignore[no-untyped-call]
                str(self._directory / f"{agency}.key.pem"),
                str(self._directory / f"{agency}.cert.pem"),
                ca_chain_files=(str(chain),) if chain.is_file() else (),
            )
        except (OSError, ValueError) as exc:  # pragma: no cover - a broken deployment file
            raise DocumentError(f"执法机关 {agency} 的签章证书或私钥无法读取：{exc}") from None
        if signer is None:
            raise DocumentError(f"执法机关 {agency} 的签章证书或私钥无法读取")
        writer = IncrementalPdfFileWriter(BytesIO(data))
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            reason=reason,
            md_algorithm="sha256",
            subfilter=SigSeedSubFilter.PADES,
        )
        out = outside_event_loop(signers.sign_pdf, writer, meta, signer=signer)
        signed: bytes = out.getvalue()
        return signed


def make_demo_credentials(
    directory: Path, agencies: Mapping[str, str], *, now: dt.datetime | None = None
) -> Path:
    """A demo CA and, for every agency id → name, a signing key and certificate issued by it.

    Returns the CA certificate's path (a reader trusts it to show the signatures as valid).
    Every subject says 演示 (demo): these are not an agency's real certificates."""
    directory.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "执法留痕演示证书机构"),
            x509.NameAttribute(NameOID.COMMON_NAME, "执法留痕演示根证书（仅供演示）"),
        ]
    )
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path = directory / "demo-ca.cert.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    for agency, name in agencies.items():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{name}（演示）"),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1825))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
            )
            .sign(ca_key, hashes.SHA256())
        )
        key_path = directory / f"{agency}.key.pem"
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        (directory / f"{agency}.cert.pem").write_bytes(
            cert.public_bytes(serialization.Encoding.PEM)
        )
        (directory / f"{agency}.chain.pem").write_bytes(
            ca_cert.public_bytes(serialization.Encoding.PEM)
        )
    return ca_path


__all__ = ["SIGNATURE_FIELD", "PdfSigner", "make_demo_credentials"]
