"""The typed configuration: one :class:`Site` per creator site, as ``load`` builds it.

Every error names the file, line and column (see :mod:`optout_site.config.yamlnodes`). Paths are
resolved relative to the YAML file, so a config works from any working directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from optout_site.errors import ConfigError, Problem
from optout_site.policy import Policy

DEFAULT_CONFIG = Path("sites.yaml")


@dataclass(frozen=True)
class Address:
    street: str | None = None
    postal_code: str | None = None
    locality: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Rightsholder:
    name: str
    email: str | None = None
    url: str | None = None
    address: Address | None = None
    phone: str | None = None  # to show (page, image metadata): international, as written
    tel: str | None = None  # the same number as an RFC 3966 URI, tel:+33123456789


@dataclass(frozen=True)
class TdmPolicyConfig:
    path: str = "/policies/tdm-policy.json"
    duty: str = "obtainConsent"


@dataclass(frozen=True)
class AiTxtConfig:
    # Empty: the short form (Disallow: /). Listed types get Spawning's per-extension lines.
    media_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImagesConfig:
    enabled: bool = True
    overwrite: bool = False
    legacy: bool = False
    copyright: str | None = None
    usage_terms: str | None = None
    # An image we cannot write safely is copied through as it is and reported: as a
    # warning (the build passes) or as an error (exit 1).
    on_unreadable: str = "warn"
    padding: bool = False  # XMP padding for in-place editing by other tools


@dataclass(frozen=True)
class ReservationPageConfig:
    """The human-readable reservation page (the legal notice a court can read)."""

    enabled: bool = True
    path: str = "/ai-reservation/"
    footer_link: bool = False  # also splice a link to it into every page
    # ...just before the last end tag of this element (the site footer, whose style the
    # link then takes), else before </body>; with this label in place of the shipped one.
    footer_before: str = "footer"
    footer_text: str | None = None
    templates: Path | None = None  # a folder whose templates override the packaged ones
    since: date | None = None  # published since (from the config, never the clock)


@dataclass(frozen=True)
class RslConfig:
    enabled: bool = False
    path: str = "/license.xml"


@dataclass(frozen=True)
class RobotsMetaConfig:
    """What our robots meta tag and ``X-Robots-Tag`` say besides ``noai, noimageai``.

    ``bing_noarchive`` adds ``noarchive`` where AI input and generative training are both
    reserved (:func:`optout_site.dialects.bing_noarchive`). Off by default: it also drops
    the cached-copy link from Bing's results.
    """

    bing_noarchive: bool = False


@dataclass(frozen=True)
class EvidenceConfig:
    """The evidence ledger (:mod:`optout_site.evidence`): a dated record of each build.

    On once an ``evidence:`` mapping is given. ``dir`` is the ledger folder (default
    ``evidence/`` beside sites.yaml, outside the published folder); ``publish`` also puts
    the latest record under ``/.well-known/``; ``tsa`` is an RFC 3161 time-stamping
    authority's URL (the build asks it only when set).
    """

    enabled: bool = False
    dir: Path | None = None
    publish: bool = False
    tsa: str | None = None


@dataclass(frozen=True)
class C2paConfig:
    """Content Credentials (:mod:`optout_site.c2pa`): a signed manifest in every image.

    On once a ``c2pa:`` mapping is given. The chain (``cert``) and the private key come
    from a file or from the environment variable named by ``cert_env``/``key_env`` (the
    PEM text itself, e.g. a CI secret); only the path or the variable's name is kept
    here, so no secret reaches a report, a log or the site. ``tsa`` is an RFC 3161
    time-stamping authority, asked at each signing when set.
    """

    enabled: bool = False
    cert: Path | None = None
    key: Path | None = None
    cert_env: str | None = None
    key_env: str | None = None
    tsa: str | None = None


@dataclass(frozen=True)
class AgentsConfig:
    """How robots.txt treats agents beyond what the policy implies.

    ``categories`` maps a registry category to a stance: ``policy`` (the default: blocked
    when the policy reserves that category's use), ``block`` (always) or ``allow`` (never).
    ``block``/``allow`` name single tokens and beat any category stance.
    """

    registry: Path | None = None  # an extra registry file, same format as the packaged one
    # Inline agent records, each as sorted (field, value) pairs so the config stays hashable.
    add: tuple[tuple[tuple[str, str], ...], ...] = ()
    block: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    # Leave the registry's generic tokens (Spider, Code, ...) out of robots.txt, unless
    # named in `block`: substring-matching parsers apply their groups to other crawlers.
    omit_generic: bool = False
    categories: tuple[tuple[str, str], ...] = ()

    def stance(self, category: str) -> str:
        return dict(self.categories).get(category, "policy")


@dataclass(frozen=True)
class BlockConfig:
    """Refuse chosen agents at the server (``block:``), for crawlers that ignore robots.txt.

    ``agents`` are registry categories or product names (a robots.txt token, or a client
    name such as ``img2dataset`` that has none); ``status`` is what they get.
    """

    agents: tuple[str, ...]
    status: int = 403


@dataclass(frozen=True)
class Site:
    name: str
    url: str
    input: Path
    output: Path | None
    rightsholder: Rightsholder
    policy: Policy
    languages: tuple[str, ...] = ("en",)
    tdm_policy: TdmPolicyConfig = field(default_factory=TdmPolicyConfig)
    ai_txt: AiTxtConfig = field(default_factory=AiTxtConfig)
    images: ImagesConfig = field(default_factory=ImagesConfig)
    agents: AgentsConfig = field(default_factory=AgentsConfig)
    hosts: tuple[str, ...] = ()
    hosts_dir: Path | None = None  # where host configs not read from the web root go
    exclude: tuple[str, ...] = ()  # the user's globs; see build/plan.is_excluded
    exclude_icons: bool = True
    reservation_page: ReservationPageConfig = field(default_factory=ReservationPageConfig)
    rsl: RslConfig = field(default_factory=RslConfig)
    robots_meta: RobotsMetaConfig = field(default_factory=RobotsMetaConfig)
    acknowledge: tuple[str, ...] = ()  # config.keys.ACKNOWLEDGEMENTS the user stated
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)
    block: BlockConfig | None = None  # None: ask only, refuse nobody
    c2pa: C2paConfig = field(default_factory=C2paConfig)

    @property
    def output_dir(self) -> Path:
        """Where the stamped site goes; the input itself when stamping in place."""
        return self.output if self.output is not None else self.input

    def absolute(self, path: str) -> str:
        """The absolute URL of a site path (``/a/b`` → ``https://site/a/b``)."""
        return self.url + path

    @property
    def tdm_policy_url(self) -> str:
        return self.absolute(self.tdm_policy.path)

    @property
    def reservation_page_url(self) -> str | None:
        page = self.reservation_page
        return self.absolute(page.path) if page.enabled else None

    @property
    def rsl_url(self) -> str | None:
        return self.absolute(self.rsl.path) if self.rsl.enabled else None


@dataclass(frozen=True)
class Config:
    file: Path
    sites: tuple[Site, ...]

    def select(self, names: list[str] | None) -> tuple[Site, ...]:
        if not names:
            return self.sites
        known = {site.name: site for site in self.sites}
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigError(
                [
                    Problem(self.file, 1, 1, f"no site named {n!r}; sites: {', '.join(known)}")
                    for n in missing
                ]
            )
        return tuple(known[n] for n in names)
