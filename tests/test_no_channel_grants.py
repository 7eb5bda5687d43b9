"""No channel grants a use the creator reserved, on any path, under any of 36 policies.

Each policy is built by the real CLI into a small site, and every channel is read back
by a reader that is not ours: Protego and urllib.robotparser (robots.txt, ai.txt), json
(tdmrep.json), html5lib (page meta), lxml (license.xml) and exiftool (image XMP). What a
channel may say is written here from the specifications, not taken from the code:

* an explicit permission (``tdm-reservation: 0``, ``Content-Signal: k=yes``,
  ``Content-Usage: l=y``, ``Allow`` for an agent, RSL ``<permits>``, ``DMI-ALLOWED``)
  must never cover a reserved use;
* where a dialect is coarser than the policy it may only err towards protection, in the
  way docs/signals.md documents (the exactness rows below).
"""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import urllib.robotparser
from pathlib import Path

import html5lib
import pytest
from lxml import etree
from PIL import Image
from protego import Protego

from optout_site import paths
from optout_site.cli import main
from optout_site.config import load
from optout_site.policy import Use

pytestmark = pytest.mark.slow  # 36 builds, read back by exiftool

EXIFTOOL = shutil.which("exiftool")
ORIGIN = "https://a.example"
T, G, I, S, M = "train", "genai-train", "ai-input", "search", "tdm"

# Site defaults × path rules: permissive sites with a reserved folder, protective sites
# with an open folder, nested rules, non-ASCII and percent-encoded rules, wildcards.
DEFAULTS = [
    ("reserve: []\n    acknowledge: [no-reservation]", "nothing"),
    ("reserve: [tdm, train, ai-input]\n    allow: [search]", "photographer"),
    ("reserve: [genai-train]", "genai only"),
    ("reserve: [ai-input]", "ai-input only"),
    ("reserve: [train]", "training"),
    ("reserve: [tdm, train, genai-train, ai-input, search]", "everything"),
]
RULES = [
    [],
    ["{path: /blog/, reserve: [tdm]}"],
    ["{path: /blog/, allow: [tdm, train, ai-input, search]}"],
    ["{path: /café/, reserve: [genai-train]}", "{path: /%7Ejane/, allow: [ai-input]}"],
    ["{path: /blog/, reserve: [ai-input]}", "{path: /blog/open/, allow: [ai-input, train]}"],
    ["{path: /*.png$, reserve: [train, ai-input]}", "{path: /press/, reserve: [search]}"],
]
FILES = [
    "index.html",
    "blog/post.html",
    "blog/a.jpg",
    "blog/open/b.png",
    "café/c.html",
    "café/d.jpg",
    "~jane/e.html",
    "press/f.jpg",
    "gallery/g.png",
]
CASES = list(itertools.product(range(len(DEFAULTS)), range(len(RULES))))


def _page() -> bytes:
    return b"<!DOCTYPE html><html><head><meta charset=utf-8><title>t</title></head><body></body></html>\n"


def _site(root: Path, default: str, rules: list[str]) -> Path:
    public = root / "public"
    for rel in FILES:
        target = public / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".html"):
            target.write_bytes(_page())
        else:
            Image.new("RGB", (8, 8), (30, 90, 160)).save(target)
    body = "".join(f"      - {r}\n" for r in rules)
    cfg = root / "sites.yaml"
    cfg.write_text(
        "sites:\n  - name: s\n    url: https://a.example\n    input: public\n"
        "    output: out\n    rightsholder: {name: A, email: a@a.example}\n"
        f"    {default}\n    rsl: {{enabled: true}}\n"
        "    ai_txt: {media_types: [images, text]}\n" + (f"    rules:\n{body}" if rules else ""),
        encoding="utf-8",
    )
    return cfg


def _url_path(rel: str) -> str:
    return paths.file_url_path(rel)


def _groups(text: str) -> dict[str, list[tuple[str, str]]]:
    """robots.txt groups by agent, as (field, value) records (outside reader: by hand)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    agents: list[str] = []
    records: list[tuple[str, str]] = []
    in_agents = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        field, value = (p.strip() for p in line.split(":", 1))
        if field.lower() == "user-agent":
            if not in_agents:
                agents, records = [], []
            agents.append(value)
            for agent in agents:
                groups[agent.lower()] = records
            in_agents = True
        else:
            in_agents = False
            records.append((field.lower(), value))
    return groups


def _usage_at(records: list[tuple[str, str]], path: str) -> dict[str, str]:
    """Content-Usage for a path: the longest path prefix decides (attach draft)."""
    best: tuple[int, dict[str, str]] = (-1, {})
    for field, value in records:
        if field != "content-usage":
            continue
        parts = value.split(None, 1)
        prefix, prefs = (parts[0], parts[1]) if value.startswith("/") else ("", value)
        if prefix and not paths.matches(prefix, path):
            continue
        size = len(prefix)
        if size > best[0]:
            best = (size, dict(p.strip().split("=") for p in prefs.split(",")))
    return best[1]


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
@pytest.mark.parametrize(("d", "r"), CASES, ids=[f"{DEFAULTS[d][1]}-rules{r}" for d, r in CASES])
def test_no_channel_grants_a_reserved_use(tmp_path: Path, d: int, r: int) -> None:
    cfg = _site(tmp_path, DEFAULTS[d][0], RULES[r])
    assert main(["build", "-c", str(cfg), "-q"]) == 0
    site = load(cfg).sites[0]
    out = tmp_path / "out"
    reserved = {rel: site.policy.resolve(_url_path(rel)).reserved for rel in FILES}
    extra_paths = ["/", "/blog/", "/blog/open/x.png", "/press/x.html", "/other/y.jpg"]
    reserved |= {p: site.policy.resolve(p).reserved for p in extra_paths}
    wrong: list[str] = []

    def url(key: str) -> str:
        return key if key.startswith("/") else _url_path(key)

    # robots.txt: an agent allowed to crawl where its use is reserved is a grant.
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    protego = Protego.parse(robots)
    first_match = urllib.robotparser.RobotFileParser()
    first_match.parse(robots.splitlines())
    plain = all(paths.is_plain(p) for p, _ in site.policy.ordered_decisions)
    agents = {"GPTBot": Use.GENAI_TRAIN, "PerplexityBot": Use.AI_INPUT, "Googlebot": Use.SEARCH}
    for key, res in reserved.items():
        for agent, use in agents.items():
            may = protego.can_fetch(ORIGIN + url(key), agent)
            if may and use in res:
                wrong.append(f"robots.txt lets {agent} crawl {key} ({use} reserved)")
            if not may and use not in res:
                wrong.append(f"robots.txt blocks {agent} at {key} ({use} allowed)")
            if plain and first_match.can_fetch(agent, ORIGIN + url(key)) != may:
                wrong.append(f"urllib and Protego disagree on {agent} at {key}")
    # Content-Usage and Content-Signal, in every group, on every path the group may crawl.
    signal_use = {"ai-train": Use.TRAIN, "ai-input": Use.AI_INPUT, "search": Use.SEARCH}
    usage_use = {"train-ai": Use.GENAI_TRAIN, "ai-use": Use.AI_INPUT, "search": Use.SEARCH}
    for agent, records in _groups(robots).items():
        probe = "zzqx-unnamed" if agent == "*" else agent
        for key, res in reserved.items():
            if not protego.can_fetch(ORIGIN + url(key), probe):
                continue  # preferences apply only where the group may crawl
            for field, value in records:
                if field != "content-signal":
                    continue
                for item in value.split(","):
                    k, v = (x.strip() for x in item.split("="))
                    if v == "yes" and signal_use[k] in res:
                        wrong.append(f"Content-Signal {k}=yes in group {agent} covers {key}")
            for label, v in _usage_at(records, url(key)).items():
                if v == "y" and label in usage_use and usage_use[label] in res:
                    wrong.append(f"Content-Usage {label}=y in group {agent} covers {key}")
    # tdmrep.json, first match: 0 is a grant of every TDM use.
    rules = json.loads((out / ".well-known/tdmrep.json").read_bytes())
    for key, res in reserved.items():
        rule = next(x for x in rules if paths.matches(x["location"], url(key)))
        if rule["tdm-reservation"] == 0 and res:
            wrong.append(f"tdmrep.json says 0 at {key} where {sorted(res)} is reserved")
        if rule["tdm-reservation"] == 1 and not res:
            wrong.append(f"tdmrep.json says 1 at {key} where nothing is reserved")
    # ai.txt (datasets for training): Allow where generative training is reserved grants it.
    aitxt = (out / "ai.txt").read_text(encoding="utf-8")
    ai_protego = Protego.parse(aitxt)
    ai_first = urllib.robotparser.RobotFileParser()
    ai_first.parse(aitxt.splitlines())
    for key, res in reserved.items():
        for reader, may in (
            ("Protego", ai_protego.can_fetch(ORIGIN + url(key), "Spawning")),
            ("urllib", ai_first.can_fetch("Spawning", ORIGIN + url(key))),
        ):
            if reader == "urllib" and not plain:
                continue
            if may and Use.GENAI_TRAIN in res:
                wrong.append(f"ai.txt ({reader}) allows {key} with generative training reserved")
    # Pages: html5lib reads the meta; noai only where training and AI input are reserved.
    for rel in (f for f in FILES if f.endswith(".html")):
        doc = html5lib.parse((out / rel).read_bytes(), namespaceHTMLElements=False)
        metas: dict[str, list[str]] = {}
        for el in doc.iter("meta"):
            metas.setdefault((el.get("name") or "").lower(), []).append(el.get("content") or "")
        res = reserved[rel]
        if metas.get("tdm-reservation") != ["1" if res else "0"]:
            wrong.append(f"{rel}: tdm-reservation {metas.get('tdm-reservation')} for {sorted(res)}")
        directives = {x.strip() for v in metas.get("robots", []) for x in v.split(",")}
        want_noai = Use.TRAIN in res and Use.AI_INPUT in res
        if ("noai" in directives) != want_noai or ("noimageai" in directives) != want_noai:
            wrong.append(f"{rel}: robots meta {sorted(directives)} for {sorted(res)}")
    # license.xml: a permitted token must cover no reserved use.
    ns = {"r": "https://rslstandard.org/rsl"}
    token_uses = {
        "all": set(Use),
        "ai-all": {Use.TRAIN, Use.GENAI_TRAIN, Use.AI_INPUT},
        "ai-train": {Use.TRAIN, Use.GENAI_TRAIN},
        "ai-input": {Use.AI_INPUT},
        "ai-index": {Use.AI_INPUT},
        "search": {Use.SEARCH},
    }
    contents = etree.fromstring((out / "license.xml").read_bytes()).findall("r:content", ns)
    for key, res in reserved.items():
        matching = [c for c in contents if paths.matches(c.get("url"), url(key))]
        content = max(matching, key=lambda c: paths.specificity(c.get("url")))
        for el in content.iterfind(".//r:permits", ns):
            for token in (el.text or "").split():
                if token_uses[token] & res:
                    wrong.append(f"license.xml permits {token} at {key} ({sorted(res)} reserved)")
    # Images: exiftool reads plus:DataMining; DMI-ALLOWED is a grant of everything.
    images = [rel for rel in FILES if not rel.endswith(".html")]
    listing = subprocess.run(
        [EXIFTOOL, "-j", "-n", "-XMP-plus:DataMining", *(str(out / rel) for rel in images)],
        capture_output=True,
        check=True,
    )
    for rel, record in zip(images, json.loads(listing.stdout), strict=True):
        value = record.get("DataMining", "")
        res = reserved[rel]
        if value.endswith("DMI-ALLOWED") and res:
            wrong.append(f"{rel}: DMI-ALLOWED with {sorted(res)} reserved")
        if not value.endswith("DMI-ALLOWED") and not res:
            wrong.append(f"{rel}: {value} where nothing is reserved")
    assert not wrong, "\n".join(wrong)
