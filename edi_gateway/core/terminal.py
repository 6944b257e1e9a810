"""Make untrusted text safe to print on a terminal.

File names and invoice values (service codes, comments, messages quoting them) can carry
control characters: ESC sequences that recolour, retitle or clear a terminal, newlines that
forge extra output lines, C1 controls, and bidirectional overrides that make text read
differently from what it is. Every human-readable output of the command line goes through
:func:`printable`. JSON output goes through :func:`json_text`: the encoder escapes C0 controls
itself; DEL, C1 controls, bidi controls and line separators are escaped too (``\\u0085``),
so a terminal showing raw JSON lines cannot be tricked either; the decoded values are unchanged.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls and DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# the Unicode line and paragraph separators; lone surrogates U+DC80-U+DCFF (the bytes of a
# non-UTF-8 file name, os.fsdecode's surrogateescape) are written as the byte they stand for.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\udc80-\udcff]"
)


def printable(text: object) -> str:
    """Return ``str(text)`` with every unsafe character written as a visible escape.

    Tabs are kept; any other C0 control, DEL, C1 control, bidi control or line separator
    becomes ``\\xNN`` or ``\\uNNNN`` (so ``"a\\x1b[31mb"`` prints as ``a\\x1b[31mb``).

    Args:
        text: anything; None and numbers are converted with ``str``.

    Returns:
        A single-line string that cannot move the cursor, change colours or reorder text.
    """
    return _UNSAFE.sub(_escape, str(text))


# What json.dumps(ensure_ascii=False) leaves raw but a terminal acts on (C0 is escaped already).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)`` with DEL, C1 controls, bidi
    controls and the line / paragraph separators written as ``\\uNNNN`` escapes.

    The text stays valid JSON (RFC 8259 §7 escapes) and ``json.loads`` gives back exactly
    ``value``; accents and other letters stay readable (UTF-8, not ``\\u`` escapes).

    Raises:
        TypeError / ValueError: as ``json.dumps`` (a value it cannot encode).
    """
    text = json.dumps(value, ensure_ascii=False, **options)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _escape(match: re.Match[str]) -> str:
    """``\\xNN`` for a C0 / C1 control, DEL or an escaped byte of a file name; else ``\\uNNNN``."""
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
