"""Spawning's ``/ai.txt``, read with robots.txt semantics (Protego) as its format suggests."""

from __future__ import annotations

from collections import defaultdict

from protego import Protego

from optout_site import dialects
from optout_site.check.context import Context, short_list
from optout_site.check.model import AI_TXT, BAD, OK

PATH = "/ai.txt"
_AGENT = "SpawningBot"  # ai.txt has one `User-Agent: *` group; any name reads it


def check(ctx: Context) -> None:
    ctx.count(AI_TXT)
    policy = ctx.exp.site.policy
    needed = ctx.strict or any(dialects.ai_txt_disallows(d) for _, d in policy.ordered_decisions)
    got = ctx.get(PATH)
    if not got.ok:
        if needed:
            reason = got.error or f"HTTP {got.status}"
            ctx.add(
                "error",
                AI_TXT,
                PATH,
                f"ai.txt is missing ({reason}); Spawning's API and the "
                "datasets that use it see no reservation",
                "Publish /ai.txt (optout-site build writes it).",
            )
        for path in ctx.pages + ctx.images:
            ctx.cell(path, AI_TXT, BAD, "ai.txt missing")
        return
    text = got.body.decode("utf-8", "replace")
    if not any(
        line.split("#")[0].strip().lower().replace(" ", "") == "user-agent:*"
        for line in text.splitlines()
    ):
        ctx.add(
            "warning",
            AI_TXT,
            PATH,
            "ai.txt has no `User-Agent: *` line",
            "Start the rules with `User-Agent: *`.",
        )
    parser = Protego.parse(text)
    wrong: dict[tuple[bool, bool], list[str]] = defaultdict(list)
    for path in ctx.sample_paths():
        want = dialects.ai_txt_disallows(ctx.decision(path))
        disallowed = not parser.can_fetch("https://site.invalid" + path, _AGENT)
        if disallowed == want:
            ctx.cell(path, AI_TXT, OK, "Disallow" if want else "Allow")
        else:
            wrong[(disallowed, want)].append(path)
            ctx.cell(path, AI_TXT, BAD, f"says {'Disallow' if disallowed else 'Allow'}")
    for (disallowed, want), paths in wrong.items():
        said = "disallows" if disallowed else "allows"
        meaning = "reserves dataset training" if want else "allows it"
        ctx.add(
            "error",
            AI_TXT,
            paths[0],
            f"ai.txt {said} {short_list(paths)}, but the policy "
            f"{meaning} there; {ctx.tdm_says(paths[0])}",
            "Rebuild with `optout-site build`; ai.txt is generated from sites.yaml.",
            file=PATH,
        )
