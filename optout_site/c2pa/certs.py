"""A local CA and a C2PA signing certificate, for trying Content Credentials out.

C2PA validators refuse a self-signed signing certificate and check its profile (C2PA
Technical Specification 2.1, §14.5.1 "Certificate Profile"): not a CA, ``digitalSignature``
key usage, an extended key usage C2PA accepts (``id-kp-emailProtection`` here; document
signing or C2PA's own claim-signing EKU work too), an authority key identifier. So this
makes two: a CA (the trust anchor a reader must be told about) and a leaf it signs. The
chain file given to the signer holds the leaf then the CA, as COSE ``x5chain`` wants.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TestCertificate:
    """Where :func:`make` wrote the files."""

    ca_cert: Path  # the trust anchor: add it to a reader's trust list to see "trusted"
    chain: Path  # leaf + CA, PEM: ``c2pa: cert:``
    key: Path  # the leaf's private key, PKCS#8 PEM, mode 0600: ``c2pa: key:``


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def make(folder: Path, organisation: str, *, days: int = 365) -> TestCertificate:
    """Write ``ca.pem``, ``chain.pem`` and ``signer.key`` into ``folder``.

    The CA's own key is not kept: a test CA that can sign nothing more cannot be misused.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{organisation} test CA (optout-site)", organisation)
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days + 1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} content signing (test)", organisation))
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    out = TestCertificate(folder / "ca.pem", folder / "chain.pem", folder / "signer.key")
    out.ca_cert.write_bytes(ca.public_bytes(pem))
    out.chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_pem = leaf_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created 0600, never readable by others even for an instant.
    fd = os.open(out.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_pem)
    os.chmod(out.key, 0o600)  # an existing file keeps its old mode through O_TRUNC
    return out


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
