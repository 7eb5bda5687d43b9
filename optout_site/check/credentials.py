"""Content Credentials: each image's C2PA manifest must still validate, and its
training-and-data-mining assertions must say what the policy says for the image's path.

With ``c2pa:`` in sites.yaml every image must carry our manifest; otherwise a manifest
is checked only where an image carries one (a contradicting assertion is still an error:
it says the opposite of the policy to every dataset tool that reads it).
"""

from __future__ import annotations

import importlib.util

from optout_site import dialects
from optout_site.c2pa.reading import Reading
from optout_site.c2pa.statement import PREFIXES
from optout_site.check.context import Context
from optout_site.check.images import read_image
from optout_site.check.model import BAD, C2PA, OK

_FIX = "Rebuild with `optout-site build` (c2pa: set); it signs every image again."


def _contradictions(found: Reading, wanted: dict[str, str], every_label: bool) -> list[str]:
    out = []
    for prefix in PREFIXES:
        label = f"{prefix}.training-mining"
        data = found.training_mining.get(label)
        if data is None:
            if every_label:
                out.append(f"no {label} assertion")
            continue
        entries = data.get("entries", {}) if isinstance(data, dict) else {}
        for entry, use in wanted.items():
            said = entries.get(f"{prefix}.{entry}", {}).get("use")
            if said != use and (said is not None or every_label):
                out.append(f"{prefix}.{entry} is {said or 'missing'}, the policy says {use}")
    return out


def check(ctx: Context) -> None:
    if not ctx.exp.images:
        return
    signed = ctx.exp.site.c2pa.enabled and not ctx.exp.inferred
    if importlib.util.find_spec("c2pa") is None:
        if signed:
            ctx.add(
                "error",
                C2PA,
                "/",
                "the site signs Content Credentials (c2pa:) but c2pa-python is not "
                "installed, so they cannot be checked",
                "pip install 'optout-site[c2pa]'",
            )
        return
    from optout_site.c2pa import reading

    for path in ctx.images:
        found, error, _detail = read_image(ctx, path, reading.read)
        if found is None or error is not None:
            if not signed:  # the XMP check names an unreadable image already
                continue
            ctx.add("error", C2PA, path, f"the image {error}", "Check the file.")
            ctx.cell(path, C2PA, BAD, "unreadable")
            continue
        if not found.present:
            if signed:
                ctx.count(C2PA)
                ctx.add(ctx.missing_severity(), C2PA, path, "the image has no C2PA manifest", _FIX)
                ctx.cell(path, C2PA, BAD, "no manifest")
            continue
        ctx.count(C2PA)
        problems = []
        if found.failures:
            problems.append("its manifest no longer validates (" + ", ".join(found.failures) + ")")
        wanted = dialects.training_mining(ctx.decision(path))
        problems += _contradictions(found, wanted, every_label=signed and found.ours)
        if signed and not found.ours:
            problems.append("its active manifest was not signed by optout-site")
        if problems:
            ctx.add("error", C2PA, path, "; ".join(problems), _FIX)
            ctx.cell(path, C2PA, BAD, problems[0])
        else:
            ctx.cell(path, C2PA, OK, found.state)
