"""``optout-site c2pa make-test-cert``: a local CA and a signing certificate to try
Content Credentials with (validators show it as untrusted; docs/c2pa.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from optout_site.cli import EXIT_OK, Subparsers


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "c2pa",
        help="Content Credentials helpers (make-test-cert)",
        description="make-test-cert writes ca.pem (the test CA: the trust anchor to give "
        "a reader), chain.pem (signing certificate + CA: c2pa.cert) and signer.key "
        "(mode 0600: c2pa.key) into FOLDER. For trying it out only: C2PA validators show "
        "a manifest signed with it as 'untrusted' (see docs/c2pa.md for real certificates).",
    )
    p.add_argument("action", choices=["make-test-cert"])
    p.add_argument("folder", type=Path, help="where to write the files (created if missing)")
    p.add_argument("--org", default="optout-site test", help="organisation name in the certs")
    p.add_argument("--days", type=int, default=365, help="validity of the signing certificate")
    return p


def run(args: argparse.Namespace) -> int:
    from optout_site.c2pa import certs

    made = certs.make(args.folder, args.org, days=args.days)
    print(f"test CA (trust anchor): {made.ca_cert}")
    print(f"c2pa.cert:              {made.chain}")
    print(f"c2pa.key:               {made.key}")
    return EXIT_OK
