"""``evidence show``: a record in words, for a person (text) or for print (HTML)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from optout_site.evidence import ledger, record, verify

TEMPLATE = "evidence_record.html.j2"
USES = {
    "tdm": "text and data mining",
    "train": "AI training",
    "genai-train": "generative AI training",
    "ai-input": "use as AI input (retrieval, answers)",
    "search": "search indexing",
}


def _facts(path: Path) -> dict[str, Any]:
    value, data = ledger.load(path)
    files = value.get("files", [])
    kinds = Counter(str(f.get("kind")) for f in files)
    reservations = Counter(
        f["reservation"].get("plus:DataMining", "") for f in files if f.get("kind") == "image"
    )
    return {
        "record": value,
        "path": path,
        "hash": record.digest(data),
        "kinds": dict(sorted(kinds.items())),
        "image_reservations": dict(reservations.most_common()),
        "uses": USES,
    }


def text(path: Path) -> str:
    facts = _facts(path)
    value = facts["record"]
    lines = [
        f"Evidence record {path.name} for {value['site']} ({value['url']})",
        f"  made {value['created']} by {value['tool']['name']} {value['tool']['version']}",
        f"  rights holder: {value.get('rightsholder', '')}",
        f"  record SHA-256: {facts['hash']}",
        f"  previous record: {value.get('previous') or 'none (first record)'}",
        f"  Merkle root: {value['merkle_root']}",
        "  reserved uses, most specific path first:",
    ]
    for rule in value["policy"]["rules"]:
        reserved = ", ".join(USES.get(u, u) for u in rule["reserved"]) or "nothing reserved"
        lines.append(f"    {rule['path']}: {reserved}")
    counts = ", ".join(f"{n} {kind}s" for kind, n in facts["kinds"].items())
    lines.append(f"  files recorded: {counts or 'none'}")
    for uri, n in facts["image_reservations"].items():
        lines.append(f"    {n} image(s) carry plus:DataMining {uri or '(none)'}")
    return "\n".join(lines)


def html(path: Path, ca_bundle: Path | None = None) -> str:
    facts = _facts(path)
    checked = verify.verify(path, ca_bundle=ca_bundle)
    from optout_site.check.render import environment

    return environment().get_template(TEMPLATE).render(verification=checked, **facts)
