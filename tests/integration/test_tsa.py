"""RFC 3161 time-stamps over checkpoints, against a real ``openssl ts`` TSA on 127.0.0.1.

The authorities come from ``tests/tsafixtures.py``: a trusted CA with its TSA, and a second,
untrusted CA with its own TSA. Every token here is produced by OpenSSL, and the tokens we keep
are cross-checked with ``openssl ts -verify``.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from rfc3161_client import HashAlgorithm, TimestampRequestBuilder, decode_timestamp_response

from lawtrail.core import timeutil
from lawtrail.ledger.tsa import (
    ENV_ROOTS,
    ENV_URL,
    TimestampError,
    TimestampToken,
    normalize_der,
    request_timestamp,
    tsa_from_env,
    verify_timestamp,
)
from tests.tsafixtures import TsaAuthority

CHECKPOINT = (
    b"tonghua-market.lawtrail.example/log\n42\nqSlXNiNzCVHBpHGYmXc7zyhzUzmbSOqQP6fDWlJTzRM=\n"
)


@pytest.fixture(scope="module")
def token(tsa_authority: TsaAuthority) -> TimestampToken:
    return request_timestamp(CHECKPOINT, tsa_authority.url)


def _openssl_ts_verify(tmp_path: Path, token: bytes, data: bytes, ca_pem: bytes) -> str:
    openssl = shutil.which("openssl")
    assert openssl is not None
    (tmp_path / "token.tsr").write_bytes(token)
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    result = subprocess.run(
        [openssl, "ts", "-verify", "-in", "token.tsr", "-data", "data.bin", "-CAfile", "ca.pem"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stdout + result.stderr


# ---------------------------------------------------------------------------------------------
# A good token


def test_token_from_local_tsa_verifies_against_its_ca_and_covers_the_data(
    tsa_authority: TsaAuthority, token: TimestampToken
) -> None:
    verified = verify_timestamp(token.token, CHECKPOINT, roots=[tsa_authority.ca_cert_pem])

    assert verified == token
    assert verified.digest_algorithm == "sha256"
    assert verified.tsa == "CN=LawTrail Test TSA,OU=Trusted Time-Stamping Unit,O=LawTrail Test,C=CN"
    assert verified.serial > 0
    info = decode_timestamp_response(verified.token).tst_info
    assert info.message_imprint.message == hashlib.sha256(CHECKPOINT).digest()


def test_gen_time_is_aware_shanghai_and_close_to_now(token: TimestampToken) -> None:
    assert token.gen_time.tzinfo is not None
    assert token.gen_time.utcoffset() == timedelta(hours=8)
    assert abs(timeutil.now() - token.gen_time) < timedelta(minutes=2)


def test_each_request_gets_a_new_serial(tsa_authority: TsaAuthority) -> None:
    first = request_timestamp(CHECKPOINT, tsa_authority.url)
    second = request_timestamp(CHECKPOINT, tsa_authority.url)

    assert second.serial != first.serial
    assert second.token != first.token


def test_stored_token_also_verifies_with_openssl_ts_verify(
    tsa_authority: TsaAuthority, token: TimestampToken, tmp_path: Path
) -> None:
    output = _openssl_ts_verify(tmp_path, token.token, CHECKPOINT, tsa_authority.ca_cert_pem)
    assert "Verification: OK" in output

    rejected = _openssl_ts_verify(tmp_path, token.token, b"other\n", tsa_authority.ca_cert_pem)
    assert "Verification: FAILED" in rejected


def test_openssl_chain_order_certificates_are_put_in_der_order(
    tsa_authority: TsaAuthority, token: TimestampToken, tmp_path: Path
) -> None:
    # openssl ts -reply embeds [TSA certificate, CA certificate] in that order, which is not
    # DER SET OF order here; rfc3161_client's strict parser refuses such a reply as sent.
    raw = _raw_reply(tsa_authority.url)
    with pytest.raises(ValueError, match="InvalidSetOrdering"):
        decode_timestamp_response(raw)

    normalized = normalize_der(raw)
    assert normalized != raw
    assert sorted(normalized) == sorted(raw)  # the same bytes, only reordered
    assert normalize_der(normalized) == normalized
    assert decode_timestamp_response(normalized).tst_info.serial_number > 0
    assert "Verification: OK" in _openssl_ts_verify(
        tmp_path, raw, CHECKPOINT, tsa_authority.ca_cert_pem
    )
    # verify_timestamp accepts the reply exactly as the TSA sent it, too.
    verified = verify_timestamp(raw, CHECKPOINT, roots=[tsa_authority.ca_cert_pem])
    assert verified.token == normalized


def _raw_reply(url: str) -> bytes:
    """The TSA's reply exactly as sent (request_timestamp normalizes it)."""
    query = (
        TimestampRequestBuilder()
        .data(CHECKPOINT)
        .hash_algorithm(HashAlgorithm.SHA256)
        .cert_request(cert_request=True)
        .build()
    )
    request = urllib.request.Request(
        url, data=query.as_bytes(), headers={"Content-Type": "application/timestamp-query"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        body: bytes = reply.read()
    return body


def test_request_without_nonce_still_gives_a_verifiable_token(
    tsa_authority: TsaAuthority,
) -> None:
    token = request_timestamp(CHECKPOINT, tsa_authority.url, nonce=False)

    assert verify_timestamp(token.token, CHECKPOINT, roots=[tsa_authority.ca_cert_pem]) == token


def test_roots_may_be_a_bundle_with_other_certificates(
    tsa_authority: TsaAuthority, token: TimestampToken
) -> None:
    bundle = tsa_authority.untrusted_ca_cert_pem + tsa_authority.ca_cert_pem
    assert verify_timestamp(token.token, CHECKPOINT, roots=[bundle]) == token


# ---------------------------------------------------------------------------------------------
# Tokens that must not verify


def test_verifying_against_different_data_fails_as_not_covering(
    tsa_authority: TsaAuthority, token: TimestampToken
) -> None:
    other = CHECKPOINT.replace(b"\n42\n", b"\n43\n")
    with pytest.raises(TimestampError, match="时间戳不覆盖该数据"):
        verify_timestamp(token.token, other, roots=[tsa_authority.ca_cert_pem])


def test_token_from_untrusted_ca_fails_chain_verification(tsa_authority: TsaAuthority) -> None:
    foreign = request_timestamp(CHECKPOINT, tsa_authority.untrusted_url)

    with pytest.raises(TimestampError, match="证书链不可信"):
        verify_timestamp(foreign.token, CHECKPOINT, roots=[tsa_authority.ca_cert_pem])
    # The token itself is sound: it is the trust anchor that makes the difference.
    own = verify_timestamp(foreign.token, CHECKPOINT, roots=[tsa_authority.untrusted_ca_cert_pem])
    assert own.tsa.startswith("CN=Untrusted Test TSA,")


@pytest.mark.parametrize("where", ["signature value", "message imprint"])
def test_flipped_byte_in_token_fails_signature(
    tsa_authority: TsaAuthority, token: TimestampToken, where: str
) -> None:
    tampered = bytearray(token.token)
    if where == "signature value":
        # The SignerInfo's signature is the last field of the response (no unsigned attributes).
        at = len(tampered) - 1
    else:
        # Re-pointing the token at other data: flip a byte of the hash inside the TSTInfo.
        at = token.token.index(hashlib.sha256(CHECKPOINT).digest()) + 5
    tampered[at] ^= 0x01
    decode_timestamp_response(bytes(tampered))  # still well-formed: the signature must catch it

    with pytest.raises(TimestampError, match="签名无效"):
        verify_timestamp(bytes(tampered), CHECKPOINT, roots=[tsa_authority.ca_cert_pem])


def test_garbage_token_is_rejected(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="不是有效的 RFC 3161 时间戳应答"):
        verify_timestamp(b"\x30\x03\x02\x01\x00", CHECKPOINT, roots=[tsa_authority.ca_cert_pem])


def test_verifying_without_roots_is_refused(token: TimestampToken) -> None:
    with pytest.raises(TimestampError, match="根证书"):
        verify_timestamp(token.token, CHECKPOINT, roots=[])
    with pytest.raises(TimestampError, match="根证书"):
        verify_timestamp(token.token, CHECKPOINT, roots=[b"not a PEM certificate"])


# ---------------------------------------------------------------------------------------------
# A TSA that misbehaves


def test_tsa_http_error_gives_timestamp_error(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="HTTP 503"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("error"))


def test_tsa_rejection_status_gives_timestamp_error(tsa_authority: TsaAuthority) -> None:
    # A genuine openssl rejection: that TSA section accepts SHA-512 requests only.
    with pytest.raises(TimestampError, match=r"状态 2（拒绝）.*not supported"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("reject"))


def test_reply_that_is_not_a_timestamp_response_gives_timestamp_error(
    tsa_authority: TsaAuthority,
) -> None:
    with pytest.raises(TimestampError, match="不是有效的 RFC 3161 时间戳应答"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("garbage"))


def test_granted_reply_without_token_gives_timestamp_error(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="没有时间戳令牌"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("granted-without-token"))


def test_reply_for_other_data_is_refused(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="不覆盖所请求的数据"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("wrong-imprint"))


def test_reply_with_another_nonce_is_refused(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="nonce"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("wrong-nonce"))


def test_slow_tsa_times_out(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="超时"):
        request_timestamp(CHECKPOINT, tsa_authority.url_for("slow"), timeout=0.3)


def test_unreachable_tsa_gives_timestamp_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on that port any more.
    with pytest.raises(TimestampError, match="无法连接时间戳服务"):
        request_timestamp(CHECKPOINT, f"http://127.0.0.1:{port}/tsa", timeout=5)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://tsa.example/", "tsa.example"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(TimestampError, match="http:// 或 https://"):
        request_timestamp(CHECKPOINT, url)


def test_empty_data_is_refused(tsa_authority: TsaAuthority) -> None:
    with pytest.raises(TimestampError, match="数据为空"):
        request_timestamp(b"", tsa_authority.url)


# ---------------------------------------------------------------------------------------------
# Configuration


def test_tsa_from_env_unset_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_URL, raising=False)
    monkeypatch.delenv(ENV_ROOTS, raising=False)
    assert tsa_from_env() is None
    monkeypatch.setenv(ENV_URL, "  ")
    assert tsa_from_env() is None


def test_tsa_from_env_url_without_roots_names_lawtrail_tsa_roots(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_URL, "http://127.0.0.1:9/tsa")
    monkeypatch.delenv(ENV_ROOTS, raising=False)
    with pytest.raises(TimestampError, match="LAWTRAIL_TSA_ROOTS"):
        tsa_from_env()


def test_tsa_from_env_unreadable_or_empty_roots_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(ENV_URL, "http://127.0.0.1:9/tsa")
    monkeypatch.setenv(ENV_ROOTS, str(tmp_path / "missing.pem"))
    with pytest.raises(TimestampError, match=r"LAWTRAIL_TSA_ROOTS.*missing\.pem"):
        tsa_from_env()
    (tmp_path / "empty.pem").write_text("no certificates here\n")
    monkeypatch.setenv(ENV_ROOTS, str(tmp_path / "empty.pem"))
    with pytest.raises(TimestampError, match="LAWTRAIL_TSA_ROOTS"):
        tsa_from_env()


def test_tsa_from_env_bad_url_names_lawtrail_tsa_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_URL, "ftp://tsa.example/")
    with pytest.raises(TimestampError, match="LAWTRAIL_TSA_URL"):
        tsa_from_env()


def test_tsa_from_env_configures_a_working_round_trip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tsa_authority: TsaAuthority
) -> None:
    bundle = tmp_path / "tsa-roots.pem"
    bundle.write_bytes(tsa_authority.untrusted_ca_cert_pem + tsa_authority.ca_cert_pem)
    monkeypatch.setenv(ENV_URL, tsa_authority.url)
    monkeypatch.setenv(ENV_ROOTS, str(bundle))

    config = tsa_from_env()

    assert config is not None
    url, roots = config
    assert url == tsa_authority.url
    assert len(roots) == 2
    assert all(root.startswith(b"-----BEGIN CERTIFICATE-----") for root in roots)
    token = request_timestamp(CHECKPOINT, url)
    assert verify_timestamp(token.token, CHECKPOINT, roots=roots) == token
