"""C2SP signed notes, transparency-log checkpoints and witness cosignatures.

Each agency's append-only Merkle log publishes its tree heads as *checkpoints*: signed notes
in the formats of https://c2sp.org/signed-note, https://c2sp.org/tlog-checkpoint and
https://c2sp.org/tlog-cosignature (the formats of Go's ``golang.org/x/mod/sumdb/note``,
``github.com/transparency-dev/formats/note``, Sigsum and Tessera witnesses). Interoperating
byte for byte with those tools is the point, so this module implements exactly the following.

Signed note (c2sp.org/signed-note)
    ``text || "\\n" || signature line+``. The *text* is UTF-8, contains no ASCII control
    character other than newline (U+000A), and ends with a newline; it may contain empty
    lines, and is separated from the signatures by the *last* empty line of the note. A
    signature line is ``"— " || key name || " " || base64(key ID || payload) || "\\n"``, the
    dash being U+2014 EM DASH followed by one space. Key names are non-empty and contain no
    Unicode space and no ``+``. The key ID is a big-endian uint32; the payload (at least one
    byte) is the signature over the note text, per the key's algorithm. Base64 is the
    standard alphabet with padding (RFC 4648 §4), and this parser also requires it to be
    canonical. Parsing accepts at most ``MAX_SIGNATURES`` (100, as Go does; the spec requires
    at least 16) signature lines.

Key IDs and key strings
    ``key ID = SHA-256(name || 0x0A || algorithm byte || public key)[:4]`` read big-endian.
    Verifier key: ``<name>+<8 hex digits key ID>+<base64(algorithm byte || public key)>``.
    Signer key (Ed25519 only): ``PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || 32-byte seed)>``.

Ed25519 note signatures (algorithm 0x01)
    RFC 8032 Ed25519 over the note text bytes exactly (UTF-8, including its final newline,
    excluding the separating blank line); payload = the 64-byte signature.

Checkpoint body (c2sp.org/tlog-checkpoint)
    At least three non-empty lines, each ending in newline: the origin (non-empty), the tree
    size in ASCII decimal without leading zeros (``0`` for the empty tree; here also
    below 2**64), the base64 RFC 6962 root hash (SHA-256, so 32 bytes here), then optional
    non-empty extension lines.

Timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature, algorithm 0x04)
    ``key ID = SHA-256(name || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]``, so the same
    key and name give a different key ID than an 0x01 note signer. The line payload is
    ``timestamp || signature``: the timestamp a uint64 big-endian count of POSIX seconds
    (at most 2**63 - 1), then the 64-byte Ed25519 signature over the message::

        b"cosignature/v1\\n" + b"time " + ascii_decimal(timestamp) + b"\\n" + checkpoint_text

    where ``checkpoint_text`` is the whole note text of the cosigned checkpoint: its origin,
    size and root lines *and any extension lines*, including the final newline, but neither
    the blank separator line nor any signature line. The decimal has no leading zeros.
    (Checked against the current spec text and verified against a real-world cosignature
    from the ``remora.n621.de`` witness in the tests.) A cosignature states that, at that
    time, this was the largest consistent tree the witness had seen for that origin; it says
    nothing about extension lines. The message does not commit to the cosigner's name, so one
    key must never serve two cosigner names. The ML-DSA-44 ``subtree/v1`` cosignature (0x06)
    of the same spec is not implemented.

Extensibility (SM2 later)
    Signing and verification go through the ``Signer`` and ``Verifier`` protocols; the note
    and checkpoint code never looks at an algorithm. A national-standard scheme such as SM2
    can be added as another pair of classes without touching the parser: signed-note reserves
    algorithm byte 0xff for types it has not assigned, followed by a longer identifier, so
    an SM2 key ID would be ``key_id(name, 0xFF, identifier || public key)``.

Verification policy (``verify_note``) follows the spec: signature lines from unknown keys
(name *and* key ID must both match a configured verifier) are ignored; a line from a known key
that fails to verify rejects the whole note. A note with no verified signature MUST be treated
as unverified, i.e. callers must reject an empty result.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ALG_ED25519 = 0x01
"""Signature type byte of plain Ed25519 note signatures."""
ALG_COSIGNATURE_V1 = 0x04
"""Signature type byte of timestamped Ed25519 witness cosignatures (cosignature/v1)."""

EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
MAX_SIGNATURES = 100
KEY_ID_SIZE = 4
ED25519_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
TIMESTAMP_SIZE = 8
MAX_TIMESTAMP = 2**63 - 1
ROOT_HASH_SIZE = 32
MAX_TREE_SIZE = 2**64 - 1
COSIGNATURE_HEADER = "cosignature/v1"

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"


class NoteError(ValueError):
    """A malformed note, checkpoint, key string or signature, or a failed known signature."""


# ---------------------------------------------------------------------------------------------
# Validation helpers


def _is_space(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


# In ASCII, the control characters and the spaces are exactly U+0000–U+0020 (str.isspace's
# U+001C–U+001F are controls too; the only Zs is U+0020). Checked by one regex search in C:
# `lawtrail verify` checks every checkpoint's note, and the loop per character cost it more
# than the signature (a log signed per entry).
_ASCII_CONTROL_OR_SPACE = re.compile("[\x00-\x20]")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")  # U+000A (newline) is allowed


def is_valid_key_name(name: str) -> bool:
    """Non-empty, valid Unicode, no Unicode space, no ``+``, no control character."""
    if not isinstance(name, str) or not name or "+" in name:
        return False
    if name.isascii():
        return _ASCII_CONTROL_OR_SPACE.search(name) is None
    if any(_is_space(ch) or ord(ch) < 0x20 for ch in name):
        return False
    return _is_utf8_encodable(name)


def _is_utf8_encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _check_key_name(name: str) -> None:
    if not is_valid_key_name(name):
        raise NoteError(
            f"invalid key name {name!r}: must be non-empty, without spaces, '+' or control "
            "characters"
        )


def _check_no_controls(value: str, what: str) -> None:
    control = _CONTROL.search(value)
    if control is not None:
        index = control.start()
        raise NoteError(f"{what} contains control character U+{ord(value[index]):04X} at {index}")
    if not value.isascii() and not _is_utf8_encodable(value):
        raise NoteError(f"{what} is not valid Unicode (lone surrogate)")


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise NoteError(f"note text must be str, not {type(text).__name__}")
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_no_controls(text, "note text")


def _b64decode(value: str, what: str) -> bytes:
    """Strict standard base64: RFC 4648 alphabet, padding, canonical encoding."""
    if not value:
        raise NoteError(f"{what}: empty base64")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise NoteError(f"{what}: invalid base64 {value!r}") from exc
    if _b64encode(raw) != value:
        raise NoteError(f"{what}: non-canonical base64 {value!r}")
    return raw


def _b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _check_uint32(value: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise NoteError(f"{what} must be an unsigned 32-bit integer, got {value!r}")


# ---------------------------------------------------------------------------------------------
# Notes


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, key ID and the bytes after the key ID."""

    name: str
    key_id: int
    payload: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        _check_uint32(self.key_id, "key ID")
        if not isinstance(self.payload, bytes) or not self.payload:
            raise NoteError(f"signature by {self.name!r}: payload must be non-empty bytes")

    @property
    def key(self) -> str:
        """``<name>+<hex key ID>``, how Go names a key in errors."""
        return f"{self.name}+{self.key_id:08x}"

    def to_line(self) -> str:
        blob = self.key_id.to_bytes(KEY_ID_SIZE, "big") + self.payload
        return f"{SIGNATURE_PREFIX}{self.name} {_b64encode(blob)}\n"


@dataclass(frozen=True)
class Note:
    """A note text and its signatures (at least one)."""

    text: str
    signatures: tuple[Signature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        if not isinstance(self.signatures, tuple):
            raise NoteError("signatures must be a tuple")
        if not self.signatures:
            raise NoteError("a signed note needs at least one signature")
        for signature in self.signatures:
            if not isinstance(signature, Signature):
                raise NoteError(f"not a Signature: {signature!r}")

    @property
    def text_bytes(self) -> bytes:
        """The signed message: the note text as UTF-8."""
        return self.text.encode("utf-8")


def parse_note(data: bytes | str) -> Note:
    """Parse a signed note strictly. Signatures are not verified (see ``verify_note``)."""
    if isinstance(data, bytes):
        try:
            message = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteError(f"note is not valid UTF-8: {exc}") from exc
    elif isinstance(data, str):
        message = data
    else:
        raise NoteError(f"note must be bytes or str, not {type(data).__name__}")

    _check_no_controls(message, "note")
    if not message.endswith("\n"):
        raise NoteError("note must end with a newline")
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no blank line separating text from signatures")
    text = message[: split + 1]
    block = message[split + 2 :]
    if not block:
        raise NoteError("note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has {len(lines)} signature lines, more than {MAX_SIGNATURES}")

    signatures = []
    for number, line in enumerate(lines, start=1):
        where = f"signature line {number}"
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"{where} does not start with an em dash (U+2014) and a space")
        name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not sep:
            raise NoteError(f"{where} has no space between key name and signature")
        if not is_valid_key_name(name):
            raise NoteError(f"{where}: invalid key name {name!r}")
        blob = _b64decode(encoded, where)
        if len(blob) <= KEY_ID_SIZE:
            raise NoteError(f"{where}: {len(blob)} bytes is too short for key ID and signature")
        signatures.append(
            Signature(
                name=name,
                key_id=int.from_bytes(blob[:KEY_ID_SIZE], "big"),
                payload=blob[KEY_ID_SIZE:],
            )
        )
    return Note(text=text, signatures=tuple(signatures))


def format_note(note: Note) -> str:
    """The note as text: note text, blank line, signature lines."""
    return note.text + "\n" + "".join(signature.to_line() for signature in note.signatures)


# ---------------------------------------------------------------------------------------------
# Signers and verifiers


class Signer(Protocol):
    """Signs note texts under one key. ``sign`` returns the payload after the key ID."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, msg: bytes) -> bytes: ...

    def verifier_key(self) -> str: ...


class Verifier(Protocol):
    """Checks payloads (the bytes after the key ID) of one key over note texts."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, msg: bytes, payload: bytes) -> bool: ...


def key_id(name: str, algorithm: int, public_key: bytes) -> int:
    """``SHA-256(name || "\\n" || algorithm || public_key)[:4]`` as a big-endian uint32."""
    _check_key_name(name)
    if isinstance(algorithm, bool) or not isinstance(algorithm, int) or not 0 <= algorithm <= 255:
        raise NoteError(f"algorithm must be one byte, got {algorithm!r}")
    digest = hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([algorithm]) + bytes(public_key)
    ).digest()
    return int.from_bytes(digest[:KEY_ID_SIZE], "big")


def _verifier_key_string(name: str, algorithm: int, public_key: bytes) -> str:
    kid = key_id(name, algorithm, public_key)
    return f"{name}+{kid:08x}+{_b64encode(bytes([algorithm]) + public_key)}"


def _parse_verifier_key(vkey: str) -> tuple[str, int, bytes]:
    """``<name>+<hex8>+<base64(alg || key)>`` → (name, alg, key); the key ID is checked."""
    if not isinstance(vkey, str):
        raise NoteError("verifier key must be str")
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise NoteError("verifier key must be <name>+<key ID>+<key>")
    name, hex_id, encoded = parts
    _check_key_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise NoteError(f"verifier key ID must be 8 hex digits, got {hex_id!r}")
    material = _b64decode(encoded, "verifier key")
    algorithm, public_key = material[0], material[1:]
    if key_id(name, algorithm, public_key) != int(hex_id, 16):
        raise NoteError(f"verifier key {name}+{hex_id}: key ID does not match the key")
    return name, algorithm, public_key


def _parse_ed25519_private_key_string(skey: str) -> tuple[str, Ed25519PrivateKey]:
    """``PRIVATE+KEY+<name>+<hex8>+<base64(0x01 || seed)>`` → (name, key); key ID checked."""
    if not isinstance(skey, str) or not skey.startswith(_PRIVATE_KEY_PREFIX):
        raise NoteError("signer key must start with PRIVATE+KEY+")
    parts = skey[len(_PRIVATE_KEY_PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise NoteError("signer key must be PRIVATE+KEY+<name>+<key ID>+<key>")
    name, hex_id, encoded = parts
    _check_key_name(name)
    if not _HEX8.fullmatch(hex_id):
        raise NoteError("signer key ID must be 8 hex digits")
    material = _b64decode(encoded, "signer key")
    if material[0] != ALG_ED25519:
        raise NoteError(f"unsupported signer key algorithm 0x{material[0]:02x}")
    if len(material) != 1 + ED25519_KEY_SIZE:
        raise NoteError("Ed25519 signer key must hold a 32-byte seed")
    private_key = Ed25519PrivateKey.from_private_bytes(material[1:])
    if key_id(name, ALG_ED25519, _raw_public(private_key)) != int(hex_id, 16):
        raise NoteError(f"signer key {name}+{hex_id}: key ID does not match the key")
    return name, private_key


def _raw_public(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def _raw_seed(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )


def _ed25519_private(seed: bytes) -> Ed25519PrivateKey:
    if not isinstance(seed, bytes) or len(seed) != ED25519_KEY_SIZE:
        raise NoteError("an Ed25519 seed is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)


def _ed25519_public(public_key: bytes) -> Ed25519PublicKey:
    if not isinstance(public_key, bytes) or len(public_key) != ED25519_KEY_SIZE:
        raise NoteError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(public_key)


def _ed25519_ok(public: Ed25519PublicKey, signature: bytes, msg: bytes) -> bool:
    if len(signature) != ED25519_SIGNATURE_SIZE:
        return False
    try:
        public.verify(signature, msg)
    except InvalidSignature:
        return False
    return True


class _Ed25519Key:
    """Shared state of the Ed25519-based signers: a name, a key and an algorithm byte."""

    _algorithm: int = ALG_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        _check_key_name(name)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise NoteError("private_key must be an Ed25519PrivateKey")
        self._name = name
        self._private = private_key
        self._public = _raw_public(private_key)
        self._key_id = key_id(name, self._algorithm, self._public)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def verifier_key(self) -> str:
        return _verifier_key_string(self._name, self._algorithm, self._public)

    def private_key_string(self) -> str:
        """The Go ``note.GenerateKey`` signer key: ``PRIVATE+KEY+<name>+<hex8>+<b64>``.

        Always the plain Ed25519 (0x01) form, which is also what Go witnesses store for their
        cosigning key.
        """
        kid = key_id(self._name, ALG_ED25519, self._public)
        encoded = _b64encode(bytes([ALG_ED25519]) + _raw_seed(self._private))
        return f"{_PRIVATE_KEY_PREFIX}{self._name}+{kid:08x}+{encoded}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name}+{self._key_id:08x})"


class Ed25519Signer(_Ed25519Key):
    """Plain Ed25519 note signer (algorithm 0x01), as Go's ``note.NewSigner``."""

    @classmethod
    def from_seed(cls, name: str, seed: bytes) -> Ed25519Signer:
        return cls(name, _ed25519_private(seed))

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key_string(cls, skey: str) -> Ed25519Signer:
        name, private_key = _parse_ed25519_private_key_string(skey)
        return cls(name, private_key)

    def sign(self, msg: bytes) -> bytes:
        return self._private.sign(bytes(msg))

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self._name, self._public)


class Ed25519Verifier:
    """Plain Ed25519 note verifier (algorithm 0x01), as Go's ``note.NewVerifier``."""

    _algorithm: int = ALG_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        _check_key_name(name)
        self._key = _ed25519_public(public_key)
        self._name = name
        self._public = bytes(public_key)
        self._key_id = key_id(name, self._algorithm, self._public)

    @classmethod
    def from_verifier_key_string(cls, vkey: str) -> Ed25519Verifier:
        name, algorithm, public_key = _parse_verifier_key(vkey)
        if algorithm != ALG_ED25519:
            raise NoteError(f"not an Ed25519 note key: algorithm 0x{algorithm:02x}")
        return cls(name, public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    @property
    def public_key(self) -> bytes:
        return self._public

    def verifier_key(self) -> str:
        return _verifier_key_string(self._name, self._algorithm, self._public)

    def verify(self, msg: bytes, payload: bytes) -> bool:
        return _ed25519_ok(self._key, bytes(payload), bytes(msg))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ed25519Verifier) or type(other) is not type(self):
            return NotImplemented
        return (self._name, self._public) == (other._name, other._public)

    def __hash__(self) -> int:
        return hash((type(self), self._name, self._public))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.verifier_key()})"


# ---------------------------------------------------------------------------------------------
# Signing and verifying notes


def _sign_with(text: str, signers: Sequence[Signer]) -> list[Signature]:
    msg = text.encode("utf-8")
    signatures: dict[tuple[str, int], Signature] = {}
    for signer in signers:
        name, kid = signer.name, signer.key_id
        _check_key_name(name)
        _check_uint32(kid, f"key ID of signer {name!r}")
        payload = signer.sign(msg)
        if not isinstance(payload, bytes) or not payload:
            raise NoteError(f"signer {name!r} returned no signature")
        signatures[(name, kid)] = Signature(name=name, key_id=kid, payload=payload)
    return list(signatures.values())


def sign_note(text: str, *signers: Signer) -> Note:
    """Sign ``text`` (which must end in a newline) with every signer, in order."""
    _check_text(text)
    if not signers:
        raise NoteError("sign_note needs at least one signer")
    return Note(text=text, signatures=tuple(_sign_with(text, signers)))


def add_signatures(note: Note, *signers: Signer) -> Note:
    """Add signatures; an existing line with a signer's name and key ID is replaced."""
    new = _sign_with(note.text, signers)
    replaced = {(s.name, s.key_id) for s in new}
    kept = [s for s in note.signatures if (s.name, s.key_id) not in replaced]
    return Note(text=note.text, signatures=(*kept, *new))


def verify_note(note: Note, verifiers: Sequence[Verifier]) -> list[Verifier]:
    """The known verifiers whose signatures on ``note`` verify, in order of first appearance.

    A signature line is from a known key when both its name and its key ID match a verifier;
    other lines are ignored. A known key's signature that fails to verify raises NoteError, as
    does a line matching two different verifiers. An empty result means the note is *not*
    verified and must be rejected.
    """
    known: dict[tuple[str, int], list[Verifier]] = {}
    for verifier in verifiers:
        candidates = known.setdefault((verifier.name, verifier.key_id), [])
        if not any(verifier is c or verifier == c for c in candidates):
            candidates.append(verifier)
    msg = note.text_bytes
    verified: list[Verifier] = []
    for signature in note.signatures:
        candidates = known.get((signature.name, signature.key_id), [])
        if not candidates:
            continue
        if len(candidates) > 1:
            raise NoteError(f"ambiguous key {signature.key}: several verifiers match")
        verifier = candidates[0]
        if not verifier.verify(msg, signature.payload):
            raise NoteError(f"invalid signature for key {signature.key}")
        if not any(verifier is v for v in verified):
            verified.append(verifier)
    return verified


# ---------------------------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin:
            raise NoteError("checkpoint origin must be a non-empty string")
        if "\n" in self.origin:
            raise NoteError("checkpoint origin must be a single line")
        _check_no_controls(self.origin, "checkpoint origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise NoteError(f"checkpoint size must be an int, got {self.size!r}")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise NoteError(f"checkpoint size {self.size} is outside 0..2**64-1")
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_HASH_SIZE:
            raise NoteError(f"checkpoint root hash must be {ROOT_HASH_SIZE} bytes")
        if not isinstance(self.extensions, tuple):
            raise NoteError("checkpoint extensions must be a tuple of lines")
        for line in self.extensions:
            if not isinstance(line, str) or not line or "\n" in line:
                raise NoteError(f"checkpoint extension {line!r} must be one non-empty line")
            _check_no_controls(line, "checkpoint extension line")

    def to_text(self) -> str:
        """The note text of the checkpoint (what the log signs and witnesses cosign)."""
        lines = [self.origin, str(self.size), _b64encode(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        """Parse a checkpoint note text strictly (e.g. ``Checkpoint.from_text(note.text)``)."""
        _check_text(text)
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise NoteError(
                f"checkpoint needs origin, size and root hash lines, got {len(lines)} line(s)"
            )
        for number, line in enumerate(lines, start=1):
            if not line:
                raise NoteError(f"checkpoint line {number} is empty")
        origin, size_text, root_text, *extensions = lines
        if not _DECIMAL.fullmatch(size_text):
            raise NoteError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
        root = _b64decode(root_text, "checkpoint root hash")
        return cls(origin=origin, size=int(size_text), root=root, extensions=tuple(extensions))


# ---------------------------------------------------------------------------------------------
# Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519, cosignature/v1)


def _unix_now() -> int:
    return int(time.time())


def cosignature_message(timestamp: int, checkpoint_text: bytes) -> bytes:
    """``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint_text`` — what a witness signs."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise NoteError(f"cosignature timestamp must be an int, got {timestamp!r}")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside 0..2**63-1")
    header = f"{COSIGNATURE_HEADER}\ntime {timestamp}\n".encode("ascii")
    return header + bytes(checkpoint_text)


def _is_checkpoint(msg: bytes) -> bool:
    try:
        Checkpoint.from_text(msg.decode("utf-8"))
    except (UnicodeDecodeError, NoteError):
        return False
    return True


class CosignatureSigner(_Ed25519Key):
    """Witness cosigner: timestamped Ed25519 cosignatures (algorithm 0x04).

    ``clock`` returns the current POSIX time in whole seconds; inject a fixed one in tests.
    ``sign`` refuses a message that is not a checkpoint note text.
    """

    _algorithm: int = ALG_COSIGNATURE_V1

    def __init__(
        self,
        name: str,
        private_key: Ed25519PrivateKey,
        clock: Callable[[], int] = _unix_now,
    ) -> None:
        super().__init__(name, private_key)
        self._clock = clock

    @classmethod
    def from_seed(
        cls, name: str, seed: bytes, clock: Callable[[], int] = _unix_now
    ) -> CosignatureSigner:
        return cls(name, _ed25519_private(seed), clock)

    @classmethod
    def generate(cls, name: str, clock: Callable[[], int] = _unix_now) -> CosignatureSigner:
        return cls(name, Ed25519PrivateKey.generate(), clock)

    @classmethod
    def from_private_key_string(
        cls, skey: str, clock: Callable[[], int] = _unix_now
    ) -> CosignatureSigner:
        """From a standard Ed25519 (0x01) signer key, as transparency-dev's
        ``NewSignerForCosignatureV1``; the cosigner's key ID is then computed with 0x04."""
        name, private_key = _parse_ed25519_private_key_string(skey)
        return cls(name, private_key, clock)

    def sign(self, msg: bytes) -> bytes:
        msg = bytes(msg)
        if not _is_checkpoint(msg):
            raise NoteError("a cosignature can only be made over a checkpoint note text")
        timestamp = self._clock()
        signature = self._private.sign(cosignature_message(timestamp, msg))
        return timestamp.to_bytes(TIMESTAMP_SIZE, "big") + signature

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self._name, self._public)


class CosignatureVerifier(Ed25519Verifier):
    """Checks timestamped Ed25519 cosignatures (algorithm 0x04) and returns their time."""

    _algorithm: int = ALG_COSIGNATURE_V1

    @classmethod
    def from_verifier_key_string(cls, vkey: str) -> CosignatureVerifier:
        """From a cosigner vkey (0x04), or from a plain Ed25519 vkey (0x01) of the same key,
        which is converted as transparency-dev's ``NewVerifierForCosignatureV1`` does."""
        name, algorithm, public_key = _parse_verifier_key(vkey)
        if algorithm not in (ALG_COSIGNATURE_V1, ALG_ED25519):
            raise NoteError(f"not an Ed25519 cosigner key: algorithm 0x{algorithm:02x}")
        return cls(name, public_key)

    def verify_timestamped(self, msg: bytes, payload: bytes) -> int | None:
        """The cosignature's timestamp if it verifies over checkpoint text ``msg``, else None."""
        payload = bytes(payload)
        if len(payload) != TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE:
            return None
        timestamp = int.from_bytes(payload[:TIMESTAMP_SIZE], "big")
        if timestamp > MAX_TIMESTAMP:
            return None
        msg = bytes(msg)
        if not _is_checkpoint(msg):
            return None
        signed = cosignature_message(timestamp, msg)
        if not _ed25519_ok(self._key, payload[TIMESTAMP_SIZE:], signed):
            return None
        return timestamp

    def verify(self, msg: bytes, payload: bytes) -> bool:
        return self.verify_timestamped(msg, payload) is not None


__all__ = [
    "ALG_COSIGNATURE_V1",
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "CosignatureSigner",
    "CosignatureVerifier",
    "Ed25519Signer",
    "Ed25519Verifier",
    "Note",
    "NoteError",
    "Signature",
    "Signer",
    "Verifier",
    "add_signatures",
    "cosignature_message",
    "format_note",
    "is_valid_key_name",
    "key_id",
    "parse_note",
    "sign_note",
    "verify_note",
]
