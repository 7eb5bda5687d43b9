"""The shipped reservation texts are read once per process, by libyaml where PyYAML has it:
the data must be what the pure-Python parser reads, and every reader must share it."""

from __future__ import annotations

import yaml

from optout_site.config import languages
from optout_site.signals import theme


def test_shipped_texts_are_what_the_pure_python_parser_reads() -> None:
    text = (theme.TEMPLATES / languages.TEXTS_FILE).read_text(encoding="utf-8")
    assert languages.shipped_texts() == yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506


def test_one_reading_serves_the_config_and_the_pages() -> None:
    assert theme.shipped_texts is languages.shipped_texts
    assert languages.shipped_languages() == tuple(sorted(languages.shipped_texts()))
