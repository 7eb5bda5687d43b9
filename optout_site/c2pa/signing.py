"""Sign a stamped image with our manifest, through ``c2pa-python``.

The manifest's parent ingredient is the image as it was before our XMP stamp: a plain
file, or one whose own manifest (a camera's, Lightroom's, our previous build's) is thereby
kept, valid, inside the new store, never replaced. The secret key is read from its file
or environment variable only here, in the worker, and never put into a message.
"""

from __future__ import annotations

import functools
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from optout_site._version import __version__
from optout_site.c2pa import reading
from optout_site.c2pa.statement import CLAIM_GENERATOR, entries_by_label
from optout_site.config import C2paConfig
from optout_site.errors import CredentialsError


@dataclass(frozen=True)
class Signing:
    """What to sign an image with: our assertions (canonical JSON) and the signer."""

    assertions: str
    config: C2paConfig


def ready(config: C2paConfig) -> str:
    """Check, before a build writes anything, that the certificate chain and the key can
    be read and used; the certificate's serial (it goes into the build's fingerprint)."""
    _algorithm(_pem(config, "key"))
    return cert_serial(config)


def _pem(config: C2paConfig, what: str) -> bytes:
    path: Path | None = getattr(config, what)
    env: str | None = getattr(config, f"{what}_env")
    if env is not None:
        value = os.environ.get(env)
        if not value:
            raise CredentialsError(f"c2pa.{what}_env: {env} is not set in the environment")
        return value.encode()
    assert path is not None  # the config requires one of them
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CredentialsError(f"c2pa.{what}: {path} cannot be read: {exc.strerror}") from None


def cert_serial(config: C2paConfig) -> str:
    """The signing certificate's serial number, as the Reader reports it (decimal); read
    each time, so a certificate renewed at the same path is seen."""
    return _serial(_pem(config, "cert"))


@functools.lru_cache(maxsize=8)
def _serial(chain: bytes) -> str:
    from cryptography import x509

    try:
        leaf = x509.load_pem_x509_certificates(chain)[0]
    except ValueError as exc:
        raise CredentialsError(f"c2pa.cert holds no PEM certificate chain ({exc})") from None
    return str(leaf.serial_number)


def _algorithm(key_pem: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        # The library's message names no key material, only what is wrong with it.
        raise CredentialsError(f"c2pa.key is not an unencrypted PEM private key ({exc})") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        curves = {"secp256r1": b"es256", "secp384r1": b"es384", "secp521r1": b"es512"}
        if key.curve.name in curves:
            return curves[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return b"ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return b"ps256"
    raise CredentialsError("c2pa.key: C2PA signs with EC P-256/384/521, Ed25519 or RSA-PSS keys")


def _signer(config: C2paConfig) -> Any:
    import c2pa

    key = _pem(config, "key")
    info = c2pa.C2paSignerInfo(_algorithm(key), _pem(config, "cert"), key, config.tsa)
    try:
        return c2pa.Signer.from_info(info)
    except c2pa.C2paError as exc:
        raise CredentialsError(f"c2pa: the certificate and key cannot sign: {exc}") from None


def current(path: Path, signing: Signing) -> bool:
    """``path`` carries our valid manifest, with these assertions and this certificate.

    The manifest hard-binds the file's bytes, so "validates" also means the content is
    what we signed; with the assertions and the certificate's serial, nothing that goes
    into a signature has changed and signing again would only change the signing time.
    """
    found = reading.read(path)
    wanted = entries_by_label(json.loads(signing.assertions))
    return (
        found.validates
        and found.ours
        and found.training_mining == wanted
        and found.cert_serial == cert_serial(signing.config)
    )


def sign(parent: Path, asset: BinaryIO, out: BinaryIO, signing: Signing, edited: bool) -> None:
    """Write ``asset`` (``parent`` with our XMP, or ``parent`` itself) to ``out`` with our
    manifest, ``parent`` its parent ingredient. CredentialsError if signing fails."""
    import c2pa

    fmt = reading.media_type(parent)
    definition = {
        "claim_generator_info": [{"name": CLAIM_GENERATOR, "version": __version__}],
        "assertions": json.loads(signing.assertions),
    }
    signed = io.BytesIO()
    try:
        with c2pa.Builder(definition, reading.context()) as builder, parent.open("rb") as src:
            builder.add_ingredient({"title": parent.name, "relationship": "parentOf"}, fmt, src)
            builder.set_intent(c2pa.C2paBuilderIntent.EDIT)  # adds c2pa.opened for the parent
            if edited:
                builder.add_action({"action": "c2pa.edited.metadata"})
            asset.seek(0)
            builder.sign(_signer(signing.config), fmt, asset, signed)
    except c2pa.C2paError as exc:
        raise CredentialsError(
            f"{parent}: Content Credentials could not be signed: {exc}"
        ) from None
    out.write(signed.getbuffer())
