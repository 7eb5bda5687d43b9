"""RFC 3161 trusted timestamps for evidence records, through ``rfc3161-client``.

The ASN.1 and CMS work is the library's (Trail of Bits' ``rfc3161-client``, the one
sigstore uses), not ours: hand-written DER would be evidence nobody should trust. It is
an optional extra (``pip install "optout-site[tsa]"``), imported only when a timestamp is
asked for or checked, so a build without a TSA stays offline and light.

A token is stored exactly as the authority sent it (the DER ``TimeStampResp``, what
``openssl ts -reply`` writes to a ``.tsr`` file), so ``openssl ts -verify`` can check it
without us.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from optout_site.errors import EvidenceError

TIMEOUT = 15.0
MAX_REPLY = 1 << 20  # a timestamp reply is a few KiB; anything larger is not one
_MISSING = 'timestamps need the "tsa" extra: pip install "optout-site[tsa]"'


def _library() -> Any:
    try:
        import rfc3161_client
    except ImportError:
        raise EvidenceError(_MISSING) from None
    return rfc3161_client


def request(url: str, data: bytes, timeout: float = TIMEOUT) -> bytes:
    """Ask the authority at ``url`` to timestamp ``data``'s SHA-256; return its reply (DER)."""
    lib = _library()
    builder = lib.TimestampRequestBuilder().data(data).nonce(nonce=True)
    query = builder.hash_algorithm(lib.HashAlgorithm.SHA256).build()
    # The builder draws its own nonce; read it back to check the reply against it.
    nonce = query.nonce
    http = urllib.request.Request(
        url,
        data=query.as_bytes(),
        headers={
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
            "User-Agent": "optout-site-evidence/1",
        },
    )
    try:
        with urllib.request.urlopen(http, timeout=timeout) as response:  # noqa: S310
            reply: bytes = response.read(MAX_REPLY + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EvidenceError(f"the time-stamping authority {url} did not answer: {reason}") from None
    if len(reply) > MAX_REPLY:
        raise EvidenceError(f"the time-stamping authority {url} sent more than a reply")
    token = read(reply)
    if token.nonce != nonce:
        raise EvidenceError(f"the reply of {url} is not for this request (nonce differs)")
    if token.hash_name != "sha256" or token.imprint != hashlib.sha256(data).digest():
        raise EvidenceError(f"the reply of {url} timestamps other data")
    return reply


@dataclass(frozen=True)
class Token:
    """What a reply says, read without judging it (:func:`verify` judges)."""

    granted: bool
    time: datetime
    authority: str  # the signer certificate's subject, as RFC 4514 text
    imprint: bytes  # the hash the authority signed
    hash_name: str
    nonce: int | None
    serial: int
    reply: Any  # the library's TimeStampResponse


_HASHES = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}


def read(reply: bytes) -> Token:
    lib = _library()
    from cryptography import x509

    try:
        response = lib.decode_timestamp_response(reply)
    except Exception as exc:  # the library raises ValueError or its own errors for garbage
        raise EvidenceError(f"not a timestamp reply: {exc}") from None
    status = lib.PKIStatus(response.status)
    if status not in (lib.PKIStatus.GRANTED, lib.PKIStatus.GRANTED_WITH_MODS):
        raise EvidenceError(f"the time-stamping authority refused: {status.name}")
    info = response.tst_info
    authority = "unknown authority"
    signer = next(iter(response.signed_data.signer_infos), None)
    for der in response.signed_data.certificates:
        cert = x509.load_der_x509_certificate(der)
        if signer is not None and cert.serial_number == signer.serial_number:
            authority = cert.subject.rfc4514_string()
    oid = info.message_imprint.hash_algorithm.dotted_string
    return Token(
        granted=True,
        time=info.gen_time,
        authority=authority,
        imprint=info.message_imprint.message,
        hash_name=_HASHES.get(oid, oid),
        nonce=info.nonce,
        serial=info.serial_number,
        reply=response,
    )


def verify(reply: bytes, data: bytes, ca_bundle: Path | None = None) -> tuple[Token, str]:
    """Check that ``reply`` timestamps exactly ``data`` and, given roots, who signed it.

    With ``ca_bundle`` (PEM) the signature is verified and the signer's certificate must
    chain to one of its roots (with the time-stamping key usage); without, only that the
    token covers this data is checked, and the second value says so. Raises
    EvidenceError naming what failed.
    """
    lib = _library()
    from cryptography import x509

    token = read(reply)
    if token.hash_name not in ("sha256", "sha384", "sha512"):
        raise EvidenceError(f"the timestamp uses an unsupported hash ({token.hash_name})")
    if hashlib.new(token.hash_name, data).digest() != token.imprint:
        raise EvidenceError("the timestamp does not cover this record (its hash differs)")
    if ca_bundle is None:
        return token, (
            "covers this record; signature not checked (give --ca with the authority's "
            "root certificate)"
        )
    try:
        roots = x509.load_pem_x509_certificates(ca_bundle.read_bytes())
    except (OSError, ValueError) as exc:
        raise EvidenceError(f"{ca_bundle}: not a PEM certificate bundle ({exc})") from None
    try:
        lib.VerifierBuilder(roots=roots).build().verify_message(token.reply, data)
    except Exception as exc:  # VerificationError, or ValueError from the CMS layer
        raise EvidenceError(f"the timestamp's signature does not verify: {exc}") from None
    return token, f"signature and certificate chain verified against {ca_bundle}"
