"""optout-site: one AI/TDM rights reservation, published in every machine-readable dialect."""

from __future__ import annotations

__version__ = "0.1.0"

from optout_site.pipeline import build  # noqa: E402  (the public API needs __version__ first)

__all__ = ["__version__", "build"]
