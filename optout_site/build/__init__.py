"""Stage 3: one build, in the order it runs.

``scan`` walks the built site; ``pipeline`` plans a task per file (from the policy), runs
the tasks in parallel and merges the site-level signals; ``atomic`` writes every file
whole or not at all; ``state`` remembers what is current; ``report`` says what happened.
"""

from __future__ import annotations

from optout_site.build.pipeline import build, build_site

__all__ = ["build", "build_site"]
