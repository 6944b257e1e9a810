"""Make untrusted text safe to print on a terminal.

File names and invoice values (service codes, comments, messages quoting them) can carry
control characters: ESC sequences that recolour, retitle or clear a terminal, newlines that
forge extra output lines, C1 controls, and bidirectional overrides that make text read
differently from what it is. Every human-readable output of the command line goes through
:func:`printable`. JSON output needs none of this (its encoder escapes control characters).
"""

from __future__ import annotations

import re

# C0 controls and DEL, C1 controls, bidi embeddings/overrides/isolates and marks,
# the Unicode line and paragraph separators.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
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


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
