"""The rights reservation page: valid HTML5 in every shipped language, saying the policy.

``screenshot()`` below doubles as the documented way to look at the page: with
/usr/bin/chromium present, ``PYTHONPATH=. python tests/test_reservation.py out.png [fr]`` renders
the bundled example's page (main language, or the one named) to a PNG.
"""

from __future__ import annotations

import pickle
import shutil
import sys
import tempfile
from pathlib import Path

import html5lib
import lxml.html
import pytest
from support import (
    CHROMIUM,
    HASH_SEEDS,
    REPO,
    chromium_layout,
    chromium_screenshot,
    load_site,
    outputs_across_processes,
)

from optout_site import config
from optout_site.policy import Use
from optout_site.signals import reservation, theme

LANGS = ["en", "fr", "de", "es", "it"]

SITE = """
sites:
  - name: lea
    url: https://lea.example
    input: public
    reserve: [tdm, train, ai-input]
    allow: [search]
    language: [en, fr, de, es, it]
    hosts: [nginx]
    rsl: {{enabled: true}}
    rightsholder:
      name: {name}
      email: studio@lea.example
      url: https://lea.example/about/
      phone: "+33 4 50 00 00 00"
      address: {{street: 12 rue des Aiguilles, postal_code: "74400", locality: Chamonix, country: {country}}}
    rules:
      - {{path: /press/, allow: [tdm, train, ai-input]}}
      - {{path: /shop/*.pdf$, reserve: [search]}}
"""

LEGAL = {
    "en": [
        "Article 4(3) of Directive (EU) 2019/790",
        "Article 53(1)(c) of Regulation (EU) 2024/1689",
    ],
    "fr": [
        "article 4, paragraphe 3, de la directive (UE) 2019/790",
        "L. 122-5-3",
        "Article 53, paragraphe 1, point c), du règlement (UE) 2024/1689",
    ],
    "de": [
        "Artikel 4 Absatz 3 der Richtlinie (EU) 2019/790",
        "§ 44b Absatz 3 des Urheberrechtsgesetzes (UrhG)",
        "Artikel 53 Absatz 1 Buchstabe c der Verordnung (EU) 2024/1689",
    ],
    "es": [
        "artículo 4, apartado 3, de la Directiva (UE) 2019/790",
        "artículo 67, apartado 3, del Real Decreto-ley 24/2021",
        "Artículo 53, apartado 1, letra c), del Reglamento (UE) 2024/1689",
    ],
    "it": [
        "articolo 4, paragrafo 3, della direttiva (UE) 2019/790",
        "articolo 70-quater della legge 22 aprile 1941, n. 633",
        "Articolo 53, paragrafo 1, lettera c), del regolamento (UE) 2024/1689",
    ],
}
# Each national transposition, and the page(s) that name it.
NATIONAL = {"§ 44b": "de", "Real Decreto-ley 24/2021": "es", "70-quater": "it"}


@pytest.fixture
def site(tmp_path):
    return load_site(tmp_path, SITE.format(name="Léa Moreau", country="France"))


def strict_parse(html: bytes) -> None:
    html5lib.HTMLParser(strict=True).parse(html)  # raises on any parse error


def text_of(html: bytes) -> str:
    return " ".join(lxml.html.fromstring(html).text_content().split())


def test_one_valid_page_per_shipped_language(site):
    pages = reservation.render(site)
    assert list(pages) == ["/ai-reservation/index.html"] + [
        f"/ai-reservation/{lang}/index.html" for lang in LANGS[1:]
    ]
    for (path, html), lang in zip(pages.items(), LANGS, strict=True):
        assert html.startswith(b"<!DOCTYPE html>\n")
        strict_parse(html)
        doc = lxml.html.fromstring(html)
        assert doc.get("lang") == lang, path
        assert doc.xpath("//meta[@charset]/@charset") == ["utf-8"]
        assert doc.findtext(".//title").strip()
        alternates = dict(
            zip(
                doc.xpath("//link[@rel='alternate']/@hreflang"),
                doc.xpath("//link[@rel='alternate']/@href"),
                strict=True,
            )
        )
        assert alternates == {
            "en": "https://lea.example/ai-reservation/",
            **{other: f"https://lea.example/ai-reservation/{other}/" for other in LANGS[1:]},
        }
        nav = doc.xpath("//nav//a/@href")
        assert len(nav) == len(LANGS) - 1  # links to the others, not to itself


@pytest.mark.parametrize("lang", LANGS)
def test_page_names_the_legal_basis(site, lang):
    page = reservation.pages(site)[LANGS.index(lang)]
    text = text_of(reservation.render(site)[page.file])
    for reference in LEGAL[lang]:
        assert reference in text, reference


def test_french_transposition_is_named_for_a_holder_in_france_only(site, tmp_path):
    english = text_of(reservation.render(site)["/ai-reservation/index.html"])
    assert "L. 122-5-3" in english
    other = load_site(tmp_path / "x", SITE.format(name="Jo", country="Germany"))
    pages = reservation.render(other)
    assert "L. 122-5-3" not in text_of(pages["/ai-reservation/index.html"])
    assert "L. 122-5-3" in text_of(
        pages["/ai-reservation/fr/index.html"]
    )  # French law, French page


def test_national_law_is_named_on_its_own_language_page_only(site):
    rendered = reservation.render(site)
    for page in reservation.pages(site):
        text = text_of(rendered[page.file])
        for law, lang in NATIONAL.items():
            assert (law in text) == (page.texts == lang), (law, page.lang)


def test_national_law_texts_say_where_they_come_from():
    # The rule at the top of reservation_texts.yaml: every legal text names its source
    # there, and only texts read verbatim in an official source are quoted.
    head = (theme.TEMPLATES / theme.TEXTS_FILE).read_text("utf-8").split("\nen:")[0]
    for source in ("§ 44b", "67", "70-quater", "paraphrase"):
        assert source in head, source
    texts = theme.shipped_texts()
    assert {lang for lang, t in texts.items() if "national_law" in t} == {"de", "es", "it"}


@pytest.mark.parametrize("lang", LANGS)
def test_page_states_the_policy_per_scope_in_its_language(site, lang):
    page = reservation.pages(site)[LANGS.index(lang)]
    words = reservation.texts(site)[lang]["uses"]
    doc = lxml.html.fromstring(reservation.render(site)[page.file])
    scopes = doc.xpath("//section[@class='scope']")
    decisions = [site.policy.default, *[d for p, d in site.policy.ordered_decisions if p != "/"]]
    assert len(scopes) == len(decisions) == 3
    for scope, decision in zip(scopes, decisions, strict=True):
        reserved = scope.xpath(".//div[@class='reserved']/dd/text()")
        allowed = scope.xpath(".//div[@class='allowed']/dd/text()")
        assert reserved == [words[u.value] for u in Use if u in decision.reserved]
        if reserved:
            assert allowed == [words[u.value] for u in Use if u not in decision.reserved]
    headings = [" ".join(h.text_content().split()) for h in doc.xpath("//section/h3")]
    assert "/press/" in headings[2] and "/shop/*.pdf$" in headings[1]


def test_page_gives_the_contact_and_the_consequence(site):
    html = reservation.render(site)["/ai-reservation/index.html"]
    doc = lxml.html.fromstring(html)
    text = text_of(html)
    assert "must first obtain a licence from Léa Moreau" in text
    assert doc.xpath("//address//a/@href") == [
        "mailto:studio@lea.example",
        "tel:+33450000000",
        "https://lea.example/about/",
    ]
    assert "12 rue des Aiguilles" in text and "74400 Chamonix" in text


SINCE = {
    "en": "since 1 May 2024",
    "fr": "depuis le 1er mai 2024",
    "de": "seit dem 1. Mai 2024",
    "es": "desde el 1 de mayo de 2024",
    "it": "1º maggio 2024",
}


def test_page_says_since_when_the_reservation_is_published(tmp_path):
    text = SITE.format(name="Jo", country="France").replace(
        "    rsl:", "    reservation_page: {since: 2024-05-01}\n    rsl:"
    )
    site = load_site(tmp_path, text)
    rendered = reservation.render(site)
    for page in reservation.pages(site):
        html = rendered[page.file]
        strict_parse(html)
        doc = lxml.html.fromstring(html)
        assert doc.xpath("//main//time/@datetime") == ["2024-05-01"], page.lang
        assert SINCE[page.lang] in text_of(html), page.lang


def test_without_since_no_date_is_invented(site):
    for html in reservation.render(site).values():
        doc = lxml.html.fromstring(html)
        assert not doc.xpath("//time") and not doc.xpath("//*[@class='since']")


def test_every_page_links_back_to_the_site(site):
    for page in reservation.pages(site):
        doc = lxml.html.fromstring(reservation.render(site)[page.file])
        home = doc.xpath("//a[@class='home']")
        assert [a.get("href") for a in home] == ["https://lea.example/"], page.lang
        assert home[0].text_content().strip(), page.lang


def test_phone_is_one_tel_uri_on_the_page_and_in_the_policy(tmp_path):
    from optout_site.signals import image_rights, tdmrep

    text = SITE.format(name="Jo", country="FR").replace('"+33 4 50 00 00 00"', "04 50 00 00 00")
    site = load_site(tmp_path, text)
    doc = lxml.html.fromstring(reservation.render(site)["/ai-reservation/index.html"])
    (link,) = [a for a in doc.xpath("//address//a") if a.get("href").startswith("tel:")]
    assert link.get("href") == "tel:+33450000000"
    assert link.text_content() == "+33 4 50 00 00 00"
    assigner = tdmrep.policy_document(site)["assigner"]
    assert assigner["vcard:hasTelephone"] == "tel:+33450000000"
    contact = image_rights.for_decision(site, site.policy.default).contact
    assert contact is not None and contact.phone == "+33 4 50 00 00 00"


def test_page_lists_the_channels_the_site_publishes(site, tmp_path):
    doc = lxml.html.fromstring(reservation.render(site)["/ai-reservation/index.html"])
    links = doc.xpath("//main//ul/li/a/@href")
    for url in (
        "https://lea.example/robots.txt",
        "https://lea.example/.well-known/tdmrep.json",
        "https://lea.example/policies/tdm-policy.json",
        "https://lea.example/ai.txt",
        "https://lea.example/license.xml",
    ):
        assert url in links
    text = text_of(reservation.render(site)["/ai-reservation/index.html"])
    assert "HTTP response headers" in text and "image files" in text
    plain = load_site(
        tmp_path / "plain",
        """
        sites:
          - name: p
            url: https://p.example
            input: public
            reserve: [train]
            images: {enabled: false}
            rightsholder: {name: P}
    """.replace("\n        ", "\n"),
    )
    text = text_of(reservation.render(plain)["/ai-reservation/index.html"])
    assert "HTTP response headers" not in text and "image files" not in text
    assert "license.xml" not in text


HOSTILE = '"<script>alert(1)</script> & <b>Bad</b>"'


def test_hostile_names_and_patterns_are_escaped(tmp_path):
    text = SITE.format(name=HOSTILE, country="France").replace(
        "/shop/*.pdf$", '"/x<img/src=x/onerror=alert(1)>/"'
    )
    site = load_site(tmp_path, text)
    for html in reservation.render(site).values():
        strict_parse(html)
        doc = lxml.html.fromstring(html)
        assert not doc.xpath("//script") and not doc.xpath("//b") and not doc.xpath("//img")
        assert "<script>alert(1)</script> & <b>Bad</b>" in doc.text_content()
        assert b"&lt;script&gt;" in html


def test_template_override_and_texts_override(tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "reservation.html.j2").write_text(
        '{% extends "reservation_base.html.j2" %}'
        "{% block style %}body { background: #123456; }{% endblock %}",
        encoding="utf-8",
    )
    (theme / "reservation_texts.yaml").write_text("en:\n  title: Our own title\n", encoding="utf-8")
    text = SITE.format(name="Jo", country="France").replace(
        "    rsl:", f"    reservation_page: {{templates: {theme}}}\n    rsl:"
    )
    site = load_site(tmp_path, text)
    html = reservation.render(site)["/ai-reservation/index.html"]
    strict_parse(html)
    assert b"#123456" in html and b"max-width: 46rem" not in html
    assert b"<title>Our own title</title>" in html
    assert b"Allowed" in html  # the rest of our page and texts still there
    french = reservation.render(site)["/ai-reservation/fr/index.html"]
    assert b"Our own title" not in french
    (theme / "reservation.html.j2").write_text(
        "<!DOCTYPE html><html lang={{ lang }}><title>x</title><p>{{ holder.name }}</p></html>",
        encoding="utf-8",
    )
    assert reservation.render(site)["/ai-reservation/index.html"].endswith(b"<p>Jo</p></html>")


def test_a_template_added_to_or_removed_from_the_theme_is_seen_by_the_next_render(tmp_path):
    # Compiled templates are kept between builds of one process: a file that appears in
    # (or leaves) the theme folder changes which template a name loads, and must count.
    folder = tmp_path / "theme"
    (folder / "parts").mkdir(parents=True)
    (folder / "parts/reservation.html.j2").write_text(  # a draft, in a folder of its own
        '<!DOCTYPE html><html lang={{ lang }}><title>x</title>{% include "parts/own.j2" %}</html>',
        encoding="utf-8",
    )
    text = SITE.format(name="Jo", country="France").replace(
        "    rsl:", f"    reservation_page: {{templates: {folder}}}\n    rsl:"
    )
    (folder / "parts/own.j2").write_text("<p>{{ holder.name }} in a part</p>", encoding="utf-8")
    site = load_site(tmp_path, text)
    ours = reservation.render(site)["/ai-reservation/index.html"]
    assert b"max-width: 46rem" in ours
    (folder / "parts/reservation.html.j2").rename(folder / "reservation.html.j2")
    assert reservation.render(site)["/ai-reservation/index.html"].endswith(
        b"<p>Jo in a part</p></html>"
    )
    (folder / "parts/own.j2").unlink()
    (folder / "parts/own.j2").write_text("<p>{{ holder.name }}, again</p>", encoding="utf-8")
    assert reservation.render(site)["/ai-reservation/index.html"].endswith(
        b"<p>Jo, again</p></html>"
    )
    (folder / "reservation.html.j2").unlink()
    assert reservation.render(site)["/ai-reservation/index.html"] == ours
    # While the folder is unchanged, the next build reuses the compiled templates.
    assert theme.environment(folder) is theme.environment(folder)


def test_regional_tags_and_file_style_paths(tmp_path):
    site = load_site(
        tmp_path,
        """
sites:
  - name: s
    url: https://s.example
    input: public
    reserve: [train]
    language: [fr-FR, de]
    reservation_page: {path: /legal/tdm.html}
    rightsholder: {name: S}
""",
    )
    pages = reservation.render(site)
    assert list(pages) == ["/legal/tdm.html", "/legal/de/tdm.html"]
    doc = lxml.html.fromstring(pages["/legal/tdm.html"])
    assert doc.get("lang") == "fr-FR"
    assert "Fondement juridique" in doc.text_content()


def test_a_language_without_texts_is_refused_not_dropped(tmp_path):
    text = SITE.format(name="Jo", country="France").replace("[en, fr, de, es, it]", "[nl, fr]")
    with pytest.raises(config.ConfigError, match="'nl' has no reservation page texts"):
        load_site(tmp_path, text)


def test_a_theme_language_gets_its_own_page(tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "reservation_texts.yaml").write_text(
        "sv:\n  lang_name: Svenska\n  title: Förbehåll mot text- och datautvinning\n",
        encoding="utf-8",
    )
    text = (
        SITE.format(name="Jo", country="France")
        .replace("[en, fr, de, es, it]", "[en, sv]")
        .replace("    rsl:", f"    reservation_page: {{templates: {theme}}}\n    rsl:")
    )
    site = load_site(tmp_path, text)
    pages = reservation.render(site)
    assert list(pages) == ["/ai-reservation/index.html", "/ai-reservation/sv/index.html"]
    assert "Förbehåll mot text- och datautvinning" in text_of(
        pages["/ai-reservation/sv/index.html"]
    )


@pytest.mark.slow  # three fresh interpreters
def test_output_is_the_same_in_every_process(site):
    code = (
        "import pickle, sys; from optout_site import config;"
        " from optout_site.signals import reservation;"
        f"site = config.load({str(site.input.parent / 'sites.yaml')!r}).sites[0];"
        "sys.stdout.buffer.write(pickle.dumps(list(reservation.render(site).items())))"
    )
    want = list(reservation.render(site).items())
    assert [pickle.loads(o) for o in outputs_across_processes(code)] == [want] * len(HASH_SEEDS)


def test_disabled_page_renders_nothing(tmp_path):
    off = load_site(
        tmp_path / "off",
        """
sites:
  - {name: s, url: https://s.example, input: public, reservation_page: {enabled: false},
     rightsholder: {name: S}}
""",
    )
    assert reservation.render(off) == {}


# --- a site that reserves nothing ----------------------------------------------------------

NOTHING = """
sites:
  - name: n
    url: https://n.example
    input: public
    reserve: []
    acknowledge: [no-reservation]
    language: [en, fr, de, es, it]
    reservation_page: {since: 2024-05-01}
    rightsholder: {name: Jo Photo, email: jo@n.example}
    rules:
      - {path: /press/, allow: [tdm]}
"""
# What each language's page says instead of a reservation (the test's own words).
NO_RESERVATION = {
    "en": "makes no reservation of rights",
    "fr": "ne s'oppose pas",
    "de": "keinen Nutzungsvorbehalt",
    "es": "no formula ninguna reserva de derechos",
    "it": "non esprime alcuna riserva dei diritti",
}
# The reservation sentence of each language, as the reserving page has it.
RESERVES = {
    "en": "expressly reserves the rights",
    "fr": "s'oppose expressément",
    "de": "ausdrücklich vor",
    "es": "se reserva expresamente",
    "it": "si riserva espressamente",
}


def test_a_site_reserving_nothing_gets_a_notice_not_a_reservation(tmp_path, site):
    nothing = load_site(tmp_path / "n", NOTHING)
    rendered = reservation.render(nothing)
    reserving = reservation.render(site)
    for page in reservation.pages(nothing):
        html = rendered[page.file]
        strict_parse(html)
        doc = lxml.html.fromstring(html)
        text = text_of(html)
        assert NO_RESERVATION[page.lang] in text, page.lang
        assert RESERVES[page.lang] not in text, page.lang
        assert RESERVES[page.lang] in text_of(reserving[page.file]), page.lang  # the control
        declaration = doc.xpath("//p[@class='declaration']")[0].text_content()
        assert NO_RESERVATION[page.lang] in declaration
        # Nothing that speaks of a reservation: no date, no scopes, no consequence, no
        # legal basis, no channel notes; still the contact and the channels.
        assert not doc.xpath("//*[@class='since'] | //section[@class='scope'] | //blockquote")
        assert not doc.xpath("//ul[@class='notes']")
        for key in ("consequence", "art3", "legal_heading", "precedence"):
            assert str(reservation.texts(nothing)[page.texts][key])[:40] not in text, key
        assert doc.xpath("//address//a/@href") == ["mailto:jo@n.example"]
        assert "https://n.example/.well-known/tdmrep.json" in doc.xpath("//main//ul/li/a/@href")
    url, label = reservation.footer_link(nothing)
    assert url == "https://n.example/ai-reservation/" and "no rights reserved" in label
    assert "no rights reserved" not in reservation.footer_link(site)[1]


def test_every_shipped_language_has_the_notice_and_the_channel_notes():
    texts = theme.shipped_texts()
    keys = {k for k in texts["en"] if k.startswith("note")} | {"none"}
    for lang in LANGS:
        assert keys <= texts[lang].keys(), lang
        assert texts[lang]["none"].keys() == texts["en"]["none"].keys(), lang
        assert all(
            '"' not in v and "«" not in v for k, v in texts[lang].items() if k.startswith("note")
        ), lang  # paraphrase: no quotations


# --- how the channels carry the reservation ------------------------------------------------

CHANNELS = """
sites:
  - name: c
    url: https://c.example
    input: public
    reserve: [tdm, train, ai-input]
    language: [en, fr, de, es, it]
    images: {{enabled: {images}}}
    rsl: {{enabled: {rsl}}}
    rightsholder: {{name: C}}
    rules:
      - {{path: /genai/, allow: [tdm], reserve: [genai-train]}}
      - {{path: /input/, allow: [tdm], reserve: [ai-input]}}
"""
# Written from docs/signals.md for the rules above: the words each applicable note must
# have (in English), and the channels it names.
NOTES_EN = {
    "Content-Signal line in robots.txt applies to every address": "robots.txt",
    "only the training of generative AI models is reserved, AI training crawlers": "robots.txt",
    "Content-Usage line in robots.txt leaves search unsaid": "robots.txt",
    "tdmrep.json and the tdm-reservation tags have a single yes/no": "tdmrep.json",
    "ai.txt has one word for all training": "ai.txt",
    "ai.txt speaks only of training": "ai.txt",
    "noai and noimageai directives stand for AI training and AI input together": "meta",
}
IMAGES_EN = "image files refer to other constraints"  # /input/ has no IPTC code of its own
RSL_EN = "RSL licence file has one token for all training"  # /genai/: ai-train unsaid


def notes_of(html: bytes) -> list[str]:
    doc = lxml.html.fromstring(html)
    return [" ".join(li.text_content().split()) for li in doc.xpath("//ul[@class='notes']/li")]


def test_channel_notes_name_only_published_channels(tmp_path):
    plain = load_site(tmp_path / "p", CHANNELS.format(images="false", rsl="false"))
    notes = notes_of(reservation.render(plain)["/ai-reservation/index.html"])
    assert len(notes) == len(NOTES_EN)
    for words in NOTES_EN:
        assert any(words in note for note in notes), words
    section = " ".join(notes)
    assert "RSL" not in section and "licence" not in section and "image files" not in section
    full = load_site(tmp_path / "f", CHANNELS.format(images="true", rsl="true"))
    notes = notes_of(reservation.render(full)["/ai-reservation/index.html"])
    assert len(notes) == len(NOTES_EN) + 2
    assert any(IMAGES_EN in note for note in notes) and any(RSL_EN in note for note in notes)
    for page in reservation.pages(full):  # every language: same sentences, its own words
        html = reservation.render(full)[page.file]
        strict_parse(html)
        assert len(notes_of(html)) == len(NOTES_EN) + 2, page.lang
        heading = reservation.texts(full)[page.texts]["notes_heading"]
        assert heading in text_of(html), page.lang


def test_channel_notes_say_only_what_the_rules_make_true(site, tmp_path):
    # The photographer with an open /press/ and a fully reserved /shop/*.pdf$: training and
    # AI input are reserved together wherever anything is, so noai is exact and tdmrep.json's
    # 1 hides no permitted TDM use; Content-Signal differs between paths, search goes unsaid
    # next to reserved training, and ai.txt cannot say AI input.
    notes = notes_of(reservation.render(site)["/ai-reservation/index.html"])
    assert [n.split(":")[0].split(",")[0] for n in notes] == [
        "The Content-Signal line in robots.txt applies to every address a crawler may visit",
        "The Content-Usage line in robots.txt leaves search unsaid where training is reserved",
        "ai.txt speaks only of training; reservations of other uses are not in it.",
    ]
    # Everything reserved everywhere: every signal is exact, but ai.txt has no word for AI
    # input or search.
    everything = load_site(
        tmp_path / "u",
        "sites:\n  - {name: u, url: 'https://u.example', input: public, rightsholder: {name: U},\n"
        "     reserve: [tdm, train, ai-input, search]}\n",
    )
    html = reservation.render(everything)["/ai-reservation/index.html"]
    assert notes_of(html) == [
        "ai.txt speaks only of training; reservations of other uses are not in it."
    ]


# --- optional: a look at the page in headless Chromium --------------------------------


def screenshot(html: bytes, png: Path, width: int = 1000, height: int = 1800) -> None:
    """Render ``html`` to ``png`` with headless Chromium (no network, throwaway profile)."""
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "page.html"
        page.write_bytes(html)
        chromium_screenshot(page, png, Path(tmp) / "profile", width, height)


@pytest.mark.slow  # headless Chromium
@pytest.mark.parametrize("width", [1000, 500])  # 500: the narrowest window Chromium opens
@pytest.mark.parametrize("lang", ["en", "de"])  # German: the longest words
def test_page_in_chromium_shows_the_reservation_and_fits(site, tmp_path, width, lang):
    page = next(p for p in reservation.pages(site) if p.lang == lang)
    layout = chromium_layout(reservation.render(site)[page.file], tmp_path, width)
    texts = reservation.texts(site)[page.texts]
    assert texts["title"] in layout["text"] and texts["legal_heading"] in layout["text"]
    assert "Léa Moreau" in layout["text"]
    assert layout["overflow"] == [], layout["overflow"]


if __name__ == "__main__":  # python tests/test_reservation.py out.png [language]
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "reservation.png").resolve()
    example = config.load(REPO / "sites.yaml").sites[0]
    pages = reservation.pages(example)
    wanted = sys.argv[2] if len(sys.argv) > 2 else pages[0].lang
    chosen = next(p for p in pages if p.lang == wanted)
    if not shutil.which(CHROMIUM):
        sys.exit(f"{CHROMIUM} not found")
    screenshot(reservation.render(example)[chosen.file], out)
    print(out)
