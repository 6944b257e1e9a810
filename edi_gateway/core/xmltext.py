"""Make text from a file name or an invoice safe to put into an XML document.

XML 1.0 (Fifth Edition, §2.2 production ``Char``) allows only TAB, LF, CR, U+0020..U+D7FF,
U+E000..U+FFFD and U+10000..U+10FFFF. A file name can hold anything else (ESC, U+0001, bytes that
are not UTF-8, which Python gives as lone surrogates U+DC80..U+DCFF), and lxml refuses such a
string outright (``ValueError: All strings must be XML compatible``) when it becomes a stylesheet
parameter or an element text. :func:`xml_compatible` writes each such character as a visible
escape instead of dropping it, in the same readable form the database and the logs use for
undecodable name bytes (``claim.readable``): ``\\xNN`` for a C0 control or an undecodable byte,
``\\uNNNN`` for any other forbidden code point. Every other character is kept as it is.
"""

from __future__ import annotations

import re

# Everything outside the XML 1.0 Char production (surrogates included).
_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPED_BYTES = range(0xDC80, 0xDD00)  # os.fsdecode surrogateescape: one byte 0x80..0xFF


def xml_compatible(text: str) -> str:
    """Return ``text`` with every character XML 1.0 forbids written as a visible escape.

    Args:
        text: any string (file name, invoice value, message quoting them).

    Returns:
        A string lxml accepts as text or as an XSLT string parameter: ``"a\\x1bb"`` becomes
        ``"a\\\\x1bb"`` (a backslash, ``x1b``), the undecodable byte ``0xE9`` of a Latin-1 file
        name (``"\\udce9"``) becomes ``"\\\\xe9"``, U+FFFE becomes ``"\\\\ufffe"``.
    """
    return _FORBIDDEN.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code in _ESCAPED_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"
