"""The log's safety net: no document content and no personal data in any log line.

Job: the structlog processor :func:`redact`, run on every event before it is rendered. Input: an
event dict; output: the same dict with every string value that looks like XML replaced by
``[xml removed]``, every IBAN by ``[iban removed]`` (any case, inside longer tokens, behind any
separator, Unicode space or dash, invisible character or fullwidth form: see
:func:`redact_ibans`; the country's IBAN length and a valid mod-97 check tell it from an
invoice number), bytes by their length, and long strings truncated to :data:`MAX_VALUE_CHARS`.
Sources: ISO 13616-1 (IBAN structure and lengths), ISO 7064 (MOD 97-10), Unicode 15
DerivedCoreProperties (default-ignorable code points). It never writes anything.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
from typing import Any

from structlog.typing import EventDict, WrappedLogger

MAX_VALUE_CHARS = 300
XML_REMOVED = "[xml removed]"
IBAN_REMOVED = "[iban removed]"
# Keys set by the gateway itself, never redacted (an IdFlux can look like an IBAN).
TRUSTED_KEYS = frozenset({"timestamp", "level", "event", "id_flux", "channel", "stage"})

_XML = re.compile(r"<\s*[?!A-Za-z_][^<>]*>")


# IBAN length per country code (SWIFT IBAN registry, ISO 13616, plus the countries of the
# partial / national registries); a country code not listed is not an IBAN.
_IBAN_COUNTRIES = (
    (15, "NO"),
    (16, "BE"),
    (18, "DK FI FK FO GL NL SD"),
    (19, "MK SI"),
    (20, "AT BA EE KZ LT LU MN XK"),
    (21, "CH HR LI LV"),
    (22, "BG BH CR DE GB GE IE ME RS VA"),
    (23, "AE GI IL IQ OM SO TL"),
    (24, "AD CZ ES MD PK RO SA SE SK TN VG"),
    (25, "AO CV GW LY MZ ST"),
    (26, "DZ IR IS TR"),
    (27, "BI CF CG CM DJ FR GA GQ GR IT KM MC MG MR SM TD BL GF GP MF MQ NC PF PM RE TF WF YT"),
    (28, "AL AZ BF BJ BY CI CY DO GT HN HU LB ML NE NI PL SN SV"),
    (29, "BR EG PS QA UA"),
    (30, "JO KW MU YE"),
    (31, "MT SC"),
    (32, "LC"),
    (33, "RU"),
)
_SHORTEST_IBAN = min(length for length, _ in _IBAN_COUNTRIES)
_IBAN_LENGTHS = {code: length for length, codes in _IBAN_COUNTRIES for code in codes.split()}
# Folding for detection: characters that separate IBAN groups (ASCII punctuation seen in
# file names and notes; Unicode spaces Z*, controls Cc such as tab, dashes Pd, connectors Pc such
# as "_" are added by category) and characters skipped as if absent (format characters Cf and the
# other Unicode default-ignorable code points: combining grapheme joiner, Hangul fillers,
# variation selectors ...). Source: Unicode 15 DerivedCoreProperties (Default_Ignorable_Code_Point).
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_SEPARATOR_CHARS = frozenset(" .-_:+,;/\u2212")
_SEPARATOR_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Pd", "Pc"})
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x2800, 0x2800),
    (0xE0000, 0xE0FFF),
)  # fmt: skip
_MAX_GAP = 4  # separators in a row between two IBAN characters ("FR76 - 3000" has three)
_SCAN_CHARS = 10_000  # a value is cut here before the scan; the log keeps 300 characters

_SKIP, _SEPARATOR, _BREAK = "", " ", "|"


def _iban_checks(compact: str) -> bool:
    """True when ``compact`` (upper case, no separators) passes the ISO 13616 / ISO 7064
    mod-97 check of an IBAN."""
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def _fold_char(char: str) -> str:
    """Detection form of one character: upper-case ASCII letters / digits (NFKC: fullwidth
    forms; any decimal digit), ``_SKIP`` (invisible), ``_SEPARATOR`` or ``_BREAK``."""
    code = ord(char)
    if char in _ALNUM:
        return char.upper()
    category = unicodedata.category(char)
    if category == "Cf" or any(low <= code <= high for low, high in _IGNORABLE_RANGES):
        return _SKIP
    if char in _SEPARATOR_CHARS or category in _SEPARATOR_CATEGORIES:
        return _SEPARATOR
    if category == "Nd":
        return str(unicodedata.decimal(char))
    folded = unicodedata.normalize("NFKC", char)
    if folded and all(ch in _ALNUM for ch in folded):
        return folded.upper()
    return _BREAK


def _fold(text: str) -> tuple[list[str], list[int], list[int]]:
    """Alphanumeric characters of ``text`` in detection form, with for each its original
    index and the number of separators just before it; a ``_BREAK`` character is kept as
    ``"|"`` (it ends any IBAN)."""
    chars: list[str] = []
    where: list[int] = []
    gaps: list[int] = []
    gap = 0
    for index, char in enumerate(text):
        folded = _fold_char(char)
        if folded == _SKIP:
            continue
        if folded == _SEPARATOR:
            gap += 1
            continue
        for ch in folded:  # NFKC may give several characters ("⑩" -> "10")
            chars.append(ch)
            where.append(index)
            gaps.append(gap)
        gap = 0
    return chars, where, gaps


def _iban_at(chars: list[str], gaps: list[int], start: int) -> int | None:
    """Index (in ``chars``) just past an IBAN that starts at ``chars[start]``, or None.

    The IBAN is the country's registry length of letters and digits, at most ``_MAX_GAP``
    separators between two of them, two digits after the country code and a valid mod-97.
    """
    length = _IBAN_LENGTHS.get("".join(chars[start : start + 2]))
    end = start + (length or 0)
    if length is None or end > len(chars):
        return None
    picked = chars[start:end]
    if "|" in picked or any(gap > _MAX_GAP for gap in gaps[start + 1 : end]):
        return None
    compact = "".join(picked)
    if not compact[2:4].isdigit():
        return None
    return end if _iban_checks(compact) else None


def redact_ibans(text: str) -> str:
    """Replace every IBAN in ``text`` by ``[iban removed]``, the whole original span.

    Detection works on a folded copy (:func:`_fold_char`): any case; NFKC (fullwidth digits and
    letters); ``_``, ``.``, ``-``, ``:``, ``+``, ``,``, ``;``, ``/``, tab, any Unicode space or
    dash as separators (up to four in a row: ``FR76 - 3000``); zero-width, format and other
    default-ignorable characters skipped; IBANs inside longer tokens found. The country length
    and the mod-97 check keep invoice numbers that merely look like an IBAN; a false positive
    is preferred to a leak. Source: ISO 13616-1 (IBAN structure), ISO 7064 (MOD 97-10).
    """
    chars, where, gaps = _fold(text)
    parts: list[str] = []
    kept = index = 0
    while index <= len(chars) - 15:
        end = _iban_at(chars, gaps, index) if chars[index] != "|" else None
        if end is None:
            index += 1
            continue
        parts += [text[kept : where[index]], IBAN_REMOVED]
        kept = where[end - 1] + 1
        index = end
    return "".join(parts) + text[kept:]


@functools.lru_cache(maxsize=4096)
def _clean_text(value: str) -> str:
    """Return ``value`` without XML, IBANs, undecodable characters, cut at MAX_VALUE_CHARS.

    A pure function of ``value``, cached: a flux's file name, syntax and rule ids recur on
    every line of it, and the IBAN scan is the costliest step of a log line."""
    if _XML.search(value):
        return XML_REMOVED
    if len(value) < _SHORTEST_IBAN and value.isascii():
        return value  # one ASCII character folds to at most one: too short for an IBAN
    value = redact_ibans(value[:_SCAN_CHARS])
    if any("\udc80" <= ch <= "\udcff" for ch in value):  # os.fsdecode surrogateescape
        value = os.fsencode(value).decode("utf-8", "backslashreplace")
    if len(value) > MAX_VALUE_CHARS:
        value = value[:MAX_VALUE_CHARS] + "…"
    return value


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _clean_text(value)
    if isinstance(value, bytes):
        return f"[{len(value)} bytes removed]"
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value[:20]]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in list(value.items())[:20]}
    if value is None or isinstance(value, bool | int | float):
        return value
    return _clean_text(str(value))


def redact(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: drop XML, IBANs and bytes from values, truncate long strings.

    Keys in :data:`TRUSTED_KEYS` are left as they are. Returns the cleaned event dict.
    """
    for key, value in list(event_dict.items()):
        if key not in TRUSTED_KEYS:
            event_dict[key] = _clean(value)
    return event_dict
