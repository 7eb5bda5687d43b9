"""Generic tokens (``Spider``, ``Code``, ...) in the site's own robots.txt groups, outside
the block optout-site writes: Python's urllib.robotparser applies such a group to every
crawler whose name contains the token, search engines included."""

from __future__ import annotations

from optout_site.check.context import Context, short_list
from optout_site.check.model import ROBOTS
from optout_site.check.robotsfile import PATH, RobotsFile
from optout_site.signals.robots import agents as agents_mod
from optout_site.signals.robots.registry import Registry


def check(ctx: Context, robots: RobotsFile) -> None:
    """A warning per generic token on a site's own ``User-agent`` line."""
    reg = agents_mod.registry_for()  # with the generic tokens a site may omit from ours
    for group in robots.groups:
        if group.in_block:
            continue
        for value, line in group.agents:
            agent = reg.get(value)
            if agent is None or not agent.generic:
                continue
            # Search engines and previews first: losing them is what a creator notices.
            caught = sorted(
                agents_mod.caught_by(reg, agent),
                key=lambda name: _shown_first(reg, name.split(" ")[0]),
            )
            whom = f", such as {short_list(caught)}" if caught else ""
            ctx.add(
                "warning",
                ROBOTS,
                PATH,
                f"line {line}: `User-agent: {value}` is a generic token; parsers that match "
                f"it anywhere in a crawler's name (Python's urllib.robotparser) apply this "
                f"group to every crawler whose name contains {value.lower()!r}{whom}",
                f"Remove line {line} unless you mean the {agent.token} crawler itself; to keep "
                "it, put a group for each crawler it catches before it, or drop it and let "
                "optout-site write it (see `optout-site agents explain "
                f"{agent.token}`).",
                line=line,
            )


def _shown_first(reg: Registry, token: str) -> bool:
    agent = reg.get(token)
    return agent is None or agent.category not in ("search-engine", "preview")
