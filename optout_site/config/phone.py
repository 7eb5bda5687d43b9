"""rightsholder.phone: a number as people write it, to the RFC 3966 tel: URI every signal
carries (the country of a national number comes from the address once defaults are merged)."""

from __future__ import annotations

import re

import yaml

from optout_site.config import yamlnodes
from optout_site.config.yamlnodes import Context, Invalid, Located

# Digits, an optional leading '+', and the visual separators RFC 3966 allows (- . ( )) plus
# spaces, which the URI drops. "/" (German 089/123456) and extensions are not phone digits.
_PHONE_RE = re.compile(r"\+?[0-9\s().-]*[0-9][0-9\s().-]*")
# "+44 (0)20 ...": the national trunk prefix in parentheses, never dialled from abroad
# (ITU-T E.123), so it is dropped from the URI and from the displayed number.
_TRUNK_IN_PARENS = re.compile(r"\(\s*0\s*\)")

# ISO 3166 alpha-2 → (country calling code, national trunk prefixes), for numbers written
# in national form. Deliberately small: the EU and EEA, CH, GB, US, CA, AU, NZ and JP.
# Anyone else writes the number in international form (+CC ...).
CALLING_CODES: dict[str, tuple[str, tuple[str, ...]]] = {
    "AT": ("43", ("0",)),
    "BE": ("32", ("0",)),
    "BG": ("359", ("0",)),
    "HR": ("385", ("0",)),
    "CY": ("357", ()),
    "CZ": ("420", ()),
    "DK": ("45", ()),
    "EE": ("372", ()),
    "FI": ("358", ("0",)),
    "FR": ("33", ("0",)),
    "DE": ("49", ("0",)),
    "GR": ("30", ()),
    "HU": ("36", ("06",)),
    "IE": ("353", ("0",)),
    "IT": ("39", ()),  # the leading 0 of Italian numbers is dialled from abroad too
    "LV": ("371", ()),
    "LT": ("370", ("0", "8")),  # 8 until 2025, 0 since
    "LU": ("352", ()),
    "MT": ("356", ()),
    "NL": ("31", ("0",)),
    "PL": ("48", ()),
    "PT": ("351", ()),
    "RO": ("40", ("0",)),
    "SK": ("421", ("0",)),
    "SI": ("386", ("0",)),
    "ES": ("34", ()),
    "SE": ("46", ("0",)),
    "IS": ("354", ()),
    "LI": ("423", ()),
    "NO": ("47", ()),
    "CH": ("41", ("0",)),
    "GB": ("44", ("0",)),
    "US": ("1", ("1",)),
    "CA": ("1", ("1",)),
    "AU": ("61", ("0",)),
    "NZ": ("64", ("0",)),
    "JP": ("81", ("0",)),
}


def parse(node: yaml.Node, ctx: Context) -> Located:
    """The syntax only; the country of a national number is known once defaults are merged
    (see :func:`telephone`)."""
    written = yamlnodes.string(node, ctx)
    value = written.strip().removeprefix("tel:").strip()
    if not _PHONE_RE.fullmatch(value):
        raise Invalid(
            "expected a phone number such as +33 1 23 45 67 89 (digits, a leading '+', "
            f"spaces and - . ( ) only), got {written!r}"
        )
    return Located(value, node)


def _drop_digits(text: str, count: int) -> str:
    """``text`` without its first ``count`` digits and the separators around them."""
    i = seen = 0
    opened = False
    while seen < count:
        seen += text[i].isdigit()
        opened |= text[i] == "("
        i += 1
    rest = text[i:].lstrip(" .-")
    return rest.removeprefix(")").lstrip(" .-") if opened else rest


def tel_uri(value: str, country: str | None) -> tuple[str, str]:
    """(the number to show, its RFC 3966 URI) for a number as written in the config.

    A global number (+CC ...) keeps its separators for display, ``(0)`` aside. A national
    number takes its calling code from ``country`` (an ISO 3166 alpha-2 code of
    :data:`CALLING_CODES`), loses its trunk prefix, and is shown in international form
    too: the page, the image metadata and the TDM policy are read abroad.
    """
    text = " ".join(_TRUNK_IN_PARENS.sub(" ", value).split())
    digits = "".join(ch for ch in text if ch in "0123456789")
    if text.startswith("+"):
        shown, number = text, digits
    elif digits.startswith("00"):
        raise Invalid(
            f"{value!r} starts with the international call prefix 00: "
            "write '+' instead of '00' (+33 1 23 45 67 89, say)"
        )
    else:
        code = (country or "").strip().upper()
        if code not in CALLING_CODES:
            where = (
                f"the address country {country!r} is not an ISO 3166 alpha-2 code we map to "
                "a calling code (EU/EEA, CH, GB, US, CA, AU, NZ, JP)"
                if country
                else "rightsholder.address.country is not set"
            )
            raise Invalid(
                f"{value!r} is a national number and {where}: write it in international "
                "form (+33 1 23 45 67 89, say: '+', the country code, the number without "
                "its leading trunk 0)"
            )
        calling, trunks = CALLING_CODES[code]
        for trunk in trunks:
            if digits.startswith(trunk):
                text, digits = _drop_digits(text, len(trunk)), digits[len(trunk) :]
                break
        shown, number = f"+{calling} {text}", calling + digits
    if not 7 <= len(number) <= 15:
        raise Invalid(
            f"{value!r} has {len(number)} digits with its country code; an international "
            "number has 7 to 15 digits (ITU-T E.164)"
        )
    return shown, "tel:+" + number


def telephone(
    phone: Located | None, country: str | None, ctx: Context
) -> tuple[str | None, str | None]:
    """The rightsholder's (phone to show, tel: URI); a problem is reported at the phone."""
    if phone is None:
        return None, None
    try:
        return tel_uri(phone.value, country)
    except Invalid as exc:
        ctx.error(phone.node, str(exc))
        return None, None
