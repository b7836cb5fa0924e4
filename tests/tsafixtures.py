"""A real RFC 3161 time-stamping authority for the tests: ``openssl ts -reply`` behind HTTP.

The session fixture ``tsa_authority`` builds, with the ``openssl`` command-line tool, two
independent PKIs in a temporary directory:

* the *trusted* one: a root CA and a TSA certificate it issued (critical EKU timeStamping);
* the *untrusted* one: another root CA with its own TSA, for tokens that must fail chain
  verification against the first CA.

Both are served from one HTTP server on 127.0.0.1 (a free port, a daemon thread). Each POST body
(an ``application/timestamp-query``) is written to a file and answered with
``openssl ts -reply``; requests are serialized with a lock because the TSAs share files. The
path chooses the behaviour (see ``TsaAuthority.url_for``)::

    /tsa            the trusted TSA                     (TsaAuthority.url)
    /untrusted      the TSA of the second CA            (TsaAuthority.untrusted_url)
    /reject         an openssl TSA that supports only SHA-512, so it rejects our SHA-256
                    requests with a genuine PKIStatus "rejection" reply
    /wrong-imprint  a granted reply from the trusted TSA, but for other data
    /wrong-nonce    a granted reply for the same imprint, but to a request with another nonce
    /garbage        HTTP 200 with a body that is not a TimeStampResp
    /granted-without-token   a TimeStampResp with status "granted" and no token
    /error          HTTP 503
    /slow           waits (up to 5 s, released at teardown) before answering: client timeouts

Register with ``pytest_plugins = ["tests.tsafixtures"]`` (or ``-p tests.tsafixtures``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

OPENSSL_TIMEOUT = 30.0
POLICY = "1.2.3.4.1"
MAX_QUERY = 64 * 1024

_CA_EXT = """\
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[tsa_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

_TSA_SECTION = """\
[{name}]
dir = {dir}
serial = $dir/{name}.serial
crypto_device = builtin
signer_cert = $dir/{pki}-tsa.pem
certs = $dir/{pki}-ca.pem
signer_key = $dir/{pki}-tsa.key
signer_digest = sha256
default_policy = {policy}
other_policies = 1.2.3.4.5
digests = {digests}
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass(frozen=True)
class TsaAuthority:
    """What the tests need to talk to the local TSAs and to trust (or not) their answers."""

    base_url: str
    ca_cert_pem: bytes  # root of the trusted TSA
    tsa_cert_pem: bytes  # the trusted TSA's own certificate
    untrusted_ca_cert_pem: bytes  # root of the second, untrusted PKI
    untrusted_tsa_cert_pem: bytes
    workdir: Path

    @property
    def url(self) -> str:
        return self.url_for("tsa")

    @property
    def untrusted_url(self) -> str:
        """A TSA that works, but whose certificate chains to the second CA, not ``ca_cert_pem``."""
        return self.url_for("untrusted")

    def url_for(self, behaviour: str) -> str:
        """The URL of one of the behaviours listed in the module docstring."""
        return f"{self.base_url}/{behaviour}"


def _openssl(*args: str | Path, cwd: Path) -> str:
    openssl = shutil.which("openssl")
    assert openssl is not None
    result = subprocess.run(
        [openssl, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=OPENSSL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"openssl {' '.join(map(str, args))} failed ({result.returncode}):\n{result.stderr}"
        )
    return result.stdout


def _make_pki(workdir: Path, pki: str, label: str) -> None:
    """``<pki>-ca.{key,pem}`` (self-signed root) and ``<pki>-tsa.{key,pem}`` issued by it."""
    for name in (f"{pki}-ca", f"{pki}-tsa"):
        _openssl(
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            f"{name}.key",
            cwd=workdir,
        )
    _openssl(
        "req",
        "-new",
        "-x509",
        "-sha256",
        "-days",
        "3650",
        "-key",
        f"{pki}-ca.key",
        "-subj",
        f"/C=CN/O=LawTrail Test/CN={label} Root CA",
        "-config",
        "x509ext.cnf",
        "-extensions",
        "ca_ext",
        "-out",
        f"{pki}-ca.pem",
        cwd=workdir,
    )
    _openssl(
        "req",
        "-new",
        "-key",
        f"{pki}-tsa.key",
        "-subj",
        # Longer than the CA's subject on purpose, so that the TSA certificate is the longer
        # DER and openssl's chain-order certificate SET OF (signer first) is never DER-sorted:
        # the tests rely on that to exercise lawtrail.ledger.tsa.normalize_der.
        f"/C=CN/O=LawTrail Test/OU=Trusted Time-Stamping Unit/CN={label} TSA",
        "-out",
        f"{pki}-tsa.csr",
        cwd=workdir,
    )
    _openssl(
        "x509",
        "-req",
        "-sha256",
        "-days",
        "825",
        "-in",
        f"{pki}-tsa.csr",
        "-CA",
        f"{pki}-ca.pem",
        "-CAkey",
        f"{pki}-ca.key",
        "-set_serial",
        "2",
        "-extfile",
        "x509ext.cnf",
        "-extensions",
        "tsa_ext",
        "-out",
        f"{pki}-tsa.pem",
        cwd=workdir,
    )


def _write_config(workdir: Path) -> Path:
    (workdir / "x509ext.cnf").write_text(_CA_EXT, encoding="ascii")
    sections = {
        # name: (pki, digests)
        "tsa_trusted": ("trusted", "sha256, sha384, sha512"),
        "tsa_untrusted": ("untrusted", "sha256, sha384, sha512"),
        "tsa_sha512_only": ("trusted", "sha512"),
    }
    parts = ["[tsa]\ndefault_tsa = tsa_trusted\n"]
    for name, (pki, digests) in sections.items():
        (workdir / f"{name}.serial").write_text("01\n", encoding="ascii")
        parts.append(
            _TSA_SECTION.format(name=name, dir=workdir, pki=pki, policy=POLICY, digests=digests)
        )
    config = workdir / "tsa.cnf"
    config.write_text("\n".join(parts), encoding="ascii")
    return config


class _Tsa:
    """Answers queries with ``openssl ts``; one at a time (shared serial and scratch files)."""

    def __init__(self, workdir: Path, config: Path) -> None:
        self.workdir = workdir
        self.config = config
        self.lock = threading.Lock()
        self.release_slow = threading.Event()

    def reply(self, section: str, query: bytes) -> bytes:
        with self.lock:
            (self.workdir / "q.tsq").write_bytes(query)
            return self._reply_to_file(section, "q.tsq")

    def reply_for_other_data(self) -> bytes:
        with self.lock:
            (self.workdir / "other.bin").write_bytes(b"some other checkpoint\n")
            _openssl(
                "ts",
                "-query",
                "-data",
                "other.bin",
                "-sha256",
                "-cert",
                "-out",
                "other.tsq",
                cwd=self.workdir,
            )
            return self._reply_to_file("tsa_trusted", "other.tsq")

    def reply_with_other_nonce(self, query: bytes) -> bytes:
        """A fresh query for the same message imprint (openssl adds its own random nonce)."""
        with self.lock:
            (self.workdir / "q.tsq").write_bytes(query)
            dump = _openssl("asn1parse", "-inform", "DER", "-in", "q.tsq", cwd=self.workdir)
            # The request's only OCTET STRING is the hashed message of its messageImprint.
            (digest,) = re.findall(r"prim: OCTET STRING\s+\[HEX DUMP\]:([0-9A-F]+)", dump)
            _openssl(
                "ts",
                "-query",
                "-digest",
                digest,
                "-sha256",
                "-cert",
                "-out",
                "renonced.tsq",
                cwd=self.workdir,
            )
            return self._reply_to_file("tsa_trusted", "renonced.tsq")

    def _reply_to_file(self, section: str, queryfile: str) -> bytes:
        _openssl(
            "ts",
            "-reply",
            "-config",
            self.config,
            "-section",
            section,
            "-queryfile",
            queryfile,
            "-out",
            "r.tsr",
            cwd=self.workdir,
        )
        return (self.workdir / "r.tsr").read_bytes()


def _handler(tsa: _Tsa) -> type[BaseHTTPRequestHandler]:
    sections = {"/tsa": "tsa_trusted", "/untrusted": "tsa_untrusted", "/reject": "tsa_sha512_only"}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_QUERY:
                self._send(400, b"bad length", "text/plain")
                return
            query = self.rfile.read(length)
            if self.path in sections:
                self._send_reply(tsa.reply(sections[self.path], query))
            elif self.path == "/wrong-imprint":
                self._send_reply(tsa.reply_for_other_data())
            elif self.path == "/wrong-nonce":
                self._send_reply(tsa.reply_with_other_nonce(query))
            elif self.path == "/garbage":
                self._send_reply(b"this is not a TimeStampResp")
            elif self.path == "/granted-without-token":
                self._send_reply(bytes.fromhex("30053003020100"))  # status granted, no token
            elif self.path == "/error":
                self._send(503, "时间戳服务暂停".encode(), "text/plain; charset=utf-8")
            elif self.path == "/slow":
                tsa.release_slow.wait(5.0)
                self._send_reply(tsa.reply("tsa_trusted", query))
            else:
                self._send(404, b"not found", "text/plain")

        def _send_reply(self, body: bytes) -> None:
            self._send(200, body, "application/timestamp-reply")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


@pytest.fixture(scope="session")
def tsa_authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TsaAuthority]:
    if shutil.which("openssl") is None:
        pytest.fail(
            "The RFC 3161 tests need the openssl command-line tool (Debian package 'openssl', "
            "part of the base system); it is not on PATH."
        )
    workdir = tmp_path_factory.mktemp("tsa")
    config = _write_config(workdir)
    _make_pki(workdir, "trusted", "LawTrail Test")
    _make_pki(workdir, "untrusted", "Untrusted Test")
    tsa = _Tsa(workdir, config)

    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(tsa))
    thread = threading.Thread(target=server.serve_forever, name="tsa-http", daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield TsaAuthority(
            base_url=f"http://{host!s}:{port}",
            ca_cert_pem=(workdir / "trusted-ca.pem").read_bytes(),
            tsa_cert_pem=(workdir / "trusted-tsa.pem").read_bytes(),
            untrusted_ca_cert_pem=(workdir / "untrusted-ca.pem").read_bytes(),
            untrusted_tsa_cert_pem=(workdir / "untrusted-tsa.pem").read_bytes(),
            workdir=workdir,
        )
    finally:
        tsa.release_slow.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
