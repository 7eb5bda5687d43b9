"""Stage 1: ``sites.yaml`` → a validated, typed :class:`Config` (one :class:`Site` each).

``yamlnodes`` is a generic validator over YAML nodes (every error keeps its line and
column); ``keys`` says what each key of ``sites.yaml`` accepts; ``model`` holds the typed
result; ``load`` assembles it (defaults merged, paths resolved, policies built).
"""

from __future__ import annotations

from optout_site.config.load import load
from optout_site.config.model import (
    DEFAULT_CONFIG,
    Address,
    AgentsConfig,
    AiTxtConfig,
    BlockConfig,
    C2paConfig,
    Config,
    ImagesConfig,
    ReservationPageConfig,
    Rightsholder,
    RslConfig,
    Site,
    TdmPolicyConfig,
)
from optout_site.errors import ConfigError

__all__ = [
    "DEFAULT_CONFIG",
    "Address",
    "AgentsConfig",
    "AiTxtConfig",
    "BlockConfig",
    "C2paConfig",
    "Config",
    "ConfigError",
    "ImagesConfig",
    "ReservationPageConfig",
    "Rightsholder",
    "RslConfig",
    "Site",
    "TdmPolicyConfig",
    "load",
]
