"""Optional RFC 3161 trusted time-stamps over ledger checkpoints.

A checkpoint's cosignatures say *that* a witness saw it; an RFC 3161 time-stamp token from a
time-stamping authority (TSA) says *when*, in a form any third party can check offline with
the TSA's root certificate (``openssl ts -verify`` included). The time-stamped data is the
checkpoint's note text bytes (``notes`` module: origin, size, root and extension lines with the
final newline, no signature lines).

Protocol (RFC 3161 §3.4, HTTP transport)
    ``POST`` the DER ``TimeStampReq`` with ``Content-Type: application/timestamp-query``; the
    reply body is a DER ``TimeStampResp`` (``application/timestamp-reply``). Requests here
    use SHA-256, ask for the TSA certificate (``certReq``) and carry a random nonce.

What is stored (``TimestampToken.token``)
    The whole DER ``TimeStampResp`` (status + ``TimeStampToken``), not the bare
    ``TimeStampToken`` ContentInfo: it is what the TSA returned, what ``rfc3161_client`` and
    ``openssl ts -verify -in token.tsr -data checkpoint.txt -CAfile root.pem`` read. One
    normalization is applied: the ``certificates`` SET OF of the CMS SignedData is put into
    DER order. TSAs built on OpenSSL (``openssl ts -reply`` itself) emit that set in chain
    order, which strict DER parsers such as ``rfc3161_client`` reject; the field is outside
    the signed data (RFC 5652 §5.1), so reordering it changes neither the signature nor the
    meaning, and the result is still a valid response for every verifier.

Verification (``verify_timestamp``), offline
    The CMS signature of the token, the chain of the signing certificate up to one of the
    configured roots *at the token's genTime* (the TSA certificate must carry the critical
    ``id-kp-timeStamping`` extended key usage), and that the token's message imprint is the
    hash of the given data. Revocation is not checked (no CRL/OCSP: the check is offline).

Configuration (``tsa_from_env``)
    ``LAWTRAIL_TSA_URL``: the TSA's HTTP(S) URL; unset or empty means no time-stamps.
    ``LAWTRAIL_TSA_ROOTS``: a PEM file with the root certificate(s) the TSA chains to;
    required when the URL is set.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from lawtrail.core import timeutil

ENV_URL = "LAWTRAIL_TSA_URL"
ENV_ROOTS = "LAWTRAIL_TSA_ROOTS"
QUERY_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"
MAX_REPLY_SIZE = 1024 * 1024
"""A time-stamp reply is a few KiB; more than this is not a TSA talking."""

_SHA256 = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
_DIGEST_NAMES = {  # the message-imprint algorithms rfc3161_client can verify
    _SHA256: "sha256",
    x509.ObjectIdentifier("2.16.840.1.101.3.4.2.2"): "sha384",
    x509.ObjectIdentifier("2.16.840.1.101.3.4.2.3"): "sha512",
}

_PKI_STATUS_TEXT = {
    PKIStatus.GRANTED: "已授予",
    PKIStatus.GRANTED_WITH_MODS: "已授予但有修改",
    PKIStatus.REJECTION: "拒绝",
    PKIStatus.WAITING: "等待中",
    PKIStatus.REVOCATION_WARNING: "即将吊销",
    PKIStatus.REVOCATION_NOTIFICATION: "已吊销",
}


class TimestampError(Exception):
    """A time-stamp could not be obtained or does not verify; the message (Chinese) says why."""


@dataclass(frozen=True)
class TimestampToken:
    """An RFC 3161 time-stamp and what it states.

    ``token`` is the DER ``TimeStampResp`` (see the module docstring); the other fields are
    read from it and are only as trustworthy as the check that produced them: after
    ``verify_timestamp`` they are verified, after ``request_timestamp`` they are what the TSA
    said over the request's connection, with its signature not yet checked against a root.
    """

    token: bytes
    gen_time: datetime  # aware, Asia/Shanghai
    tsa: str  # subject of the signing certificate, RFC 4514 string
    serial: int
    digest_algorithm: str  # "sha256" (requests here always use SHA-256)


# ---------------------------------------------------------------------------------------------
# Requesting


def request_timestamp(
    data: bytes, url: str, *, timeout: float = 10.0, nonce: bool = True
) -> TimestampToken:
    """Ask the TSA at ``url`` for a time-stamp over ``data`` (SHA-256, certReq, a nonce).

    Checks that the reply is granted, is over SHA-256(``data``) and answers this request's
    nonce. It does not check the TSA's signature or certificate: use ``verify_timestamp``
    with the configured roots for that (it needs no network). ``timeout`` (seconds) applies
    to connecting and to each read, as in ``urllib``.
    """
    if not data:
        raise TimestampError("待加盖时间戳的数据为空")
    _check_url(url, source="时间戳服务地址")
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .cert_request(cert_request=True)
        .nonce(nonce=nonce)
        .build()
    )
    body = _post(url, request.as_bytes(), timeout)
    token = normalize_der(body)
    response = _decode(token, what=f"时间戳服务 {url} 的应答")
    _require_token(response)
    info = response.tst_info
    algorithm = info.message_imprint.hash_algorithm
    if algorithm != _SHA256:
        raise TimestampError(f"时间戳服务 {url} 使用了未请求的摘要算法 {algorithm.dotted_string}")
    if info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError(f"时间戳服务 {url} 的应答不覆盖所请求的数据（消息摘要不一致）")
    answered: int | None = info.nonce  # None when the reply carries no nonce
    if nonce and answered != request.nonce:
        raise TimestampError(
            f"时间戳服务 {url} 的应答随机数（nonce）与请求不一致，可能是重放的应答"
        )
    return _token(token, response)


def _post(url: str, query: bytes, timeout: float) -> bytes:
    http_request = urllib.request.Request(
        url,
        data=query,
        method="POST",
        headers={"Content-Type": QUERY_CONTENT_TYPE, "Accept": REPLY_CONTENT_TYPE},
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as reply:
            body: bytes = reply.read(MAX_REPLY_SIZE + 1)
    except urllib.error.HTTPError as exc:
        with exc:
            raise TimestampError(
                f"时间戳服务 {url} 返回 HTTP {exc.code} {exc.reason}".rstrip()
            ) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TimestampError(f"连接时间戳服务 {url} 超时（{timeout:g} 秒）") from exc
        raise TimestampError(f"无法连接时间戳服务 {url}：{exc.reason}") from exc
    except TimeoutError as exc:
        raise TimestampError(f"等待时间戳服务 {url} 的应答超时（{timeout:g} 秒）") from exc
    except OSError as exc:
        raise TimestampError(f"与时间戳服务 {url} 通信失败：{exc}") from exc
    if len(body) > MAX_REPLY_SIZE:
        raise TimestampError(f"时间戳服务 {url} 的应答超过 {MAX_REPLY_SIZE} 字节，不是时间戳应答")
    return body


def _require_granted(response: TimeStampResponse) -> None:
    status = response.status
    if status == PKIStatus.GRANTED:
        return
    try:
        label = _PKI_STATUS_TEXT[PKIStatus(status)]
    except ValueError:
        label = "未知"
    detail = "；".join(response.status_string)
    raise TimestampError(
        f"时间戳服务未授予时间戳：状态 {status}（{label}）"
        + (f"，说明：{detail}" if detail else "")
    )


def _require_token(response: TimeStampResponse) -> None:
    _require_granted(response)
    try:
        response.tst_info  # noqa: B018 - raises ValueError when the token is missing
    except ValueError as exc:
        raise TimestampError(f"时间戳应答的状态为“已授予”，但其中没有时间戳令牌：{exc}") from exc


# ---------------------------------------------------------------------------------------------
# Verifying


def verify_timestamp(token: bytes, data: bytes, *, roots: Sequence[bytes]) -> TimestampToken:
    """Verify ``token`` (a DER ``TimeStampResp``) over ``data`` against PEM ``roots``, offline.

    Raises ``TimestampError`` saying what is wrong: 签名无效 (the token was altered or not
    signed by its certificate), 证书链不可信 (the signer does not chain to a configured root
    at genTime, or is not a time-stamping certificate) or 时间戳不覆盖该数据.
    """
    trusted = _load_roots(roots)
    normalized = normalize_der(token)
    response = _decode(normalized, what="时间戳令牌")
    _require_token(response)
    algorithm = response.tst_info.message_imprint.hash_algorithm
    if algorithm not in _DIGEST_NAMES:
        raise TimestampError(f"时间戳令牌使用了不支持的摘要算法 {algorithm.dotted_string}")
    verifier = VerifierBuilder(roots=trusted).build()
    try:
        verifier.verify_message(response, data)
    except VerificationError as exc:
        raise TimestampError(_explain(str(exc))) from exc
    return _token(normalized, response)


def _explain(detail: str) -> str:
    """The Chinese reason for a ``rfc3161_client`` verification failure (English detail kept)."""
    if detail == "Mismatch between messages":
        return "时间戳不覆盖该数据：令牌中的消息摘要与数据的摘要不一致"
    if detail.startswith("Error while verifying certificates"):
        # The CMS check (OpenSSL PKCS7_verify) builds the chain first, then checks the
        # signature; a chain failure carries the PKCS7 reason "certificate verify error".
        if "certificate verify error" in detail:
            return (
                f"证书链不可信：时间戳签名证书不能链接到配置的根证书（{_openssl_reason(detail)}）"
            )
        return f"签名无效：时间戳令牌已被篡改或签名与证书不符（{_openssl_reason(detail)}）"
    if "EKU" in detail:
        return (
            "证书链不可信：签名证书不是时间戳专用证书（缺少关键扩展 id-kp-timeStamping）"
            f"（{detail}）"
        )
    if "leaf certificate" in detail or "SignerInfo" in detail or "signer infos" in detail:
        return f"签名无效：令牌中找不到与签名者对应的证书（{detail}）"
    if "Certificates neither found" in detail:
        return "签名无效：令牌中没有时间戳服务的证书"
    return f"时间戳令牌验证失败：{detail}"


def _openssl_reason(detail: str) -> str:
    """The useful part of an OpenSSL error stack as rust-openssl prints it (Debug format)."""
    reasons: list[str] = []
    for marker in ('reason: "', 'data: "'):
        start = 0
        while (at := detail.find(marker, start)) >= 0:
            end = detail.find('"', at + len(marker))
            if end < 0:
                break
            reasons.append(detail[at + len(marker) : end])
            start = end
    return "; ".join(dict.fromkeys(reasons)) or detail


def _load_roots(roots: Sequence[bytes]) -> list[x509.Certificate]:
    certificates: list[x509.Certificate] = []
    for pem in roots:
        try:
            loaded = x509.load_pem_x509_certificates(pem)
        except ValueError as exc:
            raise TimestampError(f"无法解析时间戳服务的根证书（PEM）：{exc}") from exc
        certificates.extend(cert for cert in loaded if cert not in certificates)
    if not certificates:
        raise TimestampError("未配置时间戳服务的根证书，无法验证时间戳")
    return certificates


# ---------------------------------------------------------------------------------------------
# Common


def _decode(der: bytes, *, what: str) -> TimeStampResponse:
    try:
        return decode_timestamp_response(der)
    except ValueError as exc:
        raise TimestampError(f"{what}不是有效的 RFC 3161 时间戳应答：{exc}") from exc


def _token(der: bytes, response: TimeStampResponse) -> TimestampToken:
    info = response.tst_info
    algorithm = info.message_imprint.hash_algorithm
    return TimestampToken(
        token=der,
        gen_time=timeutil.local(info.gen_time),
        tsa=_signer_name(response),
        serial=info.serial_number,
        digest_algorithm=_DIGEST_NAMES.get(algorithm, algorithm.dotted_string),
    )


def _signer_name(response: TimeStampResponse) -> str:
    """The subject of the certificate named by the (single) SignerInfo's issuer and serial."""
    signers = list(response.signed_data.signer_infos)
    if len(signers) != 1:
        raise TimestampError(f"时间戳令牌应有且仅有一个签名者，实际为 {len(signers)} 个")
    signer = signers[0]
    for der in response.signed_data.certificates:
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            continue
        if cert.issuer == signer.issuer and cert.serial_number == signer.serial_number:
            return cert.subject.rfc4514_string()
    raise TimestampError("时间戳令牌中没有签名者的证书（请求时应要求 TSA 附带证书）")


def _check_url(url: str, *, source: str) -> None:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise TimestampError(f"{source} {url!r} 无效：应为 http:// 或 https:// 地址")


def normalize_der(response: bytes) -> bytes:
    """``response`` with its SignedData ``certificates`` in DER SET OF order.

    Only reorders the elements of that one unsigned field (lengths are unchanged). Anything
    that does not have the expected shape is returned as is, for the parser to judge.
    """
    try:
        # TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo }
        resp = _children(response, 0, len(response), expect=0x30)
        if len(resp) < 2:
            return response
        # ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
        content_info = _children(response, resp[1][1], resp[1][3], expect=0x30)
        explicit = _children(response, content_info[1][1], content_info[1][3], expect=0xA0)
        signed_data = _children(response, explicit[0][1], explicit[0][3], expect=0x30)
    except ValueError:
        return response
    # SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
    #                           certificates [0] IMPLICIT OPTIONAL, crls [1] OPTIONAL, signerInfos }
    for tag, start, content_start, end in signed_data[3:]:
        if tag != 0xA0:
            continue
        try:
            elements = _children(response, start, end, expect=0xA0)
        except ValueError:
            return response
        ordered = sorted(response[s:e] for _, s, _, e in elements)
        return response[:content_start] + b"".join(ordered) + response[end:]
    return response


def _children(der: bytes, start: int, end: int, *, expect: int) -> list[tuple[int, int, int, int]]:
    """The elements (tag, start, content start, end) inside the TLV at ``der[start:end]``."""
    tag, content, stop = _tlv(der, start)
    if tag != expect or stop != end:
        raise ValueError("unexpected DER structure")
    elements = []
    at = content
    while at < stop:
        child_tag, child_content, child_end = _tlv(der, at)
        if child_end > stop:
            raise ValueError("DER element overruns its parent")
        elements.append((child_tag, at, child_content, child_end))
        at = child_end
    return elements


def _tlv(der: bytes, at: int) -> tuple[int, int, int]:
    """(tag byte, content start, end) of the DER element at ``at``; low tag numbers only."""
    if at + 2 > len(der):
        raise ValueError("truncated DER")
    tag = der[at]
    if tag & 0x1F == 0x1F:
        raise ValueError("high tag number")
    length = der[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or at + count > len(der):
            raise ValueError("unsupported DER length")
        length = int.from_bytes(der[at : at + count], "big")
        at += count
    if at + length > len(der):
        raise ValueError("truncated DER")
    return tag, at, at + length


# ---------------------------------------------------------------------------------------------
# Configuration


def tsa_from_env() -> tuple[str, list[bytes]] | None:
    """``(url, PEM root certificates)`` from ``LAWTRAIL_TSA_URL`` / ``LAWTRAIL_TSA_ROOTS``.

    None when ``LAWTRAIL_TSA_URL`` is unset or empty (time-stamping is optional). When it is
    set, ``LAWTRAIL_TSA_ROOTS`` must name a readable PEM file with at least one certificate;
    anything else raises ``TimestampError`` naming the variable.
    """
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return None
    _check_url(url, source=f"环境变量 {ENV_URL}")
    roots = tsa_roots_from_env()
    if roots is None:
        raise TimestampError(
            f"已设置 {ENV_URL}，但未设置 {ENV_ROOTS}：请指向时间戳服务根证书的 PEM 文件，"
            "否则时间戳无法验证"
        )
    return url, roots


def tsa_roots_from_env() -> list[bytes] | None:
    """The PEM root certificates named by ``LAWTRAIL_TSA_ROOTS`` (None when unset), one per
    certificate; an unreadable file or one without certificates raises ``TimestampError``."""
    roots_path = os.environ.get(ENV_ROOTS, "").strip()
    if not roots_path:
        return None
    try:
        pem = Path(roots_path).read_bytes()
    except OSError as exc:
        raise TimestampError(f"无法读取 {ENV_ROOTS} 指定的根证书文件 {roots_path}：{exc}") from exc
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise TimestampError(
            f"{ENV_ROOTS} 指定的文件 {roots_path} 中没有可用的 PEM 证书：{exc}"
        ) from exc
    return [cert.public_bytes(Encoding.PEM) for cert in certificates]


__all__ = [
    "ENV_ROOTS",
    "ENV_URL",
    "TimestampError",
    "TimestampToken",
    "normalize_der",
    "request_timestamp",
    "tsa_from_env",
    "tsa_roots_from_env",
    "verify_timestamp",
]
