"""C2SP signed notes, tlog checkpoints and witness cosignatures (lawtrail.core.notes).

Known-answer vectors:
* golang.org/x/mod/sumdb/note note_test.go: the PeterNeumann and EnochRoot keys and their
  signatures over the "If you think cryptography..." text, and its malformed-note table.
* transparency-dev/formats note_cosigv1_test.go: the native cosignature/v1 (0x04) verifier key
  of the remora.n621.de witness, and a cosignature whose timestamp is 1727964367.
* A real checkpoint of arche2025h1.staging.ct.transparency.dev with its log signature (0x01),
  an RFC 6962 STH signature (0x05, unknown here) and witness cosignatures, one of them from
  remora.n621.de.
* The c2sp.org/tlog-cosignature example line, whose timestamp the spec text gives (1679315147).
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from dataclasses import dataclass

import pytest

from lawtrail.core import notes
from lawtrail.core.notes import (
    ALG_COSIGNATURE_V1,
    ALG_ED25519,
    Checkpoint,
    CosignatureSigner,
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    NoteError,
    Signature,
    add_signatures,
    cosignature_message,
    format_note,
    key_id,
    parse_note,
    sign_note,
    verify_note,
)

# --- golang.org/x/mod/sumdb/note reference vectors -------------------------------------------

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
    "KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)
GO_NOTE = GO_TEXT + "\n" + PETER_SIG

# --- a real witnessed checkpoint (transparency.dev staging CT log) ----------------------------

ARCHE_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
ARCHE_TEXT = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
)
ARCHE_NOTE = (
    ARCHE_TEXT
    + "\n"
    + "— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREP"
    "MHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    + "— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3"
    "NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    + "— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2"
    "rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    + "— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcx"
    "Z75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    + "— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9s"
    "XTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    + "— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJm"
    "IY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
REMORA_TIMESTAMP = 1779573024

# --- fixed keys for everything else ------------------------------------------------------------

SEED_LOG = bytes(range(32))
SEED_OTHER = bytes(range(32, 64))
SEED_WITNESS = hashlib.sha256(b"lawtrail test witness").digest()
ORIGIN = "lawtrail.example/tonghua-market"
ROOT = hashlib.sha256(b"root").digest()
NOW = 1_767_225_600  # 2026-01-01T00:00:00Z


def fixed_clock(value: int = NOW) -> CosignatureSigner:
    return CosignatureSigner.from_seed("witness.example/w1", SEED_WITNESS, clock=lambda: value)


def log_signer() -> Ed25519Signer:
    return Ed25519Signer.from_seed(ORIGIN, SEED_LOG)


def checkpoint_text(size: int = 42, root: bytes = ROOT) -> str:
    return Checkpoint(ORIGIN, size, root).to_text()


def raw_public(vkey: str) -> bytes:
    return base64.b64decode(vkey.split("+", 2)[2])[1:]


@dataclass
class StubVerifier:
    """A verifier claiming any name and key ID, accepting whatever ``answer`` says."""

    name: str
    key_id: int
    answer: bool = True

    def verify(self, msg: bytes, payload: bytes) -> bool:
        return self.answer


# --- known answers -----------------------------------------------------------------------------


def test_go_reference_note_verifies_with_peter_neumann_verifier_key() -> None:
    verifier = Ed25519Verifier.from_verifier_key_string(PETER_VKEY)
    note = parse_note(GO_NOTE.encode())
    assert note.text == GO_TEXT
    assert note.signatures[0].name == "PeterNeumann"
    assert note.signatures[0].key_id == 0xC74F20A3
    assert verify_note(note, [verifier]) == [verifier]


def test_key_id_c74f20a3_is_sha256_of_name_newline_algorithm_and_public_key() -> None:
    public = raw_public(PETER_VKEY)
    assert key_id("PeterNeumann", ALG_ED25519, public) == 0xC74F20A3
    assert Ed25519Verifier.from_verifier_key_string(PETER_VKEY).key_id == 0xC74F20A3
    assert key_id("EnochRoot", ALG_ED25519, raw_public(ENOCH_VKEY)) == 0xAF0CFE78


def test_go_reference_signer_key_reproduces_the_published_note_byte_for_byte() -> None:
    signer = Ed25519Signer.from_private_key_string(PETER_SKEY)
    assert signer.verifier_key() == PETER_VKEY
    assert signer.private_key_string() == PETER_SKEY
    assert format_note(sign_note(GO_TEXT, signer)) == GO_NOTE


def test_go_reference_note_with_two_signers_reports_only_known_verifiers() -> None:
    peter = Ed25519Verifier.from_verifier_key_string(PETER_VKEY)
    enoch = Ed25519Verifier.from_verifier_key_string(ENOCH_VKEY)
    note = parse_note(GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG)
    assert verify_note(note, [peter]) == [peter]
    assert verify_note(note, [enoch, peter]) == [peter, enoch]
    assert verify_note(note, []) == []


def test_go_reference_invalid_signature_from_known_key_rejects_note() -> None:
    peter = Ed25519Verifier.from_verifier_key_string(PETER_VKEY)
    note = parse_note(GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:])
    with pytest.raises(NoteError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        verify_note(note, [peter])


@pytest.mark.parametrize(
    "message",
    [
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        GO_TEXT + "\n" + "— Bad Name " + PETER_SIG.split(" ")[2],
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        GO_TEXT + "\n" + PETER_SIG * 101,
    ],
)
def test_go_reference_malformed_messages_are_rejected(message: str) -> None:
    with pytest.raises(NoteError):
        parse_note(message)


def test_invalid_utf8_note_is_rejected() -> None:
    with pytest.raises(NoteError, match="UTF-8"):
        parse_note(b"\xff" + GO_NOTE.encode())


def test_go_reference_verifier_key_manglings_are_rejected() -> None:
    for start in range(len(PETER_VKEY)):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(NoteError):
                    Ed25519Verifier.from_verifier_key_string(PETER_VKEY[start:end])
    for index in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:index] + chr(ord(PETER_VKEY[index]) + 1) + PETER_VKEY[index + 1 :]
        with pytest.raises(NoteError):
            Ed25519Verifier.from_verifier_key_string(mangled)


def test_go_reference_signer_key_manglings_are_rejected() -> None:
    for index in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:index] + chr(ord(PETER_SKEY[index]) + 1) + PETER_SKEY[index + 1 :]
        with pytest.raises(NoteError):
            Ed25519Signer.from_private_key_string(mangled)


def test_real_witnessed_checkpoint_verifies_log_signature_and_remora_cosignature() -> None:
    log = Ed25519Verifier.from_verifier_key_string(ARCHE_VKEY)
    remora = CosignatureVerifier.from_verifier_key_string(REMORA_VKEY)
    note = parse_note(ARCHE_NOTE)
    assert len(note.signatures) == 6
    # The first line shares the log's name but has another key ID (an RFC 6962 STH
    # signature): it is ignored, not rejected.
    assert verify_note(note, [log]) == [log]
    assert verify_note(note, [remora]) == [remora]
    line = next(s for s in note.signatures if s.name == "remora.n621.de")
    assert remora.verify_timestamped(note.text_bytes, line.payload) == REMORA_TIMESTAMP
    checkpoint = Checkpoint.from_text(note.text)
    assert (checkpoint.origin, checkpoint.size) == (
        "arche2025h1.staging.ct.transparency.dev",
        1432088532,
    )


def test_real_remora_cosignature_fails_over_a_changed_checkpoint() -> None:
    remora = CosignatureVerifier.from_verifier_key_string(REMORA_VKEY)
    note = parse_note(ARCHE_NOTE.replace("1432088532", "1432088533"))
    with pytest.raises(NoteError, match=r"remora\.n621\.de"):
        verify_note(note, [remora])


def test_cosigner_key_id_da77ade7_is_computed_with_algorithm_0x04() -> None:
    public = raw_public(REMORA_VKEY)
    assert key_id("remora.n621.de", ALG_COSIGNATURE_V1, public) == 0xDA77ADE7
    assert key_id("remora.n621.de", ALG_ED25519, public) != 0xDA77ADE7
    assert CosignatureVerifier.from_verifier_key_string(REMORA_VKEY).verifier_key() == REMORA_VKEY


@pytest.mark.parametrize(
    ("encoded", "timestamp"),
    [
        # c2sp.org/tlog-cosignature example line; the spec shows "time 1679315147".
        (
            "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xU"
            "e+mbIUBkBIfZ+qnA==",
            1679315147,
        ),
        # transparency-dev/formats TestCoSigV1Timestamp.
        (
            "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDc"
            "FiEBYJXORmnFBOBA==",
            1727964367,
        ),
    ],
)
def test_published_cosignature_lines_carry_the_timestamp_after_the_key_id(
    encoded: str, timestamp: int
) -> None:
    note = parse_note(f"{checkpoint_text()}\n— witness.example.com/w1 {encoded}\n")
    payload = note.signatures[0].payload
    assert len(payload) == 8 + 64
    assert int.from_bytes(payload[:8], "big") == timestamp


# --- round trips and signature checks ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "one line\n",
        "\n",
        "paragraph\n\nafter an empty line\n",
        "ends with an empty line\n\n",
        "中文：行政执法全过程记录\n",
        "— looks like a signature line x08go/ZJ\n",
    ],
)
def test_signed_note_round_trips_through_text(text: str) -> None:
    signer = log_signer()
    other = Ed25519Signer.from_seed("other.example/key", SEED_OTHER)
    note = sign_note(text, signer, other)
    parsed = parse_note(format_note(note))
    assert parsed == note
    assert parse_note(format_note(note).encode("utf-8")) == note
    assert verify_note(parsed, [signer.verifier(), other.verifier()]) == [
        signer.verifier(),
        other.verifier(),
    ]


def test_signature_covers_the_note_text_bytes_exactly() -> None:
    signer = log_signer()
    note = sign_note("abc\n", signer)
    assert signer.verifier().verify(b"abc\n", note.signatures[0].payload)
    assert not signer.verifier().verify(b"abc\n\n", note.signatures[0].payload)


def test_tampered_text_fails_verification() -> None:
    signer = log_signer()
    formatted = format_note(sign_note(checkpoint_text(), signer))
    tampered = parse_note(formatted.replace("\n42\n", "\n43\n"))
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(tampered, [signer.verifier()])


def test_tampered_signature_fails_verification() -> None:
    signer = log_signer()
    note = sign_note(checkpoint_text(), signer)
    payload = bytearray(note.signatures[0].payload)
    payload[10] ^= 0x01
    forged = Note(note.text, (Signature(signer.name, signer.key_id, bytes(payload)),))
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(forged, [signer.verifier()])


def test_signature_of_wrong_length_from_known_key_fails_verification() -> None:
    signer = log_signer()
    short = Note("x\n", (Signature(signer.name, signer.key_id, b"\x00" * 63),))
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(short, [signer.verifier()])


def test_signature_by_another_key_with_the_same_name_is_ignored() -> None:
    signer = log_signer()
    impostor = Ed25519Signer.from_seed(ORIGIN, SEED_OTHER)
    note = sign_note(checkpoint_text(), impostor)
    assert impostor.key_id != signer.key_id
    assert verify_note(note, [signer.verifier()]) == []


def test_known_key_whose_signature_does_not_verify_rejects_the_note() -> None:
    signer = log_signer()
    note = sign_note(checkpoint_text(), signer)
    wrong = StubVerifier(signer.name, signer.key_id, answer=False)
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(note, [wrong])


def test_unknown_signers_are_ignored_and_known_ones_reported() -> None:
    signer = log_signer()
    stranger = Ed25519Signer.from_seed("stranger.example", SEED_OTHER)
    note = sign_note(checkpoint_text(), stranger, signer)
    assert verify_note(note, [signer.verifier()]) == [signer.verifier()]
    assert verify_note(sign_note(checkpoint_text(), stranger), [signer.verifier()]) == []


def test_same_verifier_listed_twice_is_not_ambiguous() -> None:
    signer = log_signer()
    note = sign_note(checkpoint_text(), signer)
    verifier = signer.verifier()
    assert verify_note(note, [verifier, signer.verifier()]) == [verifier]


def test_two_different_verifiers_for_one_key_are_ambiguous_when_used() -> None:
    signer = log_signer()
    note = sign_note(checkpoint_text(), signer)
    stub = StubVerifier(signer.name, signer.key_id)
    with pytest.raises(NoteError, match="ambiguous"):
        verify_note(note, [signer.verifier(), stub])
    unused = StubVerifier("unused", 1)
    assert verify_note(note, [signer.verifier(), unused, StubVerifier("unused", 1)]) == [
        signer.verifier()
    ]


def test_repeated_signature_line_reports_the_verifier_once() -> None:
    signer = log_signer()
    note = sign_note(checkpoint_text(), signer)
    doubled = Note(note.text, note.signatures * 2)
    assert verify_note(doubled, [signer.verifier()]) == [signer.verifier()]


def test_add_signatures_appends_and_replaces_the_same_key() -> None:
    signer = log_signer()
    other = Ed25519Signer.from_seed("other.example/key", SEED_OTHER)
    stale = Signature(signer.name, signer.key_id, b"\x00" * 64)
    note = Note(checkpoint_text(), (stale,))
    updated = add_signatures(note, signer, other)
    assert [s.name for s in updated.signatures] == [signer.name, other.name]
    assert stale not in updated.signatures
    assert verify_note(updated, [signer.verifier(), other.verifier()]) == [
        signer.verifier(),
        other.verifier(),
    ]


def test_signer_and_verifier_key_strings_round_trip() -> None:
    signer = log_signer()
    again = Ed25519Signer.from_private_key_string(signer.private_key_string())
    assert again.key_id == signer.key_id
    assert again.verifier_key() == signer.verifier_key()
    verifier = Ed25519Verifier.from_verifier_key_string(signer.verifier_key())
    assert verifier == signer.verifier()
    assert verifier.verifier_key() == signer.verifier_key()
    name, hex_id, material = signer.verifier_key().split("+", 2)
    assert name == ORIGIN
    assert int(hex_id, 16) == signer.key_id
    assert base64.b64decode(material)[0] == ALG_ED25519


def test_generated_signer_signs_notes_its_verifier_accepts() -> None:
    signer = Ed25519Signer.generate("fresh.example")
    note = sign_note("hello\n", signer)
    assert verify_note(note, [signer.verifier()]) == [signer.verifier()]
    assert "PRIVATE" not in repr(signer)


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        REMORA_VKEY,
    ],
)
def test_ed25519_verifier_rejects_keys_of_other_sizes_algorithms_or_ids(vkey: str) -> None:
    with pytest.raises(NoteError):
        Ed25519Verifier.from_verifier_key_string(vkey)


def test_uppercase_hex_key_id_is_accepted_like_go() -> None:
    verifier = Ed25519Verifier.from_verifier_key_string(PETER_VKEY.replace("c74f20a3", "C74F20A3"))
    assert verifier.key_id == 0xC74F20A3


# --- malformed notes ---------------------------------------------------------------------------

VALID_B64 = PETER_SIG.split(" ")[2].rstrip("\n")


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (GO_TEXT + PETER_SIG, "no blank line"),
        (GO_TEXT + "\n", "no signature lines"),
        (GO_TEXT + "\n— PeterNeumann not*base64!\n", "invalid base64"),
        (GO_TEXT + "\n— PeterNeumann x08gow==\n", "too short"),
        (GO_TEXT + "\n— PeterNeumann AAA=\n", "too short"),
        (GO_TEXT + "\n— PeterNeumann x08go/ZJkx==\n", "non-canonical"),
        (GO_TEXT + "\n— PeterNeumann \n", "empty base64"),
        (GO_TEXT + "\n- PeterNeumann " + VALID_B64 + "\n", "em dash"),
        (GO_TEXT + "\n– PeterNeumann " + VALID_B64 + "\n", "em dash"),
        (GO_TEXT + "\n—PeterNeumann " + VALID_B64 + "\n", "em dash"),
        (GO_TEXT + "\n— PeterNeumann\n", "no space"),
        (GO_TEXT + "\n— Peter+Neumann " + VALID_B64 + "\n", "invalid key name"),
        (GO_TEXT + "\n— Peter Neumann " + VALID_B64 + "\n", "invalid base64"),
        (GO_TEXT + "\n—  " + VALID_B64 + "\n", "invalid key name"),
        (GO_TEXT + "\n— Peter\u3000Neumann " + VALID_B64 + "\n", "invalid key name"),
        ("tab\there\n\n" + PETER_SIG, "control character"),
        ("carriage\r\n\n" + PETER_SIG, "control character"),
        (GO_TEXT + "\n" + PETER_SIG.rstrip("\n"), "end with a newline"),
        (GO_TEXT + "\n" + PETER_SIG + "\n", "no signature lines"),
    ],
)
def test_malformed_notes_are_rejected_with_a_reason(message: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        parse_note(message)


def test_at_most_100_signature_lines_are_accepted() -> None:
    assert len(parse_note(GO_TEXT + "\n" + PETER_SIG * 100).signatures) == 100
    with pytest.raises(NoteError, match="more than 100"):
        parse_note(GO_TEXT + "\n" + PETER_SIG * 101)


@pytest.mark.parametrize("text", ["no final newline", "", "bell\x07\n", "nul\x00\n", "\ud800\n"])
def test_invalid_note_texts_cannot_be_signed(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, log_signer())


def test_signing_needs_at_least_one_signer() -> None:
    with pytest.raises(NoteError, match="at least one signer"):
        sign_note("text\n")


@pytest.mark.parametrize("name", ["", "a+b", "a b", "a\tb", "a\u00a0b", "a\u2028b"])
def test_invalid_key_names_are_rejected(name: str) -> None:
    with pytest.raises(NoteError, match="key name"):
        Signature(name, 1, b"x")
    with pytest.raises(NoteError, match="key name"):
        Ed25519Signer.from_seed(name, SEED_LOG)
    with pytest.raises(NoteError, match="key name"):
        key_id(name, ALG_ED25519, b"\x00" * 32)


@pytest.mark.parametrize(("kid", "payload"), [(-1, b"x"), (2**32, b"x"), (1, b"")])
def test_signature_needs_uint32_key_id_and_a_payload(kid: int, payload: bytes) -> None:
    with pytest.raises(NoteError):
        Signature("name", kid, payload)


def test_note_without_signatures_cannot_be_built() -> None:
    with pytest.raises(NoteError, match="at least one signature"):
        Note("text\n", ())


# --- checkpoints -------------------------------------------------------------------------------


def test_checkpoint_formats_three_lines_and_extensions() -> None:
    checkpoint = Checkpoint(ORIGIN, 42, ROOT, ("ext one", "ext two"))
    root64 = base64.b64encode(ROOT).decode()
    assert checkpoint.to_text() == f"{ORIGIN}\n42\n{root64}\next one\next two\n"
    assert Checkpoint.from_text(checkpoint.to_text()) == checkpoint


def test_empty_tree_checkpoint_has_size_zero() -> None:
    checkpoint = Checkpoint.from_text(checkpoint_text(size=0))
    assert checkpoint.size == 0
    assert checkpoint.extensions == ()


def test_signed_checkpoint_parses_from_the_verified_note_text() -> None:
    signer = log_signer()
    formatted = format_note(sign_note(checkpoint_text(size=7), signer))
    note = parse_note(formatted)
    assert verify_note(note, [signer.verifier()]) == [signer.verifier()]
    assert Checkpoint.from_text(note.text) == Checkpoint(ORIGIN, 7, ROOT)


ROOT64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"{ORIGIN}\n042\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n00\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n-1\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n+1\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n 1\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n1_000\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n\u0661\n{ROOT64}\n", "leading zeros"),
        (f"{ORIGIN}\n{2**64}\n{ROOT64}\n", "outside"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", "32 bytes"),
        (f"{ORIGIN}\n1\nnot base64!\n", "invalid base64"),
        (f"{ORIGIN}\n1\n", "got 2 line"),
        (f"{ORIGIN}\n", "got 1 line"),
        (f"\n1\n{ROOT64}\n", "line 1 is empty"),
        (f"{ORIGIN}\n1\n{ROOT64}\n\nextension\n", "line 4 is empty"),
        (f"{ORIGIN}\n1\n{ROOT64}", "end with a newline"),
        (f"{ORIGIN}\x00\n1\n{ROOT64}\n", "control character"),
    ],
)
def test_malformed_checkpoints_are_rejected(text: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        Checkpoint.from_text(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, ROOT, ()),
        ("a\nb", 1, ROOT, ()),
        (ORIGIN, -1, ROOT, ()),
        (ORIGIN, True, ROOT, ()),
        (ORIGIN, 1, ROOT[:16], ()),
        (ORIGIN, 1, ROOT, ("",)),
        (ORIGIN, 1, ROOT, ("two\nlines",)),
    ],
)
def test_invalid_checkpoints_cannot_be_built(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(NoteError):
        Checkpoint(origin, size, root, extensions)


# --- witness cosignatures ----------------------------------------------------------------------


def test_cosignature_verifies_and_returns_the_clock_timestamp() -> None:
    witness = fixed_clock()
    note = add_signatures(sign_note(checkpoint_text(), log_signer()), witness)
    line = note.signatures[-1]
    assert (line.name, line.key_id) == (witness.name, witness.key_id)
    assert len(line.payload) == 8 + 64
    assert int.from_bytes(line.payload[:8], "big") == NOW
    verifier = witness.verifier()
    assert verifier.verify_timestamped(note.text_bytes, line.payload) == NOW
    assert verify_note(parse_note(format_note(note)), [verifier]) == [verifier]


def test_cosignature_signs_the_cosignature_v1_message() -> None:
    witness = fixed_clock()
    text = checkpoint_text()
    payload = witness.sign(text.encode())
    message = b"cosignature/v1\ntime " + str(NOW).encode() + b"\n" + text.encode()
    assert cosignature_message(NOW, text.encode()) == message
    plain = Ed25519Verifier(witness.name, witness.public_key)
    assert plain.verify(message, payload[8:])


def test_cosignature_over_a_different_checkpoint_fails() -> None:
    witness = fixed_clock()
    payload = witness.sign(checkpoint_text(size=42).encode())
    verifier = witness.verifier()
    assert verifier.verify_timestamped(checkpoint_text(size=43).encode(), payload) is None
    other_root = hashlib.sha256(b"other").digest()
    assert verifier.verify_timestamped(checkpoint_text(root=other_root).encode(), payload) is None
    forged = Note(checkpoint_text(size=43), (Signature(witness.name, witness.key_id, payload),))
    with pytest.raises(NoteError, match="invalid signature"):
        verify_note(forged, [verifier])


def test_cosignature_with_a_different_time_fails() -> None:
    witness = fixed_clock()
    text = checkpoint_text().encode()
    payload = witness.sign(text)
    moved = (NOW + 1).to_bytes(8, "big") + payload[8:]
    assert witness.verifier().verify_timestamped(text, moved) is None
    assert not witness.verifier().verify(text, moved)


def test_cosignature_covers_extension_lines() -> None:
    witness = fixed_clock()
    text = Checkpoint(ORIGIN, 42, ROOT, ("extension",)).to_text()
    payload = witness.sign(text.encode())
    assert witness.verifier().verify_timestamped(text.encode(), payload) == NOW
    changed = text.replace("extension", "extensioN").encode()
    assert witness.verifier().verify_timestamped(changed, payload) is None


def test_cosigner_key_id_uses_algorithm_0x04_and_differs_from_a_note_signer() -> None:
    witness = fixed_clock()
    plain = Ed25519Signer.from_seed(witness.name, SEED_WITNESS)
    assert witness.public_key == plain.public_key
    assert witness.key_id == key_id(witness.name, ALG_COSIGNATURE_V1, witness.public_key)
    assert plain.key_id == key_id(witness.name, ALG_ED25519, witness.public_key)
    assert witness.key_id != plain.key_id
    # Each verifier ignores the other kind of signature line from the same key.
    note = sign_note(checkpoint_text(), witness)
    assert verify_note(note, [plain.verifier()]) == []
    assert verify_note(sign_note(checkpoint_text(), plain), [witness.verifier()]) == []


def test_cosigner_verifier_key_has_algorithm_0x04_and_round_trips() -> None:
    witness = fixed_clock()
    vkey = witness.verifier_key()
    name, hex_id, material = vkey.split("+", 2)
    assert (name, int(hex_id, 16)) == (witness.name, witness.key_id)
    assert base64.b64decode(material) == bytes([ALG_COSIGNATURE_V1]) + witness.public_key
    verifier = CosignatureVerifier.from_verifier_key_string(vkey)
    assert verifier == witness.verifier()
    assert verifier != Ed25519Verifier(witness.name, witness.public_key)
    with pytest.raises(NoteError, match="algorithm 0x04"):
        Ed25519Verifier.from_verifier_key_string(vkey)


def test_cosigner_accepts_standard_ed25519_key_strings_like_transparency_dev() -> None:
    plain = Ed25519Signer.from_seed("witness.example/w1", SEED_WITNESS)
    witness = CosignatureSigner.from_private_key_string(plain.private_key_string(), clock=lambda: 5)
    assert witness.key_id == fixed_clock().key_id
    assert witness.private_key_string() == plain.private_key_string()
    converted = CosignatureVerifier.from_verifier_key_string(plain.verifier_key())
    assert converted.key_id == witness.key_id
    payload = witness.sign(checkpoint_text().encode())
    assert converted.verify_timestamped(checkpoint_text().encode(), payload) == 5


def test_cosigner_refuses_text_that_is_not_a_checkpoint() -> None:
    with pytest.raises(NoteError, match="checkpoint"):
        fixed_clock().sign(b"just a note\n")
    with pytest.raises(NoteError, match="checkpoint"):
        sign_note(GO_TEXT, fixed_clock())


@pytest.mark.parametrize("bad_time", [-1, 2**63])
def test_cosigner_refuses_timestamps_outside_the_spec_range(bad_time: int) -> None:
    with pytest.raises(NoteError, match="timestamp"):
        fixed_clock(bad_time).sign(checkpoint_text().encode())


def test_cosignature_timestamp_above_2_63_is_rejected() -> None:
    witness = fixed_clock()
    text = checkpoint_text().encode()
    payload = witness.sign(text)
    assert (
        witness.verifier().verify_timestamped(text, (2**63).to_bytes(8, "big") + payload[8:])
        is None
    )


@pytest.mark.parametrize("size", [0, 8, 71, 73])
def test_cosignature_payload_of_wrong_length_does_not_verify(size: int) -> None:
    assert (
        fixed_clock().verifier().verify_timestamped(checkpoint_text().encode(), b"\x00" * size)
        is None
    )


def test_cosignature_time_zero_and_maximum_are_representable() -> None:
    text = checkpoint_text().encode()
    for moment in (0, 2**63 - 1):
        witness = fixed_clock(moment)
        assert witness.verifier().verify_timestamped(text, witness.sign(text)) == moment


@pytest.mark.parametrize(
    "code", [*range(0x80), 0x85, 0xA0, 0x1680, 0x2000, 0x2028, 0x2029, 0x3000, 0x4E2D, 0xD800]
)
def test_key_names_and_controls_are_judged_per_character_as_defined(code: int) -> None:
    # The checks run as regex searches (ASCII) for speed; they must judge every character as
    # the definitions do: no Unicode space, control character or "+" in a key name; no
    # control character but the newline in a note, and valid Unicode.
    ch = chr(code)
    encodable = not 0xD800 <= code <= 0xDFFF
    space = ch.isspace() or unicodedata.category(ch) in ("Zs", "Zl", "Zp")
    name_ok = encodable and not space and code >= 0x20 and ch != "+"
    assert notes.is_valid_key_name(f"a{ch}b") is name_ok
    text_ok = encodable and (code >= 0x20 or ch == "\n")
    if text_ok:
        notes._check_no_controls(f"x{ch}y\n", "note text")
        return
    problem = "lone surrogate" if not encodable else f"U\\+{code:04X} at 1"
    with pytest.raises(notes.NoteError, match=problem):
        notes._check_no_controls(f"x{ch}y\n", "note text")
