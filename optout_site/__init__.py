"""optout-site: publish one AI/TDM rights reservation in every machine-readable dialect.

The package root holds the domain model only: :mod:`~optout_site.policy` (uses, rules,
decisions), :mod:`~optout_site.paths` (URL paths and robots.txt patterns),
:mod:`~optout_site.dialects` (a decision in each dialect's words), :mod:`~optout_site.spec`
and :mod:`~optout_site.errors`. Each stage is a subpackage; the Python API is
``optout_site.build.build(config_path)``.
"""

from __future__ import annotations

from optout_site._version import __version__

__all__ = ["__version__"]
