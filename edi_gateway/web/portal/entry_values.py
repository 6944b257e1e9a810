"""Values shared by the UBL and CII builders of a portal entry: the EN 16931 specification
identifier (BT-24), the attachment mime codes (BT-125-1), amounts and numbers as text."""

from __future__ import annotations

from decimal import Decimal

EN16931 = "urn:cen.eu:en16931:2017"
#: BG-24 attachments EN 16931 accepts (BT-125-1 mime codes), by file extension.
MIME = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv",
}
Attachment = tuple[str, bytes]  # (file name, bytes)


def money(value: Decimal) -> str:
    """An amount with two decimals."""
    return f"{value:.2f}"


def number(value: Decimal) -> str:
    """A quantity, price or rate without useless zeros (``10``, ``12.5``, ``5.5``)."""
    return format(value.normalize(), "f")


def mime(name: str) -> str:
    """The mime code of an attachment by its extension (:data:`MIME`)."""
    return MIME["." + name.rsplit(".", 1)[-1].lower()]
