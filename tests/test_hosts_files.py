"""_headers and vercel.json read the way their hosts document, plus the marked blocks.

No Netlify, Cloudflare or Vercel here, so each test carries a small matcher written
from the host's documentation (and, where the docs are silent, from the host's own
open-source parser): the effective headers for a path must be the policy's decision, as
support.HOSTS_EXPECTED writes it down by hand.
"""

from __future__ import annotations

import json
import re

import pytest
from support import HOSTS_EXPECTED, HOSTS_PATHS, load_hosts_site

from optout_site import config
from optout_site.errors import SignalError
from optout_site.hosts import FILES, apache, caddy, common, netlify, nginx, render_all, vercel
from optout_site.signals import headers


@pytest.fixture
def site(tmp_path):
    return load_hosts_site(tmp_path)


# --- Cloudflare Pages ------------------------------------------------------------------


def cloudflare_rules(text: str) -> list[tuple[re.Pattern[str], list[tuple[str, str | None]]]]:
    """developers.cloudflare.com/pages/configuration/headers: a rule is a URL line and
    indented ``name: value`` lines; ``! name`` detaches; ``*`` is a greedy splat (one
    per URL); ``:name`` a placeholder for one segment; anchored, case-sensitive."""
    rules: list[tuple[re.Pattern[str], list[tuple[str, str | None]]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not raw[0].isspace():
            assert line.startswith("/"), line
            assert line.count("*") <= 1, f"Cloudflare allows one splat: {line}"
            regex = "(?P<splat>.*)".join(re.escape(p) for p in line.split("*"))
            regex = re.sub(r":(\w+)", r"(?P<\1>[^/]+)", regex)
            rules.append((re.compile(f"^{regex}$"), []))
        elif line.startswith("!"):
            rules[-1][1].append((line[1:].strip(), None))
        else:
            name, _, value = line.partition(":")
            rules[-1][1].append((name.strip(), value.strip()))
    return rules


def cloudflare_effective(text: str, path: str) -> dict[str, str]:
    # Rules apply in file order; a repeated header is joined with ", "; a detach removes
    # what earlier rules set. Header names are case-insensitive.
    out: dict[str, tuple[str, str]] = {}
    for regex, ops in cloudflare_rules(text):
        if not regex.match(path):
            continue
        for name, value in ops:
            key = name.lower()
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = (out[key][0], out[key][1] + ", " + value)
            else:
                out[key] = (name, value)
    return {name: value for name, value in out.values()}


# --- Netlify ---------------------------------------------------------------------------


def netlify_regex(rule: str) -> re.Pattern[str]:
    """netlify/build headers-parser: per segment; ``:x`` one segment; a lone ``*``
    segment also makes its slash optional; ``*`` inside a segment is any run; optional
    trailing slash; case-insensitive."""
    parts = []
    for part in (p.rstrip() for p in rule.split("/")):
        if not part:
            continue
        if part.startswith(":"):
            parts.append("([^/]+)")
        elif part == "*":
            parts.append("?(.*)")
        elif "*" in part:
            parts.append(part.replace("*", "(.*)"))
        else:
            parts.append(re.escape(part))
    return re.compile("^/" + "/".join(parts) + "/?$", re.IGNORECASE)


def netlify_effective(text: str, path: str) -> dict[str, str]:
    # Lines are trimmed; "#" comments; a line starting with "/" is a path; a line without
    # ":" is ignored; of the matching rules, the last one sets a header's value
    # (netlify dev's headersForPath; the docs do not say).
    rules: list[tuple[re.Pattern[str], dict[str, str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("/"):
            rules.append((netlify_regex(line), {}))
        elif ":" in line:
            name, _, value = line.partition(":")
            values = rules[-1][1]
            name, value = name.strip(), value.strip()
            assert value, "Netlify rejects an empty header value"
            values[name] = f"{values[name]}, {value}" if name in values else value
    out: dict[str, str] = {}
    for regex, values in rules:
        if regex.match(path):
            out.update(values)
    return out


def expected_headers_file(path: str, *, host: str) -> dict[str, str]:
    """The hand-written table, with the documented limits of a file neither host can
    unset in: under a rule that drops ``noai``, the rule says ``X-Robots-Tag: all``
    (every row without noai is such a rule), and Netlify keeps the default's tdm-policy
    (it has no ``! name`` detach)."""
    want = dict(HOSTS_EXPECTED[path])
    want.setdefault("X-Robots-Tag", "all")
    if host == "netlify":
        want.setdefault("tdm-policy", "https://lea.example/policies/tdm-policy.json")
    return want


def test_the_expected_table_covers_every_path_asked():
    assert list(HOSTS_EXPECTED) == HOSTS_PATHS


@pytest.mark.parametrize("host", ["cloudflare", "netlify"])
def test_headers_file_gives_each_path_its_decision(site, host):
    text = netlify.render(site, None).decode()
    read = cloudflare_effective if host == "cloudflare" else netlify_effective
    for path in HOSTS_PATHS:
        got = {k.lower(): v for k, v in read(text, path).items()}
        want = {k.lower(): v for k, v in expected_headers_file(path, host=host).items()}
        assert got == want, path


@pytest.mark.parametrize("host", ["cloudflare", "netlify"])
def test_headers_file_exempt_paths_carry_no_noai(site, host):
    text = netlify.render(site, None).decode()
    read = cloudflare_effective if host == "cloudflare" else netlify_effective
    for path in ("/press/", "/press/kit.jpg"):
        got = read(text, path)
        assert got["tdm-reservation"] == "0"
        assert "noai" not in got["X-Robots-Tag"]
    assert read(text, "/pressroom/a.jpg")["tdm-reservation"] == "1"  # not a /press/ path


def test_headers_file_nested_rules_when_the_site_default_reserves_nothing(tmp_path, write_config):
    (tmp_path / "public").mkdir()
    site = config.load(
        write_config("""
        sites:
          - name: s
            url: https://s.example
            input: public
            rightsholder: {name: S}
            reserve: []
            rules:
              - {path: /private/, reserve: [tdm]}
              - {path: /private/public/, allow: [tdm]}
    """)
    ).sites[0]
    text = netlify.render(site, None).decode()
    for read in (cloudflare_effective, netlify_effective):
        assert read(text, "/a.jpg")["tdm-reservation"] == "0"
        assert "X-Robots-Tag" not in read(text, "/a.jpg")
        assert read(text, "/private/a.jpg")["X-Robots-Tag"] == "noai, noimageai"
        inner = read(text, "/private/public/a.jpg")
        assert inner["tdm-reservation"] == "0" and inner["X-Robots-Tag"] == "all"


def test_headers_file_approximates_or_skips_patterns_it_cannot_write(tmp_path, write_config):
    (tmp_path / "public").mkdir()
    site = config.load(
        write_config("""
        sites:
          - name: s
            url: https://s.example
            input: public
            reserve: [tdm]
            rightsholder: {name: S}
            rules:
              - {path: /press/*.jpg, allow: [tdm]}
              - {path: /a/*/b/*.png, allow: [tdm]}
              - {path: "/x:y/", allow: [tdm]}
    """)
    ).sites[0]
    notes = netlify.notes(site)
    assert any(n.startswith("/press/*.jpg: written as /press/*.jpg") for n in notes)
    assert any(n.startswith("/a/*/b/*.png") and "left out" in n for n in notes)
    assert any(n.startswith("/x:y/") and "placeholder" in n for n in notes)
    text = netlify.render(site, None).decode()
    cloudflare_rules(text)  # every rule still valid for Cloudflare
    assert cloudflare_effective(text, "/press/a.jpg")["tdm-reservation"] == "0"
    assert cloudflare_effective(text, "/a/1/b/2.png")["tdm-reservation"] == "1"  # left out


# --- Vercel ----------------------------------------------------------------------------


def path_to_regexp(source: str) -> re.Pattern[str]:
    """path-to-regexp 6.1 as Vercel calls it (strict, sensitive, delimiter "/"), for the
    token kinds a source can hold: text, ``\\`` escapes, ``:name``, ``(pattern)`` and a
    modifier. Raises on what the library refuses (nested capturing groups, ...)."""
    i, route = 0, "^"
    while i < len(source):
        ch = source[i]
        prefix = ""
        if ch == "/" and i + 1 < len(source) and source[i + 1] in ":(":
            prefix, i, ch = "/", i + 1, source[i + 1]
        if ch == ":":
            name = re.match(r"\w+", source[i + 1 :])
            assert name, f"missing parameter name at {i}"
            i += 1 + len(name.group())
            pattern = r"[^/]+?"
        elif ch == "(":
            depth, j = 1, i + 1
            assert source[j] != "?", f'pattern cannot start with "?" at {j}'
            while depth:
                if source[j] == "\\":
                    j += 2
                    continue
                if source[j] == "(":
                    assert source[j + 1] == "?", f"capturing groups are not allowed at {j}"
                    depth += 1
                elif source[j] == ")":
                    depth -= 1
                j += 1
            pattern, i = source[i + 1 : j - 1], j
        else:
            assert ch not in "*+?{}", f"unexpected {ch!r} at {i}"
            if ch == "\\":
                i += 1
                ch = source[i]
            route += re.escape(ch)
            i += 1
            continue
        modifier = source[i] if i < len(source) and source[i] in "*+?" else ""
        i += bool(modifier)
        if prefix and modifier in "*+":
            route += f"(?:/((?:{pattern})(?:/(?:{pattern}))*)){'?' if modifier == '*' else ''}"
        elif prefix:
            route += f"(?:/({pattern})){modifier}"
        else:
            route += f"({pattern}){modifier}"
    return re.compile(route + "$")


def vercel_effective(data: dict, path: str) -> dict[str, str]:
    # Every matching entry applies; for the same header the later entry wins.
    out: dict[str, tuple[str, str]] = {}
    for entry in data.get("headers", []):
        if path_to_regexp(entry["source"]).match(path):
            for header in entry["headers"]:
                out[header["key"].lower()] = (header["key"], header["value"])
    return {name: value for name, value in out.values()}


def test_vercel_json_gives_each_path_exactly_its_decision(site):
    data = json.loads(vercel.render(site, None))
    for path in HOSTS_PATHS:
        got = {k.lower(): v for k, v in vercel_effective(data, path).items()}
        want = {k.lower(): v for k, v in HOSTS_EXPECTED[path].items()}
        assert got == want, path
    # exactly one of our entries per path: the result does not depend on entry order
    for path in HOSTS_PATHS:
        hits = [e for e in data["headers"] if path_to_regexp(e["source"]).match(path)]
        assert len(hits) == 1, path


def test_path_to_regexp_port_matches_the_librarys_documented_examples():
    assert path_to_regexp("/user/:id").match("/user/42")
    assert not path_to_regexp("/user/:id").match("/user/42/")  # strict
    assert path_to_regexp("/blog/:slug*").match("/blog")
    assert path_to_regexp("/blog/:slug*").match("/blog/a/b")
    assert path_to_regexp("/((?!api).*)").match("/about")
    assert not path_to_regexp("/((?!api).*)").match("/api/x")
    with pytest.raises(AssertionError):
        path_to_regexp("/(a(b))")


EXISTING_VERCEL = {
    "cleanUrls": True,
    "headers": [
        {"source": "/fonts/(.*)", "headers": [{"key": "Cache-Control", "value": "max-age=1"}]},
    ],
    "redirects": [{"source": "/old", "destination": "/new"}],
}


def test_vercel_json_merges_into_the_users_file_and_reruns_change_nothing(site):
    first = vercel.render(site, json.dumps(EXISTING_VERCEL).encode())
    data = json.loads(first)
    assert data["cleanUrls"] is True and data["redirects"] == EXISTING_VERCEL["redirects"]
    assert data["headers"][-1] == EXISTING_VERCEL["headers"][0]
    assert vercel_effective(data, "/fonts/a.woff")["Cache-Control"] == "max-age=1"
    assert vercel.render(site, first) == first
    # a changed policy replaces our entries and leaves the user's where they were
    site2 = config.load(site_config_with_hosts(site)).sites[0]
    second = json.loads(vercel.render(site2, first))
    assert second["headers"][-1] == EXISTING_VERCEL["headers"][0]
    assert sum(vercel.is_ours(e) for e in second["headers"]) == len(vercel.entries(site2))


def site_config_with_hosts(site):
    path = site.input.parent / "sites2.yaml"
    path.write_text(
        "sites:\n  - {name: s, url: https://s.example, input: public, reserve: [train],"
        " rightsholder: {name: S}}\n",
        encoding="utf-8",
    )
    return path


def test_vercel_json_refuses_to_guess_about_broken_json(site):
    with pytest.raises(SignalError, match="not valid JSON"):
        vercel.render(site, b"{ nope")
    with pytest.raises(SignalError, match="JSON object"):
        vercel.render(site, b"[]")


# --- marked blocks ---------------------------------------------------------------------

TEXT_RENDERERS = [netlify.render, apache.render, nginx.render, caddy.render]
USER_TEXT = b"# mine\r\n/fonts/*\r\n  Cache-Control: max-age=1\r\n\xff not utf-8\n"


@pytest.mark.parametrize("render", TEXT_RENDERERS)
def test_block_keeps_the_users_bytes_and_reruns_change_nothing(site, render):
    first = render(site, USER_TEXT)
    assert first.endswith(b"\n" + USER_TEXT)
    assert first.startswith(common.BEGIN.encode())
    assert render(site, first) == first
    moved = USER_TEXT + b"\n" + render(site, None) + b"# after\n"
    again = render(site, moved)
    assert again == moved  # replaced in place, wherever the user moved it
    assert render(site, None).count(common.BEGIN.encode()) == 1


@pytest.mark.parametrize("render", TEXT_RENDERERS)
def test_block_with_unmatched_markers_is_refused(site, render):
    with pytest.raises(common.BlockError):
        render(site, b"keep\n" + common.BEGIN.encode() + b"\nhalf a block\n")
    with pytest.raises(common.BlockError):
        render(site, common.END.encode() + b"\n" + common.BEGIN.encode() + b"\n")


def test_duplicate_blocks_collapse_into_the_first(site):
    block = netlify.render(site, None)
    doubled = b"a\n" + block + b"b\n" + block + b"c\n"
    assert netlify.render(site, doubled) == b"a\n" + block + b"b\nc\n"


def test_render_all_writes_one_headers_file_for_netlify_and_cloudflare(site):
    asked: list[str] = []

    def read(name: str) -> bytes | None:
        asked.append(name)
        return None

    out = render_all(site, read)
    assert sorted(out) == sorted(set(FILES.values()))
    assert asked.count("_headers") == 1
    assert FILES["netlify"] == FILES["cloudflare"] == "_headers"


def test_render_all_only_for_the_hosts_named(tmp_path, write_config):
    (tmp_path / "public").mkdir()
    site = config.load(
        write_config("""
        sites:
          - {name: s, url: https://s.example, input: public, hosts: [nginx],
             rightsholder: {name: S}}
    """)
    ).sites[0]
    assert list(render_all(site, lambda name: None)) == ["optout-site.nginx.conf"]


def test_headers_never_say_noindex(site):
    for _, decision in site.policy.ordered_decisions:
        for _name, value in headers.for_decision(site, decision):
            assert "noindex" not in value and "none" not in value.split(", ")


def test_apache_values_escape_percent_and_quotes(tmp_path, write_config):
    (tmp_path / "public").mkdir()
    site = config.load(
        write_config("""
        sites:
          - name: s
            url: https://s.example/a%20b
            input: public
            reserve: [tdm]
            rsl: {enabled: true}
            rightsholder: {name: S}
    """)
    ).sites[0]
    text = apache.render(site, None).decode()
    assert 'tdm-policy "https://s.example/a%%20b/policies/tdm-policy.json"' in text
    assert 'rel=\\"license\\"' in text
