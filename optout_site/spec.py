"""Names the standards and our own formats fix, shared by the writers and the checker.

The checker imports these *names* (a token's grammar, a category list) and keeps its own
*reading* logic, so a wrong constant shows up as a disagreement with outside parsers.
"""

from __future__ import annotations

import re

# Purpose categories of the agent registry, and how far an agent honours robots.txt.
CATEGORIES = ("train", "dataset", "ai-search", "user-fetch", "agent", "search-engine", "preview")
HONOURS = ("yes", "no", "own-group-only", "unknown")

# RFC 9309 §2.2.1: a product token is letters, "_" and "-" only. No digits, dots or spaces.
TOKEN_RE = re.compile(r"^[A-Za-z_-]+$")
